//! Checks for Timestream databases: encryption with a customer managed KMS key.

use crate::rules::value::{get, verdict};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "TimestreamDatabaseCustomerManagedKey",
    resource_types: &["AWS::Timestream::Database"],
    problem: "The Timestream database is encrypted with the AWS managed key rather than a key you control",
    fix: "Set `KmsKeyId` to a customer managed KMS key",
    eval: customer_managed_key,
}];

fn customer_managed_key(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "KmsKeyId").is_some()))
}
