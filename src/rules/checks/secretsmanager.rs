//! Checks for Secrets Manager secrets: automatic rotation (a lookup of the rotation schedules of the same
//! template, attached to the secret directly or through a secret target attachment) and encryption with a
//! customer managed KMS key.

use serde_json::Value;

use crate::rules::value::{get, read, reference, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const SECRET: &[&str] = &["AWS::SecretsManager::Secret"];
const ROTATION_SCHEDULE: &str = "AWS::SecretsManager::RotationSchedule";
const TARGET_ATTACHMENT: &str = "AWS::SecretsManager::SecretTargetAttachment";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "SecretsManagerRotationEnabled",
        resource_types: SECRET,
        problem: "No rotation schedule of this template rotates the secret automatically every few days",
        fix: "Add an `AWS::SecretsManager::RotationSchedule` whose `SecretId` is a `Ref` to the secret (or to its target attachment), with `HostedRotationLambda` or `RotationLambdaARN` and `RotationRules.AutomaticallyAfterDays`",
        eval: rotation_enabled,
    },
    Check {
        name: "SecretsManagerUsingKMSKey",
        resource_types: SECRET,
        problem: "The secret is encrypted with the AWS managed key instead of a customer managed KMS key",
        fix: "Set `KmsKeyId` to a customer managed KMS key",
        eval: using_kms_key,
    },
];

/// ref(SecretId) of a schedule or attachment, as a logical ID or literal string.
fn secret_id(resource: &Resource) -> Option<String> {
    match get(&resource.properties, "SecretId").map(reference) {
        Some(Value::String(id)) => Some(id),
        _ => None,
    }
}

fn rotation_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    if context
        .resources_of_type(ROTATION_SCHEDULE)
        .next()
        .is_none()
    {
        return Ok(Outcome::NonCompliant);
    }
    let secret = resource.logical_id.as_str();
    let attachments: Vec<&str> = context
        .resources_of_type(TARGET_ATTACHMENT)
        .filter(|attachment| secret_id(attachment).as_deref() == Some(secret))
        .map(|attachment| attachment.logical_id.as_str())
        .collect();
    let rotated = context
        .resources_of_type(ROTATION_SCHEDULE)
        .any(|schedule| {
            let Some(target) = secret_id(schedule) else {
                return false;
            };
            (target == secret || attachments.contains(&target.as_str()))
                && schedules_rotation(schedule)
        });
    Ok(verdict(rotated))
}

/// A rotation function (hosted or by ARN) and `RotationRules.AutomaticallyAfterDays`; a schedule expression
/// alone is not accepted by cdk-nag 2.27.223.
fn schedules_rotation(schedule: &Resource) -> bool {
    let properties = &schedule.properties;
    let has_function = get(properties, "HostedRotationLambda").is_some()
        || get(properties, "RotationLambdaARN").is_some();
    has_function && get(properties, "RotationRules.AutomaticallyAfterDays").is_some()
}

fn using_kms_key(resource: &Resource, _: &Context<'_>) -> Verdict {
    // The rule inventory (nag-rules.md, confirmed by running 2.27.223) reads `KmsKeyId` as authored, not through
    // the literal-only resolver: a `Ref` or `GetAtt` to a key is present and never equals the AWS managed alias.
    let key = read(&resource.properties, "KmsKeyId", Kind::String);
    Ok(verdict(
        key.is_some() && !strict_eq(key.as_ref(), &Value::from("aws/secretsmanager")),
    ))
}
