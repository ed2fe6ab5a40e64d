//! Checks for SNS topics: server-side encryption with a KMS key.

use crate::rules::value::{get, verdict};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

const TOPIC: &[&str] = &["AWS::SNS::Topic"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "SNSEncryptedKMS",
    resource_types: TOPIC,
    problem: "The topic does not encrypt its messages at rest with a KMS key",
    fix: "Set `KmsMasterKeyId` to a KMS key (preferably customer managed) that the publishers may use",
    eval: encrypted_kms,
}];

fn encrypted_kms(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value counts, an intrinsic included.
    Ok(verdict(
        get(&resource.properties, "KmsMasterKeyId").is_some(),
    ))
}
