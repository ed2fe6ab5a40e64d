//! Checks for KMS keys: symmetric keys rotate their key material automatically.

use serde_json::Value;

use crate::rules::value::{loose_eq, primitive, read, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "KMSBackingKeyRotationEnabled",
    resource_types: &["AWS::KMS::Key"],
    problem: "The symmetric key does not rotate its backing key material every year",
    fix: "Set `EnableKeyRotation: true`",
    eval: backing_key_rotation_enabled,
}];

fn backing_key_rotation_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // Only symmetric keys can rotate: any other `KeySpec` (an intrinsic included) passes.
    let spec = read(properties, "KeySpec", Kind::String);
    if spec.is_some() && !loose_eq(spec.as_ref(), &Value::from("SYMMETRIC_DEFAULT")) {
        return Ok(Outcome::Compliant);
    }
    let rotation = primitive(properties, "EnableKeyRotation", Kind::Boolean, context)?;
    Ok(verdict(strict_eq(rotation.as_ref(), &Value::Bool(true))))
}
