//! Checks for EFS file systems: encryption at rest.

use serde_json::Value;

use crate::rules::value::{primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "EFSEncrypted",
    resource_types: &["AWS::EFS::FileSystem"],
    problem: "The file system is explicitly created without encryption at rest",
    fix: "Set `Encrypted: true`, with `KmsKeyId` for a customer managed key",
    eval: encrypted,
}];

fn encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    let encrypted = primitive(&resource.properties, "Encrypted", Kind::Boolean, context)?;
    // Only an explicit `false` fails; absent passes, as cdk-nag has it.
    Ok(verdict(!strict_eq(encrypted.as_ref(), &Value::Bool(false))))
}
