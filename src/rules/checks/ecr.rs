//! Checks for ECR repositories and the registry policy: no policy statement allows access to everyone.

use serde_json::Value;

use crate::rules::value::{for_of, get, json_text, loose_eq, truthy, verdict};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const REPOSITORY_AND_REGISTRY_POLICY: &[&str] =
    &["AWS::ECR::Repository", "AWS::ECR::RegistryPolicy"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "ECROpenAccess",
    resource_types: REPOSITORY_AND_REGISTRY_POLICY,
    problem: "The repository or registry policy allows a wildcard principal, so anyone may access the images",
    fix: "Name the accounts, roles or services that need access in every `Allow` statement's `Principal` instead of `*`",
    eval: open_access,
}];

fn open_access(resource: &Resource, _: &Context<'_>) -> Verdict {
    let key = if resource.resource_type == "AWS::ECR::RegistryPolicy" {
        "PolicyText"
    } else {
        "RepositoryPolicyText"
    };
    // A policy given as a JSON string has no `Statement` key, so it passes.
    let Some(statements) =
        get(&resource.properties, key).and_then(|policy| get(policy, "Statement"))
    else {
        return Ok(Outcome::Compliant);
    };
    for statement in for_of(Some(statements), &format!("{key}.Statement"))? {
        if allows_everyone(&statement)? {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(verdict(true))
}

/// A statement with `Effect == 'Allow'` (loosely) whose `Principal` has a `*` anywhere in its JSON text;
/// conditions are not considered.
fn allows_everyone(statement: &Value) -> Result<bool, Thrown> {
    if statement.is_null() {
        return Err(Thrown("a policy statement is null".to_owned()));
    }
    if !loose_eq(get(statement, "Effect"), &Value::from("Allow")) {
        return Ok(false);
    }
    let principal = get(statement, "Principal");
    Ok(truthy(principal) && principal.is_some_and(|principal| json_text(principal).contains('*')))
}
