//! Checks for OpenSearch Service and legacy Elasticsearch domains: encryption at rest and between nodes,
//! placement in a VPC and error logs in CloudWatch Logs.

use serde_json::Value;

use crate::rules::value::{get, primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const DOMAIN: &[&str] = &[
    "AWS::OpenSearchService::Domain",
    "AWS::Elasticsearch::Domain",
];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "OpenSearchEncryptedAtRest",
        resource_types: DOMAIN,
        problem: "The domain stores its indices and snapshots unencrypted",
        fix: "Set `EncryptionAtRestOptions.Enabled: true` (and a `KmsKeyId` for a customer managed key)",
        eval: encrypted_at_rest,
    },
    Check {
        name: "OpenSearchInVPCOnly",
        resource_types: DOMAIN,
        problem: "The domain has a public endpoint instead of living inside a VPC",
        fix: "Set `VPCOptions.SubnetIds` (and `SecurityGroupIds`) so the domain gets a VPC endpoint",
        eval: in_vpc_only,
    },
    Check {
        name: "OpenSearchErrorLogsToCloudWatch",
        resource_types: DOMAIN,
        problem: "The domain does not publish its error logs to CloudWatch Logs",
        fix: "Add an `ES_APPLICATION_LOGS` entry with `Enabled: true` and a `CloudWatchLogsLogGroupArn` to `LogPublishingOptions`",
        eval: error_logs_to_cloudwatch,
    },
    Check {
        name: "OpenSearchNodeToNodeEncryption",
        resource_types: DOMAIN,
        problem: "Traffic between the domain's nodes is not encrypted",
        fix: "Set `NodeToNodeEncryptionOptions.Enabled: true`",
        eval: node_to_node_encryption,
    },
];

/// `<options>` present and `<options>.Enabled` (primitive-only) strictly `true`; an intrinsic in place of the
/// options has no `Enabled` key and fails.
fn options_enabled(resource: &Resource, options: &str, context: &Context<'_>) -> Verdict {
    if get(&resource.properties, options).is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let enabled = primitive(
        &resource.properties,
        &format!("{options}.Enabled"),
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(strict_eq(enabled.as_ref(), &Value::Bool(true))))
}

fn encrypted_at_rest(resource: &Resource, context: &Context<'_>) -> Verdict {
    options_enabled(resource, "EncryptionAtRestOptions", context)
}

fn node_to_node_encryption(resource: &Resource, context: &Context<'_>) -> Verdict {
    options_enabled(resource, "NodeToNodeEncryptionOptions", context)
}

fn in_vpc_only(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "VPCOptions").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    // `length === 0`: an intrinsic list has no length and counts as non-empty.
    let no_subnets = match get(properties, "VPCOptions.SubnetIds") {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::String(text)) => text.is_empty(),
        Some(_) => false,
    };
    Ok(verdict(!no_subnets))
}

fn error_logs_to_cloudwatch(resource: &Resource, _: &Context<'_>) -> Verdict {
    // The key is what counts (CDK turns a null entry into `{}`); its `Enabled` value is not examined.
    let has_error_logs = get(&resource.properties, "LogPublishingOptions")
        .and_then(Value::as_object)
        .is_some_and(|options| options.contains_key("ES_APPLICATION_LOGS"));
    Ok(verdict(has_error_logs))
}
