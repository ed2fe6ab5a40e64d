//! Checks for EC2 Auto Scaling: groups behind load balancers use the load balancer's health checks, ELB health
//! checks have a grace period, cooldowns are not zero, every scaling event is notified, and launch
//! configurations give instances no public IP address.

use serde_json::Value;

use crate::rules::value::{
    get, js_string, json_text, loose_eq, primitive, strict_eq, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const GROUP: &[&str] = &["AWS::AutoScaling::AutoScalingGroup"];

/// The scaling events AS3 wants notifications for.
const SCALING_EVENTS: [&str; 4] = [
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
];

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
    Check {
        name: "AutoScalingGroupCooldownPeriod",
        resource_types: GROUP,
        problem: "The group's cooldown is zero, so it may start or stop further instances before the last scaling activity has taken effect",
        fix: "Remove `Cooldown` (the default is 300 seconds) or set it to a positive number of seconds",
        eval: cooldown_period,
    },
    Check {
        name: "AutoScalingGroupHealthCheck",
        resource_types: GROUP,
        problem: "The group uses ELB health checks without a grace period, so new instances may be replaced before they finish starting",
        fix: "Set `HealthCheckGracePeriod` (in seconds) on groups with `HealthCheckType: ELB`",
        eval: health_check,
    },
    Check {
        name: "AutoScalingGroupScalingNotifications",
        resource_types: GROUP,
        problem: "The group does not send notifications for every launch, termination and failed scaling activity",
        fix: "Add `NotificationConfigurations` whose `NotificationTypes` cover `autoscaling:EC2_INSTANCE_LAUNCH`, `autoscaling:EC2_INSTANCE_LAUNCH_ERROR`, `autoscaling:EC2_INSTANCE_TERMINATE` and `autoscaling:EC2_INSTANCE_TERMINATE_ERROR`",
        eval: scaling_notifications,
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

/// JavaScript's `parseInt(text)` without a radix: leading white space and a sign are skipped, `0x` selects
/// hexadecimal, and the longest run of digits is read; `None` (NaN) when there is no digit.
fn js_parse_int(text: &str) -> Option<f64> {
    let is_space = |c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}';
    let trimmed = text.trim_start_matches(is_space);
    let (sign, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (radix, digits) = match unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        Some(rest) => (16, rest),
        None => (10, unsigned),
    };
    let values: Vec<u32> = digits.chars().map_while(|c| c.to_digit(radix)).collect();
    if values.is_empty() {
        return None;
    }
    let magnitude = values.iter().fold(0.0, |total, digit| {
        total * f64::from(radix) + f64::from(*digit)
    });
    Some(sign * magnitude)
}

fn cooldown_period(resource: &Resource, context: &Context<'_>) -> Verdict {
    let cooldown = primitive(&resource.properties, "Cooldown", Kind::String, context)?;
    // `parseInt`: `"0"`, `"0.9"`, `"0s"` and `"0x0"` are all zero; absent passes.
    let zero = cooldown.is_some_and(|value| js_parse_int(&js_string(&value)) == Some(0.0));
    Ok(verdict(!zero))
}

fn health_check(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // Both are resolved before either is tested, so an intrinsic in either throws.
    let health_check = primitive(properties, "HealthCheckType", Kind::String, context)?;
    let grace_period = primitive(properties, "HealthCheckGracePeriod", Kind::Number, context)?;
    let elb = health_check.is_some() && loose_eq(health_check.as_ref(), &Value::from("ELB"));
    Ok(verdict(!(elb && grace_period.is_none())))
}

/// JavaScript's `config.NotificationTypes?.includes(event)`: a list holds the event as an item, a string as a
/// substring; a null entry or a value without `includes` (an intrinsic, a number) throws.
fn notifies(config: &Value, event: &str) -> Result<bool, Thrown> {
    if config.is_null() {
        return Err(Thrown(
            "a `NotificationConfigurations` entry is null, so the rule cannot read its `NotificationTypes`"
                .to_owned(),
        ));
    }
    match get(config, "NotificationTypes") {
        None => Ok(false),
        Some(Value::Array(types)) => Ok(types.iter().any(|kind| kind.as_str() == Some(event))),
        Some(Value::String(text)) => Ok(text.contains(event)),
        Some(other) => Err(Thrown(format!(
            "`NotificationTypes` is {}, not a list, so the rule cannot search it",
            json_text(other)
        ))),
    }
}

fn scaling_notifications(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(configurations) = get(&resource.properties, "NotificationConfigurations") else {
        return Ok(Outcome::NonCompliant);
    };
    let Value::Array(configurations) = configurations else {
        return Err(Thrown(
            "`NotificationConfigurations` is not a list, so the rule cannot search it".to_owned(),
        ));
    };
    // Every event in some entry, looked up in this order and stopping at the first answer, as cdk-nag's
    // `every`/`some` do: an entry that would throw is reached only when the entries before it lack the event.
    for event in SCALING_EVENTS {
        let mut found = false;
        for configuration in configurations {
            if notifies(configuration, event)? {
                found = true;
                break;
            }
        }
        if !found {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}
