//! Checks for ElastiCache: Redis clusters and replication groups keep automatic snapshots for at least 15 days,
//! caches run inside a VPC on a non-default port, and Redis replication groups are encrypted at rest and in
//! transit, Multi-AZ, and protected by an AUTH token.

use serde_json::Value;

use crate::rules::value::{get, js_number, loose_eq, primitive, read, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CACHES: &[&str] = &[
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
];
const REPLICATION_GROUP: &[&str] = &["AWS::ElastiCache::ReplicationGroup"];

/// The shortest snapshot retention that passes, in days.
const MINIMUM_RETENTION_DAYS: f64 = 15.0;

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "ElastiCacheRedisClusterAutomaticBackup",
        resource_types: CACHES,
        problem: "The Redis cache keeps automatic snapshots for less than 15 days, or none at all",
        fix: "Set `SnapshotRetentionLimit` to 15 or more",
        eval: redis_cluster_automatic_backup,
    },
    Check {
        name: "ElastiCacheClusterInVPC",
        resource_types: CACHES,
        problem: "The cache names no subnet group, so it is not placed in subnets of a VPC you control",
        fix: "Set `CacheSubnetGroupName` to an `AWS::ElastiCache::SubnetGroup` of private subnets",
        eval: cluster_in_vpc,
    },
    Check {
        name: "ElastiCacheRedisClusterEncryption",
        resource_types: REPLICATION_GROUP,
        problem: "The replication group does not encrypt its data both at rest and in transit",
        fix: "Set `AtRestEncryptionEnabled: true` and `TransitEncryptionEnabled: true`",
        eval: redis_cluster_encryption,
    },
    Check {
        name: "ElastiCacheRedisClusterMultiAZ",
        resource_types: REPLICATION_GROUP,
        problem: "The replication group does not fail over to a replica in another Availability Zone",
        fix: "Set `MultiAZEnabled: true` (with `AutomaticFailoverEnabled: true` and at least one replica)",
        eval: redis_cluster_multi_az,
    },
    Check {
        name: "ElastiCacheClusterNonDefaultPort",
        resource_types: CACHES,
        problem: "The cache does not set a port other than its engine's default (6379 for Redis, 11211 for Memcached)",
        fix: "Set `Port` to a port other than the engine default",
        eval: cluster_non_default_port,
    },
    Check {
        name: "ElastiCacheRedisClusterRedisAuth",
        resource_types: REPLICATION_GROUP,
        problem: "The replication group has no AUTH token, so any client that reaches it can run commands",
        fix: "Set `AuthToken` to a dynamic reference to a Secrets Manager secret (`{{resolve:secretsmanager:...}}`), with `TransitEncryptionEnabled: true`",
        eval: redis_cluster_auth,
    },
];

/// Whether `SnapshotRetentionLimit` is absent or below the minimum (JavaScript `<`: a non-numeric value is
/// never below).
fn retention_too_short(properties: &Value, context: &Context<'_>) -> Result<bool, Thrown> {
    let retention = primitive(properties, "SnapshotRetentionLimit", Kind::Number, context)?;
    Ok(match retention {
        None => true,
        Some(days) => js_number(&days).is_some_and(|days| days < MINIMUM_RETENTION_DAYS),
    })
}

/// Whether a cache cluster runs Redis: its raw `Engine`, lower-cased, is `redis`. cdk-nag lower-cases the value
/// before resolving it, so an intrinsic never matches; a missing `Engine` throws.
fn is_redis(properties: &Value) -> Result<bool, Thrown> {
    match get(properties, "Engine") {
        None => Err(Thrown(
            "the cache cluster has no `Engine`, which the rule lower-cases unconditionally"
                .to_owned(),
        )),
        Some(Value::String(engine)) => Ok(engine.to_lowercase() == "redis"),
        Some(_) => Ok(false),
    }
}

fn redis_cluster_automatic_backup(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let redis = if resource.resource_type == "AWS::ElastiCache::CacheCluster" {
        is_redis(properties)?
    } else {
        // Replication groups are judged whatever their engine.
        true
    };
    // Resolved for every engine, so an intrinsic retention gives UNKNOWN even on Memcached.
    let too_short = retention_too_short(properties, context)?;
    Ok(verdict(!(redis && too_short)))
}

/// Absent or the empty string; any other value, an intrinsic included, is set (cdk-nag tests `length == 0`, and
/// an intrinsic has no length).
fn unset_or_empty(properties: &Value, path: &str) -> bool {
    match read(properties, path, Kind::String) {
        None => true,
        Some(Value::String(text)) => text.is_empty(),
        Some(_) => false,
    }
}

fn cluster_in_vpc(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(!unset_or_empty(
        &resource.properties,
        "CacheSubnetGroupName",
    )))
}

fn redis_cluster_encryption(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let flags = ["AtRestEncryptionEnabled", "TransitEncryptionEnabled"];
    if flags.iter().any(|flag| get(properties, flag).is_none()) {
        return Ok(Outcome::NonCompliant);
    }
    // Both are resolved before either is compared, so an intrinsic in either throws.
    let at_rest = primitive(properties, flags[0], Kind::Boolean, context)?;
    let transit = primitive(properties, flags[1], Kind::Boolean, context)?;
    let off = |value: Option<&Value>| loose_eq(value, &Value::Bool(false));
    Ok(verdict(!off(at_rest.as_ref()) && !off(transit.as_ref())))
}

fn redis_cluster_multi_az(resource: &Resource, context: &Context<'_>) -> Verdict {
    let multi_az = primitive(
        &resource.properties,
        "MultiAZEnabled",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(truthy(multi_az.as_ref())))
}

fn cluster_non_default_port(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let port = primitive(properties, "Port", Kind::Number, context)?;
    if port.is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let port_is = |number: i64| loose_eq(port.as_ref(), &Value::from(number));
    let engine = primitive(properties, "Engine", Kind::String, context)?;
    let engine = match engine {
        Some(Value::String(engine)) => Some(engine.to_lowercase()),
        _ => None,
    };
    if resource.resource_type == "AWS::ElastiCache::ReplicationGroup" {
        // A replication group without `Engine` runs Redis.
        let redis = engine.as_deref().is_none_or(|engine| engine == "redis");
        return Ok(verdict(!(redis && port_is(6379))));
    }
    let Some(engine) = engine else {
        return Err(Thrown(
            "the cache cluster has no `Engine`, which cdk-nag lower-cases unconditionally"
                .to_owned(),
        ));
    };
    let default_port =
        (engine == "redis" && port_is(6379)) || (engine == "memcached" && port_is(11211));
    Ok(verdict(!default_port))
}

fn redis_cluster_auth(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(!unset_or_empty(&resource.properties, "AuthToken")))
}
