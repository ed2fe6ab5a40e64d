//! Checks for Redshift clusters: automated snapshots, encryption with audit logging, maintenance settings,
//! public access, enhanced VPC routing, a subnet group, a non-default admin user name and port, audit logging,
//! encryption at rest, version upgrades, and TLS and user activity logging enforced through the cluster's
//! parameter group (a lookup of the `AWS::Redshift::ClusterParameterGroup` the cluster references by logical ID
//! in the same template).

use serde_json::Value;

use crate::rules::value::{
    coerce, for_of, get, loose_eq, primitive, read, reference, strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CLUSTER: &[&str] = &["AWS::Redshift::Cluster"];
const PARAMETER_GROUP: &str = "AWS::Redshift::ClusterParameterGroup";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "RedshiftBackupEnabled",
        resource_types: CLUSTER,
        problem: "The cluster keeps no automated snapshots, so its data cannot be restored after a failure",
        fix: "Set `AutomatedSnapshotRetentionPeriod` to a number of days between 1 and 35, or remove it to keep the default",
        eval: backup_enabled,
    },
    Check {
        name: "RedshiftClusterConfiguration",
        resource_types: CLUSTER,
        problem: "The cluster is not both encrypted at rest and writing audit logs",
        fix: "Set `Encrypted: true` and configure `LoggingProperties`",
        eval: cluster_configuration,
    },
    Check {
        name: "RedshiftClusterMaintenanceSettings",
        resource_types: CLUSTER,
        problem: "The cluster lacks safe maintenance settings: automated snapshots, version upgrades and an explicit maintenance window",
        fix: "Set `PreferredMaintenanceWindow`, keep `AllowVersionUpgrade` on and `AutomatedSnapshotRetentionPeriod` above 0",
        eval: maintenance_settings,
    },
    Check {
        name: "RedshiftClusterPublicAccess",
        resource_types: CLUSTER,
        problem: "The cluster is reachable from the internet",
        fix: "Remove `PubliclyAccessible` or set it to `false`",
        eval: cluster_public_access,
    },
    Check {
        name: "RedshiftEnhancedVPCRoutingEnabled",
        resource_types: CLUSTER,
        problem: "COPY and UNLOAD traffic of the cluster bypasses the VPC, out of reach of its security groups and flow logs",
        fix: "Set `EnhancedVpcRouting: true`",
        eval: enhanced_vpc_routing,
    },
    Check {
        name: "RedshiftRequireTlsSSL",
        resource_types: CLUSTER,
        problem: "The cluster accepts SQL connections without TLS because no parameter group of this template requires SSL for it",
        fix: "Set `ClusterParameterGroupName` to a `Ref` to an `AWS::Redshift::ClusterParameterGroup` of this template whose `Parameters` set `require_ssl` to `true`",
        eval: require_tls,
    },
    Check {
        name: "RedshiftClusterInVPC",
        resource_types: CLUSTER,
        problem: "The cluster names no subnet group, so it is not placed in subnets of a VPC you control",
        fix: "Set `ClusterSubnetGroupName` to an `AWS::Redshift::ClusterSubnetGroup` of private subnets",
        eval: cluster_in_vpc,
    },
    Check {
        name: "RedshiftClusterNonDefaultUsername",
        resource_types: CLUSTER,
        problem: "The cluster's admin user has the well-known default name `awsuser`",
        fix: "Set `MasterUsername` to a name other than `awsuser`",
        eval: non_default_username,
    },
    Check {
        name: "RedshiftClusterNonDefaultPort",
        resource_types: CLUSTER,
        problem: "The cluster listens on the default Redshift port 5439, the first one scanners try",
        fix: "Set `Port` to a port other than 5439",
        eval: non_default_port,
    },
    Check {
        name: "RedshiftClusterAuditLogging",
        resource_types: CLUSTER,
        problem: "The cluster does not write audit logs of connections and user activity",
        fix: "Set `LoggingProperties` with a `BucketName` (and `S3KeyPrefix`) for the audit logs",
        eval: audit_logging,
    },
    Check {
        name: "RedshiftClusterEncryptionAtRest",
        resource_types: CLUSTER,
        problem: "The cluster's data is not encrypted at rest",
        fix: "Set `Encrypted: true` and, preferably, `KmsKeyId` to a customer managed key",
        eval: encryption_at_rest,
    },
    Check {
        name: "RedshiftClusterVersionUpgrade",
        resource_types: CLUSTER,
        problem: "Major version upgrades are turned off, so the cluster misses engine fixes applied during maintenance",
        fix: "Remove `AllowVersionUpgrade` or set it to `true`",
        eval: version_upgrade,
    },
    Check {
        name: "RedshiftClusterUserActivityLogging",
        resource_types: CLUSTER,
        problem: "The cluster does not log user activity, because no parameter group of this template turns on `enable_user_activity_logging` for it",
        fix: "Set `ClusterParameterGroupName` to a `Ref` to an `AWS::Redshift::ClusterParameterGroup` of this template whose `Parameters` set `enable_user_activity_logging` to `\"true\"`",
        eval: user_activity_logging,
    },
];

