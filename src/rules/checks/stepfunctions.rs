//! Checks for Step Functions state machines: logging of all events to CloudWatch Logs, and X-Ray tracing.

use serde_json::Value;

use crate::rules::value::{get, loose_eq, primitive, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const STATE_MACHINE: &[&str] = &["AWS::StepFunctions::StateMachine"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "StepFunctionStateMachineAllLogsToCloudWatch",
        resource_types: STATE_MACHINE,
        problem: "The state machine does not log all of its execution events to CloudWatch Logs",
        fix: "Set `LoggingConfiguration` with `Level: ALL` and a log group in `Destinations`",
        eval: all_logs_to_cloud_watch,
    },
    Check {
        name: "StepFunctionStateMachineXray",
        resource_types: STATE_MACHINE,
        problem: "The state machine does not trace its executions with X-Ray",
        fix: "Set `TracingConfiguration.Enabled: true`",
        eval: xray,
    },
];

fn all_logs_to_cloud_watch(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(logging) = get(&resource.properties, "LoggingConfiguration") else {
        return Ok(Outcome::NonCompliant);
    };
    // An intrinsic `LoggingConfiguration` has no `Level` member, which reads as absent and fails.
    let level = primitive(logging, "Level", Kind::String, context)?;
    Ok(verdict(loose_eq(level.as_ref(), &Value::from("ALL"))))
}

fn xray(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(tracing) = get(&resource.properties, "TracingConfiguration") else {
        return Ok(Outcome::NonCompliant);
    };
    let enabled = primitive(tracing, "Enabled", Kind::Boolean, context)?;
    Ok(verdict(truthy(enabled.as_ref())))
}
