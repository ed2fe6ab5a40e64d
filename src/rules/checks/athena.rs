//! Checks for Athena workgroups: query results encrypted, with the workgroup settings enforced on clients.

use crate::rules::value::{get, primitive, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "AthenaWorkgroupEncryptedQueryResults",
    resource_types: &["AWS::Athena::WorkGroup"],
    problem: "The workgroup does not enforce encryption of the query results it writes to S3",
    fix: "Set `WorkGroupConfiguration.EnforceWorkGroupConfiguration: true` and `WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration`",
    eval: encrypted_query_results,
}];

fn encrypted_query_results(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // An absent `WorkGroupConfiguration` leaves the flag absent, hence falsy.
    let enforced = primitive(
        properties,
        "WorkGroupConfiguration.EnforceWorkGroupConfiguration",
        Kind::Boolean,
        context,
    )?;
    if !truthy(enforced.as_ref()) {
        return Ok(Outcome::NonCompliant);
    }
    // The encryption settings themselves are not inspected.
    Ok(verdict(
        get(
            properties,
            "WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration",
        )
        .is_some(),
    ))
}
