//! Checks for RDS DB instances and clusters: minor version upgrades, enhanced monitoring, automated backups,
//! deletion protection, Multi-AZ, public access, log exports to CloudWatch Logs, storage encryption,
//! non-default ports, IAM database authentication, backtracking and log exports of Aurora MySQL, and DB
//! security groups open to the internet.
//!
//! Several checks exempt Aurora instances by looking for `aurora` in the engine name, each in its own way
//! (literal-only engine, or the raw value where an intrinsic never names Aurora); the helpers below keep
//! those differences explicit.

use std::borrow::Cow;

use serde_json::Value;

use crate::rules::value::{
    coerce, for_of, get, js_number, loose_eq, primitive, read, resolve_primitive, strict_eq,
    truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const INSTANCE: &[&str] = &["AWS::RDS::DBInstance"];
const CLUSTER: &str = "AWS::RDS::DBCluster";
const CLUSTER_AND_INSTANCE: &[&str] = &["AWS::RDS::DBCluster", "AWS::RDS::DBInstance"];
const INSTANCE_AND_CLUSTER: &[&str] = &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "RDSAutomaticMinorVersionUpgradeEnabled",
        resource_types: INSTANCE,
        problem: "The DB instance has automatic minor version upgrades turned off, so security patches are not applied during maintenance windows",
        fix: "Remove `AutoMinorVersionUpgrade` or set it to `true`",
        eval: automatic_minor_version_upgrade,
    },
    Check {
        name: "RDSEnhancedMonitoringEnabled",
        resource_types: INSTANCE,
        problem: "The DB instance does not collect enhanced monitoring metrics from its operating system",
        fix: "Set `MonitoringInterval` to 1, 5, 10, 15, 30 or 60 and `MonitoringRoleArn` to a role RDS can assume",
        eval: enhanced_monitoring,
    },
    Check {
        name: "RDSInstanceBackupEnabled",
        resource_types: INSTANCE,
        problem: "The DB instance has automated backups turned off, so its data cannot be restored to a point in time",
        fix: "Set `BackupRetentionPeriod` to a number of days between 1 and 35, or remove it to keep the default",
        eval: instance_backup,
    },
    Check {
        name: "RDSInstanceDeletionProtectionEnabled",
        resource_types: CLUSTER_AND_INSTANCE,
        problem: "The database can be deleted in one call because deletion protection is off",
        fix: "Set `DeletionProtection: true`",
        eval: deletion_protection,
    },
    Check {
        name: "RDSMultiAZSupport",
        resource_types: INSTANCE,
        problem: "The non-Aurora DB instance runs in a single Availability Zone, so a zone failure takes it down",
        fix: "Set `MultiAZ: true`",
        eval: multi_az,
    },
    Check {
        name: "RDSInstancePublicAccess",
        resource_types: INSTANCE,
        problem: "The DB instance is not explicitly kept off the internet, so it may get a public address",
        fix: "Set `PubliclyAccessible: false`",
        eval: instance_public_access,
    },
    Check {
        name: "RDSLoggingEnabled",
        resource_types: INSTANCE_AND_CLUSTER,
        problem: "The database does not export every log type its engine offers to CloudWatch Logs",
        fix: "List every log type of the engine (for example `audit`, `error`, `general`, `slowquery` for MySQL) in `EnableCloudwatchLogsExports`",
        eval: logging,
    },
    Check {
        name: "RDSStorageEncrypted",
        resource_types: CLUSTER_AND_INSTANCE,
        problem: "The database storage is not encrypted at rest",
        fix: "Set `StorageEncrypted: true` and, preferably, `KmsKeyId` to a customer managed key",
        eval: storage_encrypted,
    },
    Check {
        name: "AuroraMySQLPostgresIAMAuth",
        resource_types: &[CLUSTER],
        problem: "The Aurora cluster does not accept IAM database authentication, so access relies on long-lived database passwords",
        fix: "Set `EnableIAMDatabaseAuthentication: true`",
        eval: aurora_iam_auth,
    },
    Check {
        name: "RDSRestrictedInbound",
        resource_types: &["AWS::RDS::DBSecurityGroup", "AWS::RDS::DBSecurityGroupIngress"],
        problem: "A DB security group ingress rule accepts connections from every IPv4 address (`/0`)",
        fix: "Narrow `CIDRIP` to the networks that need the database, or authorise an EC2 security group instead",
        eval: restricted_inbound,
    },
    Check {
        name: "RDSNonDefaultPort",
        resource_types: CLUSTER_AND_INSTANCE,
        problem: "The database listens on its engine's default port, the first one scanners try",
        fix: "Set `Port` to a port other than the engine default (3306, 5432, 1521 or 1433)",
        eval: non_default_port,
    },
    Check {
        name: "AuroraMySQLBacktrack",
        resource_types: &[CLUSTER],
        problem: "The Aurora MySQL cluster cannot be rewound with backtracking",
        fix: "Set `BacktrackWindow` to a number of seconds greater than 0 (up to 259200)",
        eval: aurora_backtrack,
    },
    Check {
        name: "AuroraMySQLLogging",
        resource_types: &[CLUSTER],
        problem: "The Aurora MySQL Serverless cluster does not export all its logs (audit, error, general, slow query) to CloudWatch Logs",
        fix: "List `audit`, `error`, `general` and `slowquery` in `EnableCloudwatchLogsExports`",
        eval: aurora_mysql_logging,
    },
];

