//! Checks for EMR clusters: Kerberos authentication.

use crate::rules::value::{get, verdict};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "EMRKerberosEnabled",
    resource_types: &["AWS::EMR::Cluster"],
    problem: "The EMR cluster does not authenticate users and services with Kerberos",
    fix: "Set `KerberosAttributes` (with `Realm` and `KdcAdminPassword`) and a security configuration that enables Kerberos",
    eval: kerberos_enabled,
}];

fn kerberos_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value counts as present, an intrinsic included.
    Ok(verdict(
        get(&resource.properties, "KerberosAttributes").is_some(),
    ))
}
