//! Checks for ECS task definitions: containers sharing the host's network run privileged as a named non-root
//! user.

use serde_json::Value;

use crate::rules::value::{for_of, get, json_text, primitive, read, strict_eq, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "ECSTaskDefinitionUserForHostMode",
    resource_types: &["AWS::ECS::TaskDefinition"],
    problem: "A container of this host-network task definition does not run privileged as a non-root user, so a compromise reaches the host's network stack as root",
    fix: "For `NetworkMode: host`, give every container `Privileged: true` and a `User` that is neither `root` nor `0` (user or group), or use `awsvpc`",
    eval: user_for_host_mode,
}];

/// Whether a `User` value (`user`, `user:group`, `uid:gid`) names root in any of its parts, case-insensitively.
fn names_root(user: &str) -> bool {
    user.split(':')
        .any(|part| matches!(part.to_lowercase().as_str(), "root" | "0"))
}

/// Whether one container definition passes: privileged, with a non-root user. Both values are resolved before
/// either is tested, so an intrinsic in either throws.
fn container_passes(container: &Value, context: &Context<'_>) -> Result<bool, Thrown> {
    if container.is_null() {
        return Err(Thrown("a `ContainerDefinitions` entry is null".to_owned()));
    }
    let privileged = primitive(container, "Privileged", Kind::Boolean, context)?;
    let user = primitive(container, "User", Kind::String, context)?;
    if !strict_eq(privileged.as_ref(), &Value::Bool(true)) {
        return Ok(false);
    }
    match user {
        Some(Value::String(user)) => Ok(!names_root(&user)),
        Some(other) => Err(Thrown(format!(
            "the container `User` {} is not a string",
            json_text(&other)
        ))),
        None => Ok(false),
    }
}

fn user_for_host_mode(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // Only the literal `host`; an intrinsic network mode is not host mode.
    let mode = read(properties, "NetworkMode", Kind::String);
    if !strict_eq(mode.as_ref(), &Value::from("host")) {
        return Ok(Outcome::Compliant);
    }
    let Some(containers) = get(properties, "ContainerDefinitions") else {
        return Ok(Outcome::Compliant);
    };
    for container in for_of(Some(containers), "ContainerDefinitions")? {
        if !container_passes(&container, context)? {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}
