//! Checks for DynamoDB Accelerator (DAX) clusters: server-side encryption.

use crate::rules::value::{get, primitive, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "DAXEncrypted",
    resource_types: &["AWS::DAX::Cluster"],
    problem: "The DAX cluster does not encrypt its cached data at rest",
    fix: "Set `SSESpecification.SSEEnabled: true`",
    eval: encrypted,
}];

fn encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    if get(&resource.properties, "SSESpecification").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let enabled = primitive(
        &resource.properties,
        "SSESpecification.SSEEnabled",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(truthy(enabled.as_ref())))
}
