//! Checks for ECS: containers of host-network task definitions run privileged as a named non-root user, no
//! container sets plain environment variables, every container has a log driver, and clusters turn on
//! CloudWatch Container Insights.

use serde_json::Value;

use crate::rules::value::{
    for_of, get, json_text, loose_eq, primitive, read, strict_eq, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const TASK_DEFINITION: &[&str] = &["AWS::ECS::TaskDefinition"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "ECSTaskDefinitionUserForHostMode",
        resource_types: TASK_DEFINITION,
        problem: "A container of this host-network task definition does not run privileged as a non-root user, so a compromise reaches the host's network stack as root",
        fix: "For `NetworkMode: host`, give every container `Privileged: true` and a `User` that is neither `root` nor `0` (user or group), or use `awsvpc`",
        eval: user_for_host_mode,
    },
    Check {
        name: "ECSTaskDefinitionNoEnvironmentVariables",
        resource_types: TASK_DEFINITION,
        problem: "A container sets environment variables in the task definition, where any secret among them is readable by whoever can describe it",
        fix: "Remove `Environment` from every container definition and pass values through `Secrets` (Secrets Manager or SSM Parameter Store) instead",
        eval: no_environment_variables,
    },
    Check {
        name: "ECSClusterCloudWatchContainerInsights",
        resource_types: &["AWS::ECS::Cluster"],
        problem: "CloudWatch Container Insights is off for the cluster, so container-level metrics and diagnostics are not collected",
        fix: "Add `{Name: containerInsights, Value: enabled}` to `ClusterSettings`",
        eval: container_insights,
    },
    Check {
        name: "ECSTaskDefinitionContainerLogging",
        resource_types: TASK_DEFINITION,
        problem: "A container of the task definition has no log driver, so its output is not kept anywhere",
        fix: "Give every container definition a `LogConfiguration` with a `LogDriver` (for example `awslogs`)",
        eval: container_logging,
    },
];

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

/// Whether some container definition passes `test` (has `Environment`, lacks `LogConfiguration.LogDriver`).
/// cdk-nag walks the list with `for...of` and reads a property of each entry, so an intrinsic list or a null
/// entry throws; an intrinsic entry has none of the properties.
fn any_container(resource: &Resource, test: impl Fn(&Value) -> bool) -> Result<bool, Thrown> {
    let Some(containers) = get(&resource.properties, "ContainerDefinitions") else {
        return Ok(false);
    };
    for container in for_of(Some(containers), "ContainerDefinitions")? {
        if container.is_null() {
            return Err(Thrown("a `ContainerDefinitions` entry is null".to_owned()));
        }
        if test(&container) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn no_environment_variables(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any `Environment` at all fails, an empty list included.
    let set = any_container(resource, |container| {
        get(container, "Environment").is_some()
    })?;
    Ok(verdict(!set))
}

fn container_logging(resource: &Resource, _: &Context<'_>) -> Verdict {
    // An intrinsic `LogConfiguration` has no `LogDriver`; an intrinsic `LogDriver` is present.
    let unlogged = any_container(resource, |container| {
        get(container, "LogConfiguration.LogDriver").is_none()
    })?;
    Ok(verdict(!unlogged))
}

fn container_insights(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(settings) = get(&resource.properties, "ClusterSettings") else {
        return Ok(Outcome::NonCompliant);
    };
    for setting in for_of(Some(settings), "ClusterSettings")? {
        if setting.is_null() {
            return Err(Thrown("a `ClusterSettings` entry is null".to_owned()));
        }
        // Loose equality on the values as CDK holds them (strings); only `enabled` counts in 2.27.223.
        let name = read(&setting, "Name", Kind::String);
        let value = read(&setting, "Value", Kind::String);
        if loose_eq(name.as_ref(), &Value::from("containerInsights"))
            && loose_eq(value.as_ref(), &Value::from("enabled"))
        {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}
