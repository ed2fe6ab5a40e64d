//! Checks for Neptune DB clusters and instances: Multi-AZ placement, automatic minor version upgrades, backup
//! retention, encryption at rest and IAM database authentication.

use serde_json::Value;

use crate::rules::value::{get, js_number, primitive, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const CLUSTER: &[&str] = &["AWS::Neptune::DBCluster"];
const INSTANCE: &[&str] = &["AWS::Neptune::DBInstance"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "NeptuneClusterMultiAZ",
        resource_types: CLUSTER,
        problem: "The Neptune cluster is not set up to span several Availability Zones",
        fix: "Set `DBSubnetGroupName` to a subnet group covering at least two zones, and list at least two zones in `AvailabilityZones` if you set it",
        eval: multi_az,
    },
    Check {
        name: "NeptuneClusterAutomaticMinorVersionUpgrade",
        resource_types: INSTANCE,
        problem: "The Neptune instance does not apply minor engine upgrades automatically, so it misses security patches",
        fix: "Set `AutoMinorVersionUpgrade: true`",
        eval: automatic_minor_version_upgrade,
    },
    Check {
        name: "NeptuneClusterBackupRetentionPeriod",
        resource_types: CLUSTER,
        problem: "The Neptune cluster keeps automated backups for less than a week",
        fix: "Set `BackupRetentionPeriod` to `7` or more days",
        eval: backup_retention_period,
    },
    Check {
        name: "NeptuneClusterEncryptionAtRest",
        resource_types: CLUSTER,
        problem: "The Neptune cluster storage is not encrypted at rest",
        fix: "Set `StorageEncrypted: true` and, preferably, `KmsKeyId` to a customer managed key",
        eval: encryption_at_rest,
    },
    Check {
        name: "NeptuneClusterIAMAuth",
        resource_types: CLUSTER,
        problem: "The Neptune cluster does not use IAM database authentication",
        fix: "Set `IamAuthEnabled: true`",
        eval: iam_auth,
    },
];

/// JavaScript's `.length` of a value: the items of a list, the UTF-16 units of a string, nothing for an object
/// (an intrinsic), whose `length` is undefined and never compares below a number.
fn js_length(value: &Value) -> Option<usize> {
    match value {
        Value::Array(items) => Some(items.len()),
        Value::String(text) => Some(text.encode_utf16().count()),
        _ => None,
    }
}

fn multi_az(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "DBSubnetGroupName").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let too_few_zones = get(properties, "AvailabilityZones")
        .and_then(js_length)
        .is_some_and(|count| count < 2);
    Ok(verdict(!too_few_zones))
}

/// A Boolean property that must be present and truthy (‡).
fn flag_on(resource: &Resource, flag: &str, context: &Context<'_>) -> Verdict {
    let value = primitive(&resource.properties, flag, Kind::Boolean, context)?;
    Ok(verdict(truthy(value.as_ref())))
}

fn automatic_minor_version_upgrade(resource: &Resource, context: &Context<'_>) -> Verdict {
    flag_on(resource, "AutoMinorVersionUpgrade", context)
}

fn backup_retention_period(resource: &Resource, context: &Context<'_>) -> Verdict {
    let days = primitive(
        &resource.properties,
        "BackupRetentionPeriod",
        Kind::Number,
        context,
    )?;
    // JavaScript `days < 7`: a non-numeric string is NaN and does not compare, so it passes.
    let fail = match &days {
        None => true,
        Some(value) => js_number(value).is_some_and(|days| days < 7.0),
    };
    Ok(verdict(!fail))
}

fn encryption_at_rest(resource: &Resource, context: &Context<'_>) -> Verdict {
    flag_on(resource, "StorageEncrypted", context)
}

fn iam_auth(resource: &Resource, context: &Context<'_>) -> Verdict {
    flag_on(resource, "IamAuthEnabled", context)
}
