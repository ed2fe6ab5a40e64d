//! Checks for Database Migration Service replication instances: not reachable from the internet.

use serde_json::Value;

use crate::rules::value::{primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "DMSReplicationNotPublic",
    resource_types: &["AWS::DMS::ReplicationInstance"],
    problem: "The replication instance may get a public IP address, which exposes the data it migrates to the internet",
    fix: "Set `PubliclyAccessible: false` explicitly (the default is true)",
    eval: replication_not_public,
}];

fn replication_not_public(resource: &Resource, context: &Context<'_>) -> Verdict {
    let public = primitive(
        &resource.properties,
        "PubliclyAccessible",
        Kind::Boolean,
        context,
    )?;
    // Strict: only the boolean `false` passes; absent fails.
    Ok(verdict(strict_eq(public.as_ref(), &Value::Bool(false))))
}
