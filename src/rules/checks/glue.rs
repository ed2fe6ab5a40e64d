//! Checks for Glue crawlers and jobs: the security configuration they name (an
//! `AWS::Glue::SecurityConfiguration` of the same template, found by logical ID or `Name`) encrypts CloudWatch
//! Logs with SSE-KMS and job bookmarks with CSE-KMS.

use serde_json::Value;

use crate::rules::value::{coerce, get, primitive, reference, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Thrown, Verdict};
use crate::template::Resource;

const CRAWLER_AND_JOB: &[&str] = &["AWS::Glue::Crawler", "AWS::Glue::Job"];
const JOB: &[&str] = &["AWS::Glue::Job"];
const SECURITY_CONFIGURATION: &str = "AWS::Glue::SecurityConfiguration";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "GlueEncryptedCloudWatchLogs",
        resource_types: CRAWLER_AND_JOB,
        problem: "The crawler or job does not use a security configuration that encrypts its CloudWatch Logs with KMS",
        fix: "Point `CrawlerSecurityConfiguration` (crawler) or `SecurityConfiguration` (job) at a `AWS::Glue::SecurityConfiguration` in the same template with `CloudWatchEncryption.CloudWatchEncryptionMode: SSE-KMS`",
        eval: encrypted_cloud_watch_logs,
    },
    Check {
        name: "GlueJobBookmarkEncrypted",
        resource_types: JOB,
        problem: "The job does not use a security configuration that encrypts its job bookmarks with KMS",
        fix: "Point `SecurityConfiguration` at a `AWS::Glue::SecurityConfiguration` in the same template with `JobBookmarksEncryption.JobBookmarksEncryptionMode: CSE-KMS`",
        eval: job_bookmark_encrypted,
    },
];

/// What a matching security configuration must set: the section of `EncryptionConfiguration`, the mode
/// property inside it (‡) and the mode, compared strictly.
struct Required {
    section: &'static str,
    mode: &'static str,
    value: &'static str,
}

fn encrypted_cloud_watch_logs(resource: &Resource, context: &Context<'_>) -> Verdict {
    let property = if resource.resource_type == "AWS::Glue::Crawler" {
        "CrawlerSecurityConfiguration"
    } else {
        "SecurityConfiguration"
    };
    let required = Required {
        section: "CloudWatchEncryption",
        mode: "CloudWatchEncryptionMode",
        value: "SSE-KMS",
    };
    uses_security_configuration(resource, property, &required, context)
}

fn job_bookmark_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    let required = Required {
        section: "JobBookmarksEncryption",
        mode: "JobBookmarksEncryptionMode",
        value: "CSE-KMS",
    };
    uses_security_configuration(resource, "SecurityConfiguration", &required, context)
}

/// Passes when some security configuration of the template, in template order, matches `ref(property)` and
/// sets the required mode; the search stops at the first one that does. Absent property fails.
fn uses_security_configuration(
    resource: &Resource,
    property: &str,
    required: &Required,
    context: &Context<'_>,
) -> Verdict {
    let Some(value) = get(&resource.properties, property) else {
        return Ok(verdict(false));
    };
    let id = reference(&coerce(value, Kind::String));
    for candidate in context.resources_of_type(SECURITY_CONFIGURATION) {
        if matches(candidate, &id) && encrypts(candidate, required, context)? {
            return Ok(verdict(true));
        }
    }
    Ok(verdict(false))
}

/// cdk-nag's `logicalId === id || Name === id`: only a string equals, so an intrinsic `Name` (or an `id`
/// that is neither a `Ref` nor a `Fn::GetAtt`) never matches.
fn matches(candidate: &Resource, id: &Value) -> bool {
    let Value::String(id) = id else {
        return false;
    };
    let name = get(&candidate.properties, "Name").map(|name| coerce(name, Kind::String));
    candidate.logical_id == *id || strict_eq(name.as_ref(), &Value::String(id.clone()))
}

/// Whether a matching security configuration sets the required mode. cdk-nag reads the section of
/// `EncryptionConfiguration` without a guard, so a configuration without it throws.
fn encrypts(
    candidate: &Resource,
    required: &Required,
    context: &Context<'_>,
) -> Result<bool, Thrown> {
    let encryption = get(&candidate.properties, "EncryptionConfiguration").ok_or_else(|| {
        Thrown(format!(
            "the security configuration `{}` has no `EncryptionConfiguration`, which the rule reads unconditionally",
            candidate.logical_id
        ))
    })?;
    let Some(section) = get(encryption, required.section) else {
        return Ok(false);
    };
    let mode = primitive(section, required.mode, Kind::String, context)?;
    Ok(strict_eq(mode.as_ref(), &Value::from(required.value)))
}