fn is_cluster(resource: &Resource) -> bool {
    resource.resource_type == CLUSTER
}

/// cdk-nag's `engine == undefined || !engine.toLowerCase().includes('aurora')` on a literal-only engine.
fn literal_engine_not_aurora(engine: Option<&Value>) -> Result<bool, Thrown> {
    match engine {
        None => Ok(true),
        Some(Value::String(text)) => Ok(!text.to_lowercase().contains("aurora")),
        Some(other) => Err(Thrown(format!(
            "the engine {other} is not a string, so it cannot be lower-cased"
        ))),
    }
}

/// The same test on the raw (unresolved) `Engine`: CDK hands a rule an intrinsic on a String property as a
/// token string such as `${Token[TOKEN.12]}`, which lower-cases fine and never contains `aurora`.
fn raw_engine_not_aurora(properties: &Value, context: &Context<'_>) -> bool {
    let Some(engine) = get(properties, "Engine") else {
        return true;
    };
    match resolve_primitive(engine, Kind::String, context) {
        Ok(Value::String(text)) => !text.to_lowercase().contains("aurora"),
        _ => true,
    }
}

fn automatic_minor_version_upgrade(resource: &Resource, context: &Context<'_>) -> Verdict {
    let upgrade = primitive(
        &resource.properties,
        "AutoMinorVersionUpgrade",
        Kind::Boolean,
        context,
    )?;
    // Only an explicit `false` fails; absent means the default (on).
    Ok(verdict(!strict_eq(upgrade.as_ref(), &Value::Bool(false))))
}

fn enhanced_monitoring(resource: &Resource, context: &Context<'_>) -> Verdict {
    let interval = primitive(
        &resource.properties,
        "MonitoringInterval",
        Kind::Number,
        context,
    )?;
    // JavaScript `<= 0`: a non-numeric string is NaN and does not compare, so it passes.
    let off = match &interval {
        None => true,
        Some(value) => js_number(value).is_some_and(|number| number <= 0.0),
    };
    Ok(verdict(!off))
}

fn instance_backup(resource: &Resource, context: &Context<'_>) -> Verdict {
    let retention = primitive(
        &resource.properties,
        "BackupRetentionPeriod",
        Kind::Number,
        context,
    )?;
    let off = retention
        .as_ref()
        .is_some_and(|value| js_number(value).is_some_and(|number| number <= 0.0));
    Ok(verdict(!off))
}

/// `DeletionProtection` or `StorageEncrypted` of a cluster: absent fails, then a literal loosely equal to
/// `false` fails.
fn cluster_flag_on(resource: &Resource, flag: &str, context: &Context<'_>) -> Verdict {
    if get(&resource.properties, flag).is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let value = primitive(&resource.properties, flag, Kind::Boolean, context)?;
    Ok(verdict(!loose_eq(value.as_ref(), &Value::Bool(false))))
}

/// `false` (loosely) or absent.
fn flag_off(value: Option<&Value>) -> bool {
    value.is_none() || loose_eq(value, &Value::Bool(false))
}

fn deletion_protection(resource: &Resource, context: &Context<'_>) -> Verdict {
    if is_cluster(resource) {
        return cluster_flag_on(resource, "DeletionProtection", context);
    }
    let protection = primitive(
        &resource.properties,
        "DeletionProtection",
        Kind::Boolean,
        context,
    )?;
    let engine = primitive(&resource.properties, "Engine", Kind::String, context)?;
    let fail = flag_off(protection.as_ref()) && literal_engine_not_aurora(engine.as_ref())?;
    Ok(verdict(!fail))
}

fn multi_az(resource: &Resource, context: &Context<'_>) -> Verdict {
    let multi_az = primitive(&resource.properties, "MultiAZ", Kind::Boolean, context)?;
    let engine = primitive(&resource.properties, "Engine", Kind::String, context)?;
    let fail = !truthy(multi_az.as_ref()) && literal_engine_not_aurora(engine.as_ref())?;
    Ok(verdict(!fail))
}

