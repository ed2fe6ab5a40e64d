//! Checks for Lambda functions and permissions: reserved concurrency, a dead-letter target, running inside a
//! VPC and permissions that let anyone invoke a function.

use serde_json::Value;

use crate::rules::value::{get, primitive, read, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const FUNCTION: &[&str] = &["AWS::Lambda::Function"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "LambdaConcurrency",
        resource_types: FUNCTION,
        problem: "The function has no reserved concurrency, so it can exhaust the account's concurrency or scale without bound",
        fix: "Set `ReservedConcurrentExecutions` to a limit above zero",
        eval: concurrency,
    },
    Check {
        name: "LambdaDLQ",
        resource_types: FUNCTION,
        problem: "The function has no dead-letter target, so failed asynchronous invocations are lost",
        fix: "Set `DeadLetterConfig.TargetArn` to an SQS queue or SNS topic",
        eval: dead_letter_queue,
    },
    Check {
        name: "LambdaFunctionPublicAccessProhibited",
        resource_types: &["AWS::Lambda::Permission"],
        problem: "The permission lets any principal invoke the function, with no account, organization or source restriction",
        fix: "Name a specific `Principal`, or add `SourceAccount`, `SourceArn` or `PrincipalOrgID` to the permission",
        eval: public_access_prohibited,
    },
    Check {
        name: "LambdaInsideVPC",
        resource_types: FUNCTION,
        problem: "The function does not run inside a VPC, so its network access is not controlled by security groups",
        fix: "Set `VpcConfig` with `SubnetIds` and `SecurityGroupIds`",
        eval: inside_vpc,
    },
];

fn concurrency(resource: &Resource, context: &Context<'_>) -> Verdict {
    let reserved = primitive(
        &resource.properties,
        "ReservedConcurrentExecutions",
        Kind::Number,
        context,
    )?;
    Ok(verdict(
        reserved.is_some() && !strict_eq(reserved.as_ref(), &Value::from(0)),
    ))
}

fn dead_letter_queue(resource: &Resource, _: &Context<'_>) -> Verdict {
    // An intrinsic `DeadLetterConfig` has no `TargetArn` key, so it fails.
    Ok(verdict(
        get(&resource.properties, "DeadLetterConfig.TargetArn").is_some(),
    ))
}

fn public_access_prohibited(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let anyone = strict_eq(
        read(properties, "Principal", Kind::String).as_ref(),
        &Value::from("*"),
    );
    let unrestricted = ["PrincipalOrgID", "SourceAccount", "SourceArn"]
        .iter()
        .all(|path| get(properties, path).is_none());
    Ok(verdict(!(anyone && unrestricted)))
}

/// cdk-nag's "absent or `.length == 0`" on the resolved `VpcConfig`: a list or string of length zero is empty;
/// an intrinsic is a plain object there, has no length and so counts as non-empty. (Not `elb.rs`'s
/// `string_list_len`, which measures a list as CDK holds it before resolution, where an intrinsic is a
/// one-element token list; the two agree on emptiness but not on length.)
fn absent_or_empty(value: Option<&Value>) -> bool {
    match value {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::String(text)) => text.is_empty(),
        Some(_) => false,
    }
}

fn inside_vpc(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "VpcConfig").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let no_groups = absent_or_empty(get(properties, "VpcConfig.SecurityGroupIds"));
    let no_subnets = absent_or_empty(get(properties, "VpcConfig.SubnetIds"));
    Ok(verdict(!(no_groups && no_subnets)))
}
