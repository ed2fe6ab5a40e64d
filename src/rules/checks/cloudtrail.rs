//! Checks for CloudTrail trails: delivery to CloudWatch Logs, encryption, log file validation.

use crate::rules::value::{get, loose_eq, primitive, verdict, Kind};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

const TRAIL: &[&str] = &["AWS::CloudTrail::Trail"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "CloudTrailCloudWatchLogsEnabled",
        resource_types: TRAIL,
        problem: "The trail does not deliver its events to CloudWatch Logs, so API activity cannot be searched or alarmed on",
        fix: "Set `CloudWatchLogsLogGroupArn` and `CloudWatchLogsRoleArn` to a log group and a role CloudTrail can write with",
        eval: cloud_watch_logs_enabled,
    },
    Check {
        name: "CloudTrailEncryptionEnabled",
        resource_types: TRAIL,
        problem: "The trail's log files are not encrypted with a KMS key",
        fix: "Set `KMSKeyId` to a customer managed key whose policy lets CloudTrail encrypt",
        eval: encryption_enabled,
    },
    Check {
        name: "CloudTrailLogFileValidationEnabled",
        resource_types: TRAIL,
        problem: "Log file validation is off, so tampering with delivered log files would go unnoticed",
        fix: "Set `EnableLogFileValidation: true`",
        eval: log_file_validation_enabled,
    },
];

fn cloud_watch_logs_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(&resource.properties, "CloudWatchLogsLogGroupArn").is_some(),
    ))
}

fn encryption_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "KMSKeyId").is_some()))
}

fn log_file_validation_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let value = primitive(
        &resource.properties,
        "EnableLogFileValidation",
        Kind::Boolean,
        context,
    )?;
    // cdk-nag compares loosely with `true`, so `1` passes too.
    Ok(verdict(loose_eq(
        value.as_ref(),
        &serde_json::Value::Bool(true),
    )))
}
