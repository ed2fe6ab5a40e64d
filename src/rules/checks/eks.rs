//! Checks for EKS clusters, both the `AWS::EKS::Cluster` resource and the `Custom::AWSCDK-EKS-Cluster` custom
//! resource the CDK `eks.Cluster` construct creates (matched by its type string; its `Config` holds the EKS API
//! request with lower-camel keys): no public API endpoint, and every control plane log type exported.

use serde_json::Value;

use crate::rules::value::{for_of, get, primitive, resolve_primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CLUSTERS: &[&str] = &["AWS::EKS::Cluster", "Custom::AWSCDK-EKS-Cluster"];
const CUSTOM_CLUSTER: &str = "Custom::AWSCDK-EKS-Cluster";

/// The control plane log types every cluster must export, in cdk-nag's order (the order of the findings).
const REQUIRED_LOGS: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "EKSClusterNoEndpointPublicAccess",
        resource_types: CLUSTERS,
        problem: "The Kubernetes API server of the cluster can be reached from the internet",
        fix: "Set `ResourcesVpcConfig.EndpointPublicAccess: false` (or `endpointAccess: EndpointAccess.PRIVATE` on a CDK `eks.Cluster`) and reach the API from inside the VPC",
        eval: no_endpoint_public_access,
    },
    Check {
        name: "EKSClusterControlPlaneLogs",
        resource_types: CLUSTERS,
        problem: "The cluster does not send every control plane log type to CloudWatch Logs",
        fix: "Enable the `api`, `audit`, `authenticator`, `controllerManager` and `scheduler` types in `Logging.ClusterLogging.EnabledTypes` (or `clusterLogging` on a CDK `eks.Cluster`)",
        eval: control_plane_logs,
    },
];

fn is_custom(resource: &Resource) -> bool {
    resource.resource_type == CUSTOM_CLUSTER
}

fn no_endpoint_public_access(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let public = if is_custom(resource) {
        // Custom resource properties are passed as authored: no coercion of `"false"`.
        primitive(
            properties,
            "Config.resourcesVpcConfig.endpointPublicAccess",
            Kind::Json,
            context,
        )?
    } else {
        // cdk-nag reads `EndpointPublicAccess` of `ResourcesVpcConfig` without a guard.
        if get(properties, "ResourcesVpcConfig").is_none() {
            return Err(Thrown(
                "the cluster has no `ResourcesVpcConfig`, which the rule reads unconditionally"
                    .to_owned(),
            ));
        }
        primitive(
            properties,
            "ResourcesVpcConfig.EndpointPublicAccess",
            Kind::Boolean,
            context,
        )?
    };
    // Only an explicit `false` passes: absent means the public endpoint default.
    Ok(verdict(strict_eq(public.as_ref(), &Value::Bool(false))))
}

fn control_plane_logs(resource: &Resource, context: &Context<'_>) -> Verdict {
    let mut missing: Vec<&str> = REQUIRED_LOGS.to_vec();
    if is_custom(resource) {
        remove_custom_enabled(resource, &mut missing)?;
    } else {
        remove_enabled_types(resource, context, &mut missing)?;
    }
    Ok(if missing.is_empty() {
        Outcome::Compliant
    } else {
        Outcome::Findings(
            missing
                .iter()
                .map(|log| format!("LogExport::{log}"))
                .collect(),
        )
    })
}

/// `AWS::EKS::Cluster`: every `Logging.ClusterLogging.EnabledTypes[].Type` (‡) counts, until all are found;
/// entries after that point are not read.
fn remove_enabled_types(
    resource: &Resource,
    context: &Context<'_>,
    missing: &mut Vec<&str>,
) -> Result<(), Thrown> {
    let path = "Logging.ClusterLogging.EnabledTypes";
    let Some(enabled) = get(&resource.properties, path) else {
        return Ok(());
    };
    for entry in for_of(Some(enabled), path)? {
        if entry.is_null() {
            return Err(Thrown(format!("an `{path}` entry is null")));
        }
        if let Some(log_type) = get(&entry, "Type") {
            let log_type = resolve_primitive(log_type, Kind::String, context)?;
            missing.retain(|log| log_type.as_str() != Some(*log));
        }
        if missing.is_empty() {
            break;
        }
    }
    Ok(())
}

/// `Custom::AWSCDK-EKS-Cluster`: the `types` of every `Config.logging.clusterLogging[]` entry whose `enabled` is
/// the boolean `true` count (values as authored, compared strictly). An enabled entry whose `types` is not a
/// list throws, even once every type has been found: cdk-nag stops only the inner loop.
fn remove_custom_enabled(resource: &Resource, missing: &mut Vec<&str>) -> Result<(), Thrown> {
    let path = "Config.logging.clusterLogging";
    let Some(configs) = get(&resource.properties, path) else {
        return Ok(());
    };
    for config in for_of(Some(configs), path)? {
        if !strict_eq(get(&config, "enabled"), &Value::Bool(true)) {
            continue;
        }
        for log_type in for_of(get(&config, "types"), &format!("{path}[].types"))? {
            missing.retain(|log| log_type.as_str() != Some(*log));
            if missing.is_empty() {
                break;
            }
        }
    }
    Ok(())
}