fn instance_public_access(resource: &Resource, context: &Context<'_>) -> Verdict {
    let public = primitive(
        &resource.properties,
        "PubliclyAccessible",
        Kind::Boolean,
        context,
    )?;
    // Only an explicit `false` passes: absent means the default, which depends on the subnets.
    Ok(verdict(strict_eq(public.as_ref(), &Value::Bool(false))))
}

fn storage_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    if is_cluster(resource) {
        return cluster_flag_on(resource, "StorageEncrypted", context);
    }
    let encrypted = primitive(
        &resource.properties,
        "StorageEncrypted",
        Kind::Boolean,
        context,
    )?;
    let fail = flag_off(encrypted.as_ref()) && raw_engine_not_aurora(&resource.properties, context);
    Ok(verdict(!fail))
}

const MYSQL_LOGS: &[&str] = &["audit", "error", "general", "slowquery"];
const POSTGRES_LOGS: &[&str] = &["postgresql", "upgrade"];
const ORACLE_LOGS: &[&str] = &["audit", "alert", "listener", "oemagent", "trace"];
const SQLSERVER_LOGS: &[&str] = &["agent", "error"];
const AURORA_POSTGRES_LOGS: &[&str] = &["postgresql"];

fn logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let needed = if is_cluster(resource) {
        cluster_logs_needed(resource, context)?
    } else {
        match instance_logs_needed(resource, context)? {
            Some(needed) => needed,
            None => return Ok(Outcome::NotApplicable),
        }
    };
    missing_exports(resource, needed)
}

/// The log types a DB instance must export, by a case-sensitive search in `String(Engine)` (absent reads as
/// `undefined`); `None` for Aurora instances, which export their logs through the cluster.
fn instance_logs_needed(
    resource: &Resource,
    context: &Context<'_>,
) -> Result<Option<&'static [&'static str]>, Thrown> {
    let engine = primitive(&resource.properties, "Engine", Kind::String, context)?;
    let engine = match engine {
        None => "undefined".to_owned(),
        Some(Value::String(text)) => text,
        Some(other) => other.to_string(),
    };
    if engine.contains("aurora") {
        return Ok(None);
    }
    Ok(Some(
        if engine.contains("mariadb") || engine.contains("mysql") {
            MYSQL_LOGS
        } else if engine.contains("postgres") {
            POSTGRES_LOGS
        } else if engine.contains("oracle") {
            ORACLE_LOGS
        } else if engine.contains("sqlserver") {
            SQLSERVER_LOGS
        } else {
            &[]
        },
    ))
}

/// The log types an Aurora cluster must export, by exact lower-cased engine; an absent engine cannot be
/// lower-cased, which cdk-nag reports as an error.
fn cluster_logs_needed(
    resource: &Resource,
    context: &Context<'_>,
) -> Result<&'static [&'static str], Thrown> {
    let engine = primitive(&resource.properties, "Engine", Kind::String, context)?;
    let Some(Value::String(engine)) = engine else {
        return Err(Thrown(
            "the cluster has no `Engine` to lower-case, so the rule could not decide".to_owned(),
        ));
    };
    Ok(match engine.to_lowercase().as_str() {
        "aurora" | "aurora-mysql" => MYSQL_LOGS,
        "aurora-postgresql" => AURORA_POSTGRES_LOGS,
        _ => &[],
    })
}

/// One `LogExport::<type>` finding per needed log type that `EnableCloudwatchLogsExports` does not list
/// (elements compared strictly, so an intrinsic element never counts). A non-list value cannot be searched,
/// which cdk-nag reports as an error, but only when something is needed.
fn missing_exports(resource: &Resource, needed: &[&str]) -> Verdict {
    if needed.is_empty() {
        return Ok(Outcome::Compliant);
    }
    let exports: Vec<Value> = match get(&resource.properties, "EnableCloudwatchLogsExports") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| coerce(item, Kind::String))
            .collect(),
        Some(other) => {
            return Err(Thrown(format!(
                "`EnableCloudwatchLogsExports` is {other}, not a list the rule can search"
            )))
        }
    };
    let findings: Vec<String> = needed
        .iter()
        .filter(|log| !exports.iter().any(|item| item.as_str() == Some(*log)))
        .map(|log| format!("LogExport::{log}"))
        .collect();
    Ok(if findings.is_empty() {
        Outcome::Compliant
    } else {
        Outcome::Findings(findings)
    })
}