/// `AutomatedSnapshotRetentionPeriod` present and loosely equal to 0 (absent keeps the default, 1 day).
fn snapshots_off(retention: Option<&Value>) -> bool {
    retention.is_some() && loose_eq(retention, &Value::from(0))
}

fn backup_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let retention = primitive(
        &resource.properties,
        "AutomatedSnapshotRetentionPeriod",
        Kind::Number,
        context,
    )?;
    Ok(verdict(!snapshots_off(retention.as_ref())))
}

fn cluster_configuration(resource: &Resource, context: &Context<'_>) -> Verdict {
    let encrypted = primitive(&resource.properties, "Encrypted", Kind::Boolean, context)?;
    let logging = get(&resource.properties, "LoggingProperties");
    Ok(verdict(truthy(encrypted.as_ref()) && logging.is_some()))
}

fn maintenance_settings(resource: &Resource, context: &Context<'_>) -> Verdict {
    let upgrade = primitive(
        &resource.properties,
        "AllowVersionUpgrade",
        Kind::Boolean,
        context,
    )?;
    let retention = primitive(
        &resource.properties,
        "AutomatedSnapshotRetentionPeriod",
        Kind::Number,
        context,
    )?;
    let fail = snapshots_off(retention.as_ref())
        || get(&resource.properties, "PreferredMaintenanceWindow").is_none()
        || strict_eq(upgrade.as_ref(), &Value::Bool(false));
    Ok(verdict(!fail))
}

fn cluster_public_access(resource: &Resource, context: &Context<'_>) -> Verdict {
    let public = primitive(
        &resource.properties,
        "PubliclyAccessible",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(!strict_eq(public.as_ref(), &Value::Bool(true))))
}

fn enhanced_vpc_routing(resource: &Resource, context: &Context<'_>) -> Verdict {
    let routing = primitive(
        &resource.properties,
        "EnhancedVpcRouting",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(strict_eq(routing.as_ref(), &Value::Bool(true))))
}

