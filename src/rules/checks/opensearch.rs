//! Checks for OpenSearch Service and legacy Elasticsearch domains: encryption at rest and between nodes,
//! placement in a VPC, dedicated master nodes and zone awareness, error and slow logs in CloudWatch Logs, and
//! an access policy that allows only listed IP addresses and no anonymous principal (read from the CDK L2
//! access-policy custom resource when the template has one at the expected construct path).

use serde_json::Value;

use crate::rules::value::{
    for_of, get, js_string, json_text, loose_eq, primitive, strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const OPENSEARCH: &str = "AWS::OpenSearchService::Domain";

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
    Check {
        name: "OpenSearchAllowlistedIPs",
        resource_types: DOMAIN,
        problem: "The domain's access policy is missing, empty, or has an Allow statement without a source IP condition, so access is not limited to known addresses",
        fix: "Give every `Allow` statement of `AccessPolicies` a non-empty `Condition.IpAddress['aws:sourceIp']` (key spelled exactly so)",
        eval: allowlisted_ips,
    },
    Check {
        name: "OpenSearchDedicatedMasterNode",
        resource_types: DOMAIN,
        problem: "The domain runs without dedicated master nodes, so cluster management competes with data nodes for resources",
        fix: "Set `ClusterConfig.DedicatedMasterEnabled: true` (`ElasticsearchClusterConfig` on Elasticsearch domains) with a dedicated master type and count",
        eval: dedicated_master_node,
    },
    Check {
        name: "OpenSearchNoUnsignedOrAnonymousAccess",
        resource_types: DOMAIN,
        problem: "The domain's access policy is missing, empty, or allows a wildcard principal, so unsigned or anonymous requests may be accepted",
        fix: "Name specific IAM principals (no `*`) in every `Allow` statement of `AccessPolicies`",
        eval: no_unsigned_or_anonymous_access,
    },
    Check {
        name: "OpenSearchZoneAwareness",
        resource_types: DOMAIN,
        problem: "Zone awareness is off, so the domain's nodes and replicas may all sit in one Availability Zone",
        fix: "Set `ClusterConfig.ZoneAwarenessEnabled: true` (`ElasticsearchClusterConfig` on Elasticsearch domains) with an even number of data nodes",
        eval: zone_awareness,
    },
    Check {
        name: "OpenSearchSlowLogsToCloudWatch",
        resource_types: DOMAIN,
        problem: "The domain does not publish its search and index slow logs to CloudWatch Logs",
        fix: "Add `SEARCH_SLOW_LOGS` and `INDEX_SLOW_LOGS` entries with `Enabled: true` and a `CloudWatchLogsLogGroupArn` to `LogPublishingOptions`",
        eval: slow_logs_to_cloudwatch,
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

/// `<cluster config>.<flag>` (primitive-only) truthy; the cluster config is `ClusterConfig` on OpenSearch
/// Service domains and `ElasticsearchClusterConfig` on legacy ones. A missing cluster config fails.
fn cluster_flag(resource: &Resource, flag: &str, context: &Context<'_>) -> Verdict {
    let config = if resource.resource_type == OPENSEARCH {
        "ClusterConfig"
    } else {
        "ElasticsearchClusterConfig"
    };
    if get(&resource.properties, config).is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let enabled = primitive(
        &resource.properties,
        &format!("{config}.{flag}"),
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(truthy(enabled.as_ref())))
}

fn dedicated_master_node(resource: &Resource, context: &Context<'_>) -> Verdict {
    cluster_flag(resource, "DedicatedMasterEnabled", context)
}

fn zone_awareness(resource: &Resource, context: &Context<'_>) -> Verdict {
    cluster_flag(resource, "ZoneAwarenessEnabled", context)
}

fn slow_logs_to_cloudwatch(resource: &Resource, context: &Context<'_>) -> Verdict {
    let mut findings = Vec::new();
    for log in ["SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS"] {
        let enabled = primitive(
            &resource.properties,
            &format!("LogPublishingOptions.{log}.Enabled"),
            Kind::Boolean,
            context,
        )?;
        if !truthy(enabled.as_ref()) {
            findings.push(format!("LogExport::{log}"));
        }
    }
    Ok(if findings.is_empty() {
        Outcome::Compliant
    } else {
        Outcome::Findings(findings)
    })
}

/// The construct path where cdk-nag looks for the CDK L2 access-policy custom resource: the domain's path up to
/// its last `/Resource` (the whole path minus `/Resource` for an L2 domain), then
/// `/AccessPolicy/Resource/Default` (`/ESAccessPolicy/Resource/Default` for Elasticsearch). A resource without
/// `aws:cdk:path` metadata has no construct path to start from.
fn access_policy_path(resource: &Resource) -> Option<String> {
    let path = resource.metadata.get("aws:cdk:path")?.as_str()?;
    let base = path
        .rsplit_once("/Resource")
        .map_or("", |(before, _)| before);
    let custom = if resource.resource_type == OPENSEARCH {
        "AccessPolicy"
    } else {
        "ESAccessPolicy"
    };
    Some(format!("{base}/{custom}/Resource/Default"))
}

fn unreadable(why: &str) -> Thrown {
    Thrown(format!(
        "the domain's access-policy custom resource {why}, so cdk-nag cannot read the policy from it"
    ))
}

/// The access policy the custom resource sets: its `Update` is `Fn::Join` of a list whose items, joined with
/// `''` as JavaScript's `Array.join` does (an intrinsic becomes `[object Object]`), form the API call as JSON;
/// its `parameters.AccessPolicies` is the policy as a JSON string. Anything else throws, as `JSON.parse` and
/// the property reads do in cdk-nag.
fn policy_from_custom_resource(custom: &Resource) -> Result<Value, Thrown> {
    let items = match get(&custom.properties, "Update")
        .and_then(|update| update.get("Fn::Join"))
        .map(|join| join.get(1))
    {
        None => return Err(unreadable("has no `Fn::Join` in `Update`")),
        Some(Some(Value::Array(items))) => items,
        Some(_) => return Err(unreadable("joins no list in `Update`")),
    };
    let call: String = items
        .iter()
        .map(|item| match item {
            Value::Null => String::new(),
            other => js_string(other),
        })
        .collect();
    let call: Value = serde_json::from_str(&call)
        .map_err(|error| unreadable(&format!("has an `Update` that is not JSON ({error})")))?;
    let policy = match call.get("parameters") {
        None | Some(Value::Null) => return Err(unreadable("has no `parameters` in `Update`")),
        Some(parameters) => get(parameters, "AccessPolicies"),
    };
    let Some(policy) = policy else {
        return Err(unreadable("has no `parameters.AccessPolicies` in `Update`"));
    };
    serde_json::from_str(&js_string(policy)).map_err(|error| {
        unreadable(&format!(
            "has an `AccessPolicies` that is not JSON ({error})"
        ))
    })
}

/// The domain's access policy: from the L2 access-policy custom resource at the expected construct path if the
/// template has one, else the domain's own `AccessPolicies`. `None` when there is none.
fn access_policy(resource: &Resource, context: &Context<'_>) -> Result<Option<Value>, Thrown> {
    if let Some(path) = access_policy_path(resource) {
        let custom = context.template.resources.iter().find(|other| {
            other.metadata.get("aws:cdk:path").and_then(Value::as_str) == Some(path.as_str())
        });
        if let Some(custom) = custom {
            let policy = policy_from_custom_resource(custom)?;
            // A `null` policy falls back to the domain's property.
            if !policy.is_null() {
                return Ok(Some(policy));
            }
        }
    }
    Ok(get(&resource.properties, "AccessPolicies").cloned())
}

/// JavaScript's `value === undefined || value.length === 0`: absent, an empty list or an empty string. Other
/// values (an intrinsic object, a number) have no length and count as non-empty.
fn absent_or_empty(value: Option<&Value>) -> bool {
    match value {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::String(text)) => text.is_empty(),
        Some(_) => false,
    }
}

/// The statements of the domain's access policy, `None` when the rules fail for lack of them (no policy, no
/// `Statement`, or an empty one). A `Statement` that is not a list (a single statement object, an intrinsic)
/// cannot be iterated and throws.
fn policy_statements(
    resource: &Resource,
    context: &Context<'_>,
) -> Result<Option<Vec<Value>>, Thrown> {
    let Some(policy) = access_policy(resource, context)? else {
        return Ok(None);
    };
    let statements = get(&policy, "Statement");
    if absent_or_empty(statements) {
        return Ok(None);
    }
    let statements = for_of(statements, "Statement")?
        .into_iter()
        .map(|statement| statement.into_owned())
        .collect();
    Ok(Some(statements))
}

/// A statement's `Effect`; reading it from a null statement throws (when the loop reaches it).
fn effect(statement: &Value) -> Result<Option<&Value>, Thrown> {
    if statement.is_null() {
        return Err(Thrown(
            "a statement of the access policy is null, so the rule cannot read its `Effect`"
                .to_owned(),
        ));
    }
    Ok(get(statement, "Effect"))
}

fn allowlisted_ips(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(statements) = policy_statements(resource, context)? else {
        return Ok(Outcome::NonCompliant);
    };
    let allow = Value::from("Allow");
    for statement in &statements {
        if !strict_eq(effect(statement)?, &allow) {
            continue;
        }
        // Only `aws:sourceIp` in this spelling; an intrinsic list has no length and counts as non-empty.
        if absent_or_empty(get(statement, "Condition.IpAddress.aws:sourceIp")) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn no_unsigned_or_anonymous_access(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(statements) = policy_statements(resource, context)? else {
        return Ok(Outcome::NonCompliant);
    };
    let allow = Value::from("Allow");
    for statement in &statements {
        if !loose_eq(effect(statement)?, &allow) {
            continue;
        }
        // A `*` anywhere in the principal's JSON text, an ARN pattern included.
        let principal = get(statement, "Principal");
        if truthy(principal)
            && principal.is_some_and(|principal| json_text(principal).contains('*'))
        {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}