/// A literal-only property, lower-cased as cdk-nag does with `resolveIfPrimitive(...).toLowerCase()`: an
/// absent value cannot be lower-cased, which throws.
fn lowered(properties: &Value, path: &str, context: &Context<'_>) -> Result<String, Thrown> {
    match primitive(properties, path, Kind::String, context)? {
        Some(Value::String(text)) => Ok(text.to_lowercase()),
        _ => Err(Thrown(format!(
            "`{path}` is absent, so cdk-nag's `toLowerCase` throws"
        ))),
    }
}

/// `EngineMode` lower-cased when present; `None` when absent.
fn lowered_mode(properties: &Value, context: &Context<'_>) -> Result<Option<String>, Thrown> {
    match get(properties, "EngineMode") {
        None => Ok(None),
        Some(_) => lowered(properties, "EngineMode", context).map(Some),
    }
}

fn aurora_iam_auth(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // `!node.engine` on the raw value: absent or empty does not apply; an intrinsic is a token string.
    if !truthy(read(properties, "Engine", Kind::String).as_ref()) {
        return Ok(Outcome::NotApplicable);
    }
    if raw_engine_not_aurora(properties, context) {
        return Ok(Outcome::Compliant);
    }
    cluster_flag_on(resource, "EnableIAMDatabaseAuthentication", context)
}

fn restricted_inbound(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let rules = if resource.resource_type == "AWS::RDS::DBSecurityGroupIngress" {
        vec![Cow::Borrowed(properties)]
    } else {
        match get(properties, "DBSecurityGroupIngress") {
            None => Vec::new(),
            rules => for_of(rules, "DBSecurityGroupIngress")?,
        }
    };
    for rule in rules {
        if rule.is_null() {
            return Err(Thrown(
                "a `DBSecurityGroupIngress` entry is null".to_owned(),
            ));
        }
        let cidr = primitive(&rule, "CIDRIP", Kind::String, context)?;
        if matches!(&cidr, Some(Value::String(text)) if text.contains("/0")) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn non_default_port(resource: &Resource, context: &Context<'_>) -> Verdict {
    if is_cluster(resource) {
        cluster_non_default_port(&resource.properties, context)
    } else {
        instance_non_default_port(&resource.properties, context)
    }
}

/// JavaScript `port == number`.
fn port_is(port: Option<&Value>, number: i64) -> bool {
    loose_eq(port, &Value::from(number))
}

fn cluster_non_default_port(properties: &Value, context: &Context<'_>) -> Verdict {
    if get(properties, "Port").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let port = primitive(properties, "Port", Kind::Number, context)?;
    let port = port.as_ref();
    let engine = lowered(properties, "Engine", context)?;
    let mode = lowered_mode(properties, context)?;
    let fail = match mode.as_deref() {
        // Provisioned clusters: any Aurora engine on 3306, so aurora-postgresql on 5432 passes.
        None | Some("provisioned") => engine.contains("aurora") && port_is(port, 3306),
        _ => {
            ((engine == "aurora" || engine == "aurora-mysql") && port_is(port, 3306))
                || (engine == "aurora-postgresql" && port_is(port, 5432))
        }
    };
    Ok(verdict(!fail))
}

fn instance_non_default_port(properties: &Value, context: &Context<'_>) -> Verdict {
    if get(properties, "Engine").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let port = primitive(properties, "Port", Kind::String, context)?;
    let engine = lowered(properties, "Engine", context)?;
    let Some(port) = port else {
        // Aurora instances take the cluster's port.
        return Ok(verdict(engine.contains("aurora")));
    };
    let port = Some(&port);
    let fail = ((engine == "mariadb" || engine == "mysql") && port_is(port, 3306))
        || (engine == "postgres" && port_is(port, 5432))
        || (engine.contains("oracle") && port_is(port, 1521))
        || (engine.contains("sqlserver") && port_is(port, 1433));
    Ok(verdict(!fail))
}

fn aurora_backtrack(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // Both are resolved first, so an intrinsic in either throws whatever the engine.
    let engine = lowered(properties, "Engine", context)?;
    let window = primitive(properties, "BacktrackWindow", Kind::Number, context)?;
    if engine != "aurora" && engine != "aurora-mysql" {
        return Ok(Outcome::Compliant);
    }
    Ok(verdict(window.is_some() && !port_is(window.as_ref(), 0)))
}

fn aurora_mysql_logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // The engine is lower-cased before anything else: absent or an intrinsic throws on every cluster.
    let engine = lowered(properties, "Engine", context)?;
    let mode = lowered_mode(properties, context)?;
    let serverless_mysql =
        mode.as_deref() == Some("serverless") && (engine == "aurora" || engine == "aurora-mysql");
    if !serverless_mysql {
        return Ok(Outcome::Compliant);
    }
    missing_exports(resource, MYSQL_LOGS)
}