fn require_tls(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(group_name) = get(&resource.properties, "ClusterParameterGroupName") else {
        return Ok(Outcome::NonCompliant);
    };
    // ref(): a `Ref`/`GetAtt` gives the logical ID; a literal name stays a name and matches only a group whose
    // logical ID happens to equal it; any other intrinsic matches nothing.
    let Value::String(wanted) = reference(&coerce(group_name, Kind::String)) else {
        return Ok(Outcome::NonCompliant);
    };
    for group in context.resources_of_type(PARAMETER_GROUP) {
        if group.logical_id == wanted && requires_ssl(group)? {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

/// Whether a parameter group's `Parameters` set `require_ssl` to `true` (both lower-cased). A parameter whose
/// name or value cannot be lower-cased, or a `Parameters` that is not a list, makes the rule throw.
fn requires_ssl(group: &Resource) -> Result<bool, Thrown> {
    let Some(parameters) = get(&group.properties, "Parameters") else {
        return Ok(false);
    };
    let Value::Array(parameters) = parameters else {
        return Err(Thrown(format!(
            "`Parameters` of `{}` is not a list, so the rule could not search it",
            group.logical_id
        )));
    };
    for parameter in parameters {
        if lower_string(parameter, "ParameterName", group)? == "require_ssl"
            && lower_string(parameter, "ParameterValue", group)? == "true"
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A String field of a parameter, lower-cased; absent or an intrinsic cannot be lower-cased.
fn lower_string(parameter: &Value, field: &str, group: &Resource) -> Result<String, Thrown> {
    match get(parameter, field).map(|value| coerce(value, Kind::String)) {
        Some(Value::String(text)) => Ok(text.to_lowercase()),
        _ => Err(Thrown(format!(
            "a parameter of `{}` has no literal `{field}` to lower-case",
            group.logical_id
        ))),
    }
}

fn cluster_in_vpc(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Absent or the empty string fails; any other value, an intrinsic included, passes.
    let unset = match get(&resource.properties, "ClusterSubnetGroupName") {
        None => true,
        Some(name) => coerce(name, Kind::String) == "",
    };
    Ok(verdict(!unset))
}

fn non_default_username(resource: &Resource, context: &Context<'_>) -> Verdict {
    let user = primitive(
        &resource.properties,
        "MasterUsername",
        Kind::String,
        context,
    )?;
    Ok(verdict(!loose_eq(user.as_ref(), &Value::from("awsuser"))))
}

fn non_default_port(resource: &Resource, context: &Context<'_>) -> Verdict {
    let port = primitive(&resource.properties, "Port", Kind::Number, context)?;
    Ok(verdict(
        port.is_some() && !loose_eq(port.as_ref(), &Value::from(5439)),
    ))
}

fn audit_logging(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(&resource.properties, "LoggingProperties").is_some(),
    ))
}

fn encryption_at_rest(resource: &Resource, context: &Context<'_>) -> Verdict {
    let encrypted = primitive(&resource.properties, "Encrypted", Kind::Boolean, context)?;
    Ok(verdict(truthy(encrypted.as_ref())))
}

fn version_upgrade(resource: &Resource, context: &Context<'_>) -> Verdict {
    let upgrade = primitive(
        &resource.properties,
        "AllowVersionUpgrade",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(!strict_eq(upgrade.as_ref(), &Value::Bool(false))))
}

fn user_activity_logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(group_name) = get(&resource.properties, "ClusterParameterGroupName") else {
        return Ok(Outcome::NonCompliant);
    };
    // ref() of the name must equal a group's logical ID (`===`): a `Ref`/`GetAtt` to the group, or a literal
    // that happens to equal its logical ID. The first group that matches decides.
    let wanted = reference(&coerce(group_name, Kind::String));
    let Some(group) = context
        .resources_of_type(PARAMETER_GROUP)
        .find(|group| wanted == group.logical_id.as_str())
    else {
        return Ok(Outcome::NonCompliant);
    };
    Ok(verdict(logs_user_activity(group)?))
}

/// Whether a parameter group's `Parameters` set `enable_user_activity_logging` to `"true"`, both compared
/// exactly (case-sensitive). `Parameters` is walked with `for...of`, so an intrinsic list or a null entry
/// throws.
fn logs_user_activity(group: &Resource) -> Result<bool, Thrown> {
    let Some(parameters) = get(&group.properties, "Parameters") else {
        return Ok(false);
    };
    for parameter in for_of(Some(parameters), "Parameters")? {
        if parameter.is_null() {
            return Err(Thrown(format!(
                "a parameter of `{}` is null",
                group.logical_id
            )));
        }
        let name = read(&parameter, "ParameterName", Kind::String);
        let value = read(&parameter, "ParameterValue", Kind::String);
        if strict_eq(name.as_ref(), &Value::from("enable_user_activity_logging"))
            && strict_eq(value.as_ref(), &Value::from("true"))
        {
            return Ok(true);
        }
    }
    Ok(false)
}
