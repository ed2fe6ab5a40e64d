//! Checks for Cloud9 EC2 environments: no inbound access, connecting through Systems Manager.

use serde_json::Value;

use crate::rules::value::{loose_eq, primitive, verdict, Kind};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "Cloud9InstanceNoIngressSystemsManager",
    resource_types: &["AWS::Cloud9::EnvironmentEC2"],
    problem: "The environment's instance is reached over SSH, which needs inbound access, instead of through Systems Manager",
    fix: "Set `ConnectionType: CONNECT_SSM`",
    eval: no_ingress_systems_manager,
}];

fn no_ingress_systems_manager(resource: &Resource, context: &Context<'_>) -> Verdict {
    // Absent (the service default `CONNECT_SSH`) fails.
    let connection = primitive(
        &resource.properties,
        "ConnectionType",
        Kind::String,
        context,
    )?;
    Ok(verdict(loose_eq(
        connection.as_ref(),
        &Value::from("CONNECT_SSM"),
    )))
}
