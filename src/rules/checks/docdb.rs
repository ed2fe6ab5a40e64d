//! Checks for DocumentDB clusters: encryption at rest, a non-default port, credentials from Secrets Manager,
//! backup retention and log exports to CloudWatch Logs.

use serde_json::Value;

use crate::rules::value::{coerce, get, js_number, loose_eq, primitive, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CLUSTER: &[&str] = &["AWS::DocDB::DBCluster"];

/// The log exports cdk-nag requires, in its order (the order of the findings). They are not DocumentDB's real
/// export names (`audit`, `profiler`), so in practice the rule fails unless suppressed.
const REQUIRED_EXPORTS: &[&str] = &["authenticate", "createIndex", "dropCollection"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "DocumentDBClusterEncryptionAtRest",
        resource_types: CLUSTER,
        problem: "The DocumentDB cluster storage is not encrypted at rest",
        fix: "Set `StorageEncrypted: true` and, preferably, `KmsKeyId` to a customer managed key",
        eval: encryption_at_rest,
    },
    Check {
        name: "DocumentDBClusterNonDefaultPort",
        resource_types: CLUSTER,
        problem: "The DocumentDB cluster listens on the well-known default port 27017",
        fix: "Set `Port` to a port other than `27017`",
        eval: non_default_port,
    },
    Check {
        name: "DocumentDBCredentialsInSecretsManager",
        resource_types: CLUSTER,
        problem: "The DocumentDB master user name or password is not taken from Secrets Manager",
        fix: "Set `MasterUsername` and `MasterUserPassword` to `{{resolve:secretsmanager:...}}` dynamic references to a secret",
        eval: credentials_in_secrets_manager,
    },
    Check {
        name: "DocumentDBClusterBackupRetentionPeriod",
        resource_types: CLUSTER,
        problem: "The DocumentDB cluster keeps automated backups for less than a week",
        fix: "Set `BackupRetentionPeriod` to `7` or more days",
        eval: backup_retention_period,
    },
    Check {
        name: "DocumentDBClusterLogExports",
        resource_types: CLUSTER,
        problem: "The DocumentDB cluster does not export the log types cdk-nag requires to CloudWatch Logs",
        fix: "List `authenticate`, `createIndex` and `dropCollection` in `EnableCloudwatchLogsExports`, or suppress the findings for the real export names",
        eval: log_exports,
    },
];

fn encryption_at_rest(resource: &Resource, context: &Context<'_>) -> Verdict {
    let encrypted = primitive(
        &resource.properties,
        "StorageEncrypted",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(truthy(encrypted.as_ref())))
}

fn non_default_port(resource: &Resource, context: &Context<'_>) -> Verdict {
    let port = primitive(&resource.properties, "Port", Kind::Number, context)?;
    let fail = port.is_none() || loose_eq(port.as_ref(), &Value::from(27017));
    Ok(verdict(!fail))
}

/// `value.includes('{{resolve:secretsmanager')` on a literal (‡) string; absent cannot be searched, which
/// cdk-nag reports as an error.
fn from_secrets_manager(value: Option<&Value>, name: &str) -> Result<bool, Thrown> {
    match value {
        Some(Value::String(text)) => Ok(text.contains("{{resolve:secretsmanager")),
        Some(other) => Err(Thrown(format!(
            "`{name}` is {other}, not a string the rule can search"
        ))),
        None => Err(Thrown(format!(
            "the cluster has no `{name}`, which the rule searches unconditionally"
        ))),
    }
}

fn credentials_in_secrets_manager(resource: &Resource, context: &Context<'_>) -> Verdict {
    // Both are resolved (and may throw) before either is searched; the password is searched only when the
    // user name passes.
    let username = primitive(
        &resource.properties,
        "MasterUsername",
        Kind::String,
        context,
    )?;
    let password = primitive(
        &resource.properties,
        "MasterUserPassword",
        Kind::String,
        context,
    )?;
    if !from_secrets_manager(username.as_ref(), "MasterUsername")? {
        return Ok(Outcome::NonCompliant);
    }
    Ok(verdict(from_secrets_manager(
        password.as_ref(),
        "MasterUserPassword",
    )?))
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

/// One `LogExport::<type>` finding per required export the list does not contain (case-sensitive). The list
/// is read unresolved: absent is an empty list, a non-list value contains nothing, and an intrinsic entry never
/// equals a name.
fn log_exports(resource: &Resource, _: &Context<'_>) -> Verdict {
    let exports: Vec<Value> = match get(&resource.properties, "EnableCloudwatchLogsExports") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| coerce(item, Kind::String))
            .collect(),
        _ => Vec::new(),
    };
    let findings: Vec<String> = REQUIRED_EXPORTS
        .iter()
        .filter(|log| !exports.iter().any(|item| item.as_str() == Some(**log)))
        .map(|log| format!("LogExport::{log}"))
        .collect();
    Ok(if findings.is_empty() {
        Outcome::Compliant
    } else {
        Outcome::Findings(findings)
    })
}
