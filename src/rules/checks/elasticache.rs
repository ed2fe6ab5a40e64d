//! Checks for ElastiCache: Redis clusters and replication groups keep automatic snapshots for at least 15 days.

use serde_json::Value;

use crate::rules::value::{get, js_number, primitive, verdict, Kind};
use crate::rules::{Check, Context, Thrown, Verdict};
use crate::template::Resource;

/// The shortest snapshot retention that passes, in days.
const MINIMUM_RETENTION_DAYS: f64 = 15.0;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "ElastiCacheRedisClusterAutomaticBackup",
    resource_types: &[
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ReplicationGroup",
    ],
    problem: "The Redis cache keeps automatic snapshots for less than 15 days, or none at all",
    fix: "Set `SnapshotRetentionLimit` to 15 or more",
    eval: redis_cluster_automatic_backup,
}];

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
