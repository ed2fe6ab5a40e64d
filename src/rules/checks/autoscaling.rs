//! Checks for EC2 Auto Scaling: groups behind load balancers use the load balancer's health checks, and
//! launch configurations give instances no public IP address.

use serde_json::Value;

use crate::rules::value::{get, loose_eq, primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "AutoScalingGroupELBHealthCheckRequired",
        resource_types: &["AWS::AutoScaling::AutoScalingGroup"],
        problem: "The group is attached to a load balancer but replaces instances on EC2 status checks only, so instances the load balancer sees as unhealthy stay in service",
        fix: "Set `HealthCheckType: ELB` (with a `HealthCheckGracePeriod`) on groups with `TargetGroupARNs` or `LoadBalancerNames`",
        eval: elb_health_check_required,
    },
    Check {
        name: "AutoScalingLaunchConfigPublicIpDisabled",
        resource_types: &["AWS::AutoScaling::LaunchConfiguration"],
        problem: "Instances launched from this configuration may receive a public IP address and be reachable from the internet",
        fix: "Set `AssociatePublicIpAddress: false` and launch into private subnets",
        eval: launch_config_public_ip_disabled,
    },
];

/// JavaScript's `value != undefined && value.length > 0`: a list or string with items; an intrinsic object has
/// no length and does not count.
fn non_empty(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::String(text)) => !text.is_empty(),
        _ => false,
    }
}

fn elb_health_check_required(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if !non_empty(get(properties, "TargetGroupARNs"))
        && !non_empty(get(properties, "LoadBalancerNames"))
    {
        return Ok(Outcome::Compliant);
    }
    let health_check = primitive(properties, "HealthCheckType", Kind::String, context)?;
    Ok(verdict(loose_eq(
        health_check.as_ref(),
        &Value::from("ELB"),
    )))
}

fn launch_config_public_ip_disabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let public_ip = primitive(
        &resource.properties,
        "AssociatePublicIpAddress",
        Kind::Boolean,
        context,
    )?;
    // Strict: only the boolean `false` passes; absent fails.
    Ok(verdict(strict_eq(public_ip.as_ref(), &Value::Bool(false))))
}
