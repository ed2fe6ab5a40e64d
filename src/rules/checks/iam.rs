//! Checks for IAM identities and policies: groups without users, users outside groups, inline policies,
//! policies attached to users, and statements granting admin (`*` on `*`) or full service (`service:*`) access.
//!
//! The admin and full-access checks are cdk-nag's regexes over the compact JSON text of the policy, so they depend
//! on key order (`Action` before `Effect` before `Resource`) and can match across statements; serde_json keeps
//! keys in authored order, as `JSON.stringify` does.

use std::sync::LazyLock;

use fancy_regex::Regex;
use serde_json::{Map, Value};

use crate::rules::value::{
    coerce, get, is_intrinsic, js_string, json_text, regex, regex_test, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const POLICY_HOLDERS: &[&str] = &[
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Group",
    "AWS::IAM::Role",
];

/// cdk-nag's admin-access regex: an `Action` of `*`, then `"Effect":"Allow"`, then a `Resource` of `*` (or an ARN
/// ending in `*`).
const ADMIN_ACCESS: &str = r#""Action":\[?(.*,)?"\*"(,.*)?\]?,"Effect":"Allow","Resource":\[?(.*,)?"(?:arn(?::.*(?::)?)?)?\*"(,.*)?\]?"#;

/// cdk-nag's full-access regex: an `Action` of `*` or `service:*`, followed later by `,"Effect":"Allow"`.
const FULL_ACCESS: &str = r#""Action":\[?(.*,)?"(?:\w+:)?\*"(,.*)?\]?,"Effect":"Allow""#;

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "IAMGroupHasUsers",
        resource_types: &["AWS::IAM::Group"],
        problem: "No IAM user in this template belongs to the group, so it grants nothing and may be left over",
        fix: "Add a user to the group (`Groups` of an `AWS::IAM::User` or an `AWS::IAM::UserToGroupAddition`) or delete the group",
        eval: group_has_users,
    },
    Check {
        name: "IAMNoInlinePolicy",
        resource_types: &[
            "AWS::IAM::Group",
            "AWS::IAM::User",
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
        ],
        problem: "Permissions are granted through an inline policy, which cannot be reused, versioned or reviewed on its own",
        fix: "Move the statements into an `AWS::IAM::ManagedPolicy` and attach it with `ManagedPolicyArns`",
        eval: no_inline_policy,
    },
    Check {
        name: "IAMPolicyNoStatementsWithAdminAccess",
        resource_types: POLICY_HOLDERS,
        problem: "A policy statement allows every action on every resource (administrator access)",
        fix: "Replace `Action: \"*\"` with the actions needed and `Resource: \"*\"` with the ARNs they apply to",
        eval: no_admin_access,
    },
    Check {
        name: "IAMPolicyNoStatementsWithFullAccess",
        resource_types: POLICY_HOLDERS,
        problem: "A policy statement allows every action of a service (`service:*`) or of all services",
        fix: "List the specific actions needed instead of `service:*` or `*`",
        eval: no_full_access,
    },
    Check {
        name: "IAMUserGroupMembership",
        resource_types: &["AWS::IAM::User"],
        problem: "The IAM user belongs to no group, so its permissions are managed one user at a time",
        fix: "Set `Groups` on the user and grant permissions through the groups",
        eval: user_group_membership,
    },
    Check {
        name: "IAMUserNoPolicies",
        resource_types: &[
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::User",
        ],
        problem: "A policy is attached directly to an IAM user instead of to a group or role",
        fix: "Remove `Users` from the policy (or `Policies`/`ManagedPolicyArns` from the user) and grant the permissions through a group",
        eval: user_no_policies,
    },
];

/// The two patterns cdk-nag tests a reference to a group against. The name pattern exists only when the group
/// has a `GroupName`; an intrinsic name is inserted as `[object Object]` (a character class), as cdk-nag does.
/// Compile errors surface only when a pattern is first used, as `new RegExp` in the loop would throw.
struct GroupPatterns {
    id: Result<Regex, Thrown>,
    name: Option<Result<Regex, Thrown>>,
}

impl GroupPatterns {
    fn new(group: &Resource) -> Self {
        let name =
            get(&group.properties, "GroupName").map(|name| js_string(&coerce(name, Kind::String)));
        GroupPatterns {
            id: regex(&format!(r"{}(?![\w])", group.logical_id)),
            name: name.map(|name| regex(&format!(r"{name}(?![\w\-_\.])"))),
        }
    }

    /// Whether the JSON text of a group reference names this group.
    fn matches(&self, text: &str) -> Result<bool, Thrown> {
        if regex_test(self.id.as_ref().map_err(Clone::clone)?, text)? {
            return Ok(true);
        }
        match &self.name {
            Some(name) => regex_test(name.as_ref().map_err(Clone::clone)?, text),
            None => Ok(false),
        }
    }
}

