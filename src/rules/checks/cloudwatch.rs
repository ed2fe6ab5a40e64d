//! Checks for CloudWatch: alarms that act when they change state, and log groups that are encrypted with a KMS
//! key and have a retention period.

use serde_json::Value;

use crate::rules::value::{get, read, strict_eq, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const LOG_GROUP: &[&str] = &["AWS::Logs::LogGroup"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "CloudWatchAlarmAction",
        resource_types: &["AWS::CloudWatch::Alarm"],
        problem: "The alarm notifies nobody and triggers nothing when its state changes",
        fix: "Keep `ActionsEnabled` true and add at least one target to `AlarmActions`, `OKActions` or `InsufficientDataActions`",
        eval: alarm_action,
    },
    Check {
        name: "CloudWatchLogGroupEncrypted",
        resource_types: LOG_GROUP,
        problem: "The log group is not encrypted with a KMS key under your control",
        fix: "Set `KmsKeyId` to the ARN of a KMS key whose policy allows the CloudWatch Logs service principal",
        eval: log_group_encrypted,
    },
    Check {
        name: "CloudWatchLogGroupRetentionPeriod",
        resource_types: LOG_GROUP,
        problem: "The log group has no retention period, so how long its logs are kept is not decided",
        fix: "Set `RetentionInDays` to the retention period your records policy requires",
        eval: log_group_retention_period,
    },
];

/// JavaScript's `value ? value.length : 0`: falsy values count 0, lists and strings their length, and anything
/// else (an intrinsic object standing for a list) has no length: `None`, which makes the sum NaN.
fn action_count(value: Option<&Value>) -> Option<usize> {
    if !truthy(value) {
        return Some(0);
    }
    match value {
        Some(Value::Array(items)) => Some(items.len()),
        Some(Value::String(text)) => Some(text.encode_utf16().count()),
        _ => None,
    }
}

fn alarm_action(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let enabled = read(properties, "ActionsEnabled", Kind::Boolean);
    if strict_eq(enabled.as_ref(), &Value::Bool(false)) {
        return Ok(Outcome::NonCompliant);
    }
    let counts = ["AlarmActions", "InsufficientDataActions", "OKActions"]
        .map(|name| action_count(get(properties, name)));
    // Quirk kept from cdk-nag: a list given as an intrinsic has no length, the sum is NaN, and NaN is not 0.
    let total: Option<usize> = counts.into_iter().sum();
    Ok(verdict(total != Some(0)))
}

fn log_group_encrypted(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "KmsKeyId").is_some()))
}

fn log_group_retention_period(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(&resource.properties, "RetentionInDays").is_some(),
    ))
}