fn group_has_users(resource: &Resource, context: &Context<'_>) -> Verdict {
    let patterns = GroupPatterns::new(resource);
    for other in &context.template.resources {
        let texts: Vec<String> = match other.resource_type.as_str() {
            // Only a literal list is searched; an intrinsic `Groups` is skipped.
            "AWS::IAM::User" => match get(&other.properties, "Groups") {
                Some(Value::Array(groups)) => groups
                    .iter()
                    .map(|group| json_text(&coerce(group, Kind::String)))
                    .collect(),
                _ => Vec::new(),
            },
            // `JSON.stringify(undefined)` is undefined, which the regex test reads as the text "undefined".
            "AWS::IAM::UserToGroupAddition" => vec![get(&other.properties, "GroupName")
                .map_or_else(
                    || "undefined".to_owned(),
                    |name| json_text(&coerce(name, Kind::String)),
                )],
            _ => continue,
        };
        for text in texts {
            if patterns.matches(&text)? {
                return Ok(Outcome::Compliant);
            }
        }
    }
    Ok(Outcome::NonCompliant)
}

fn no_inline_policy(resource: &Resource, _: &Context<'_>) -> Verdict {
    if resource.resource_type == "AWS::IAM::Policy" {
        // Every standalone inline policy fails, CDK's `DefaultPolicy` included.
        return Ok(Outcome::NonCompliant);
    }
    // Present counts, an empty list included.
    Ok(verdict(get(&resource.properties, "Policies").is_none()))
}

/// A `Policies` list as CDK holds it: each entry `{"policyDocument":...,"policyName":...}` (absent keys left out,
/// the document as authored); an intrinsic, as the whole list or as an entry, stays as authored.
fn l1_policies(policies: &Value) -> Value {
    let Value::Array(items) = policies else {
        return policies.clone();
    };
    let rebuilt = items
        .iter()
        .map(|item| match item {
            _ if is_intrinsic(item) => item.clone(),
            Value::Object(_) | Value::Array(_) | Value::Null => {
                let mut entry = Map::new();
                if let Some(document) = get(item, "PolicyDocument") {
                    entry.insert("policyDocument".to_owned(), document.clone());
                }
                if let Some(name) = get(item, "PolicyName") {
                    entry.insert("policyName".to_owned(), coerce(name, Kind::String));
                }
                Value::Object(entry)
            }
            other => other.clone(),
        })
        .collect();
    Value::Array(rebuilt)
}

/// The text the admin and full-access regexes search: the `PolicyDocument` of a policy, or the whole `Policies`
/// list of a group or role (`None`, meaning pass, when a group or role has none).
fn policy_text(resource: &Resource) -> Result<Option<String>, Thrown> {
    let properties = &resource.properties;
    match resource.resource_type.as_str() {
        "AWS::IAM::Group" | "AWS::IAM::Role" => {
            Ok(get(properties, "Policies").map(|policies| json_text(&l1_policies(policies))))
        }
        _ => match get(properties, "PolicyDocument") {
            Some(document) => Ok(Some(json_text(document))),
            None => Err(Thrown(
                "`PolicyDocument` is absent, so cdk-nag's text search throws".to_owned(),
            )),
        },
    }
}

/// The admin and full-access patterns, compiled once: they are constant, and compiling them for every policy
/// dominated `check` on large templates.
static ADMIN_ACCESS_REGEX: LazyLock<Result<Regex, Thrown>> = LazyLock::new(|| regex(ADMIN_ACCESS));
static FULL_ACCESS_REGEX: LazyLock<Result<Regex, Thrown>> = LazyLock::new(|| regex(FULL_ACCESS));

fn no_statement_matching(resource: &Resource, compiled: &Result<Regex, Thrown>) -> Verdict {
    let Some(text) = policy_text(resource)? else {
        return Ok(Outcome::Compliant);
    };
    let compiled = compiled.as_ref().map_err(Clone::clone)?;
    Ok(verdict(!regex_test(compiled, &text)?))
}

fn no_admin_access(resource: &Resource, _: &Context<'_>) -> Verdict {
    no_statement_matching(resource, &ADMIN_ACCESS_REGEX)
}

fn no_full_access(resource: &Resource, _: &Context<'_>) -> Verdict {
    no_statement_matching(resource, &FULL_ACCESS_REGEX)
}

fn user_group_membership(resource: &Resource, _: &Context<'_>) -> Verdict {
    // An empty list passes.
    Ok(verdict(get(&resource.properties, "Groups").is_some()))
}

fn user_no_policies(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let attached = if resource.resource_type == "AWS::IAM::User" {
        get(properties, "Policies").is_some() || get(properties, "ManagedPolicyArns").is_some()
    } else {
        get(properties, "Users").is_some()
    };
    Ok(verdict(!attached))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_match(source: &str, text: &str) -> bool {
        matches!(
            regex(source).map(|regex| regex_test(&regex, text)),
            Ok(Ok(true))
        )
    }

    #[test]
    fn admin_regex_depends_on_key_order() {
        let text =
            |statement: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        assert!(is_match(
            ADMIN_ACCESS,
            &text(r#"{"Action":"*","Effect":"Allow","Resource":"*"}"#)
        ));
        assert!(!is_match(
            ADMIN_ACCESS,
            &text(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)
        ));
    }
}
