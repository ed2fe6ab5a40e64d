//! Checks for IAM identities and policies: groups without users, users outside groups, inline policies,
//! policies attached to users, statements granting admin (`*` on `*`) or full service (`service:*`) access,
//! AWS managed policies, and wildcards in allowed actions or resources.
//!
//! The managed-policy and wildcard checks report granular findings (`Policy::<ARN>`, `Action::<action>`,
//! `Resource::<resource>`) that suppressions match verbatim, with references flattened as cdk-nag does
//! (`{"Ref": "X"}` is `<X>`, `${X}` in `Fn::Sub` is `<X>`, `Fn::GetAtt [R, A]` is `<R.A>`).
//!
//! The admin and full-access checks are cdk-nag's regexes over the compact JSON text of the policy, so they depend
//! on key order (`Action` before `Effect` before `Resource`) and can match across statements; serde_json keeps
//! keys in authored order, as `JSON.stringify` does.

use std::borrow::Cow;
use std::sync::LazyLock;

use fancy_regex::Regex;
use serde_json::{Map, Value};

use crate::rules::value::{
    coerce, for_of, get, is_intrinsic, js_string, json_text, regex, regex_test, truthy, verdict,
    Kind,
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
    Check {
        name: "IAMNoManagedPolicies",
        resource_types: &["AWS::IAM::Group", "AWS::IAM::User", "AWS::IAM::Role"],
        problem: "An AWS managed policy is attached, whose broad and changing permissions are not scoped to this workload",
        fix: "Replace the AWS managed policy in `ManagedPolicyArns` with a customer managed policy granting only what is needed, or suppress the `Policy::<ARN>` finding with a reason",
        eval: no_managed_policies,
    },
    Check {
        name: "IAMNoWildcardPermissions",
        resource_types: &[
            "AWS::IAM::Group",
            "AWS::IAM::User",
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
        ],
        problem: "An `Allow` statement uses a wildcard in an action or a resource, granting more than it names",
        fix: "List the exact actions and resource ARNs instead of `*` patterns, or suppress each `Action::...`/`Resource::...` finding with the evidence that the wildcard is needed",
        eval: no_wildcard_permissions,
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

/// Granular findings in first-seen order without duplicates (cdk-nag collects them in a `Set`).
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn add(&mut self, finding: String) {
        if !self.0.contains(&finding) {
            self.0.push(finding);
        }
    }

    fn outcome(self) -> Outcome {
        if self.0.is_empty() {
            Outcome::Compliant
        } else {
            Outcome::Findings(self.0)
        }
    }
}

/// cdk-nag's `flattenCfnReference`, which names the findings: `undefined` is the empty string; a string has
/// `${` replaced by `<` and `}` by `>`; then, by the first of these fields that is present and truthy,
/// `Fn::Join [d, items]` joins the flattened items with `d`, `Fn::Sub X` and `Fn::ImportValue X` flatten `X`,
/// `Fn::GetAtt [R, A]` is `<R.A>` (each part flattened; a string is destructured into its first two
/// characters), `Ref X` is `<X>`; anything else is its JSON text (so the list form of `Fn::Sub` is the JSON of
/// the list). Where JavaScript would throw (a field of `null`, destructuring something that is not iterable,
/// `map` over join items that are not a list), this throws.
///
/// `value::flatten` differs for the list form of `Fn::Sub` (JSON of the whole object there), for `Fn::GetAtt`
/// parts that are not strings, and where JavaScript throws; finding strings must match cdk-nag's exactly, so
/// the checks of this file use this one.
fn flatten_reference(value: Option<&Value>) -> Result<String, Thrown> {
    let Some(value) = value else {
        return Ok(String::new());
    };
    let Value::Object(map) = value else {
        return match value {
            Value::String(text) => Ok(text.replace("${", "<").replace('}', ">")),
            Value::Null => Err(Thrown(
                "a reference to flatten is null, whose fields cdk-nag reads".to_owned(),
            )),
            other => Ok(json_text(other)),
        };
    };
    let field = |name: &str| map.get(name).filter(|inner| truthy(Some(inner)));
    if let Some(join) = field("Fn::Join") {
        let (delimiter, items) = destructure(join, "Fn::Join")?;
        let Some(Value::Array(items)) = items.as_deref() else {
            return Err(Thrown(
                "the items of an `Fn::Join` are not a list, so cdk-nag cannot map over them"
                    .to_owned(),
            ));
        };
        let parts = items
            .iter()
            .map(|item| flatten_reference(Some(item)))
            .collect::<Result<Vec<_>, _>>()?;
        // `Array.prototype.join` separates with `,` when the delimiter is undefined.
        let separator = delimiter
            .as_deref()
            .map_or_else(|| ",".to_owned(), js_string);
        return Ok(parts.join(&separator));
    }
    if let Some(inner) = field("Fn::Sub") {
        return flatten_reference(Some(inner));
    }
    if let Some(get_att) = field("Fn::GetAtt") {
        let (resource, attribute) = destructure(get_att, "Fn::GetAtt")?;
        return Ok(format!(
            "<{}.{}>",
            flatten_reference(resource.as_deref())?,
            flatten_reference(attribute.as_deref())?
        ));
    }
    if let Some(inner) = field("Fn::ImportValue") {
        return flatten_reference(Some(inner));
    }
    if let Some(inner) = field("Ref") {
        return Ok(format!("<{}>", flatten_reference(Some(inner))?));
    }
    Ok(json_text(value))
}

/// The two values JavaScript's `const [first, second] = value` binds (`None` for `undefined`).
type Pair<'a> = (Option<Cow<'a, Value>>, Option<Cow<'a, Value>>);

/// JavaScript's `const [first, second] = value`: the first two items of a list, or the first two characters of
/// a string (missing ones `undefined`); anything else is not iterable and throws.
fn destructure<'a>(value: &'a Value, function: &str) -> Result<Pair<'a>, Thrown> {
    match value {
        Value::Array(items) => Ok((
            items.first().map(Cow::Borrowed),
            items.get(1).map(Cow::Borrowed),
        )),
        Value::String(text) => {
            let mut chars = text
                .chars()
                .map(|c| Cow::Owned(Value::String(c.to_string())));
            Ok((chars.next(), chars.next()))
        }
        other => Err(Thrown(format!(
            "the argument of `{function}` is {}, which cdk-nag cannot destructure",
            json_text(other)
        ))),
    }
}

fn no_managed_policies(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(arns) = get(&resource.properties, "ManagedPolicyArns") else {
        return Ok(Outcome::Compliant);
    };
    // cdk-nag maps over the list: a single intrinsic in its place has no `map`.
    let Value::Array(arns) = arns else {
        return Err(Thrown(format!(
            "`ManagedPolicyArns` is {}, not a list, so cdk-nag cannot map over it",
            json_text(arns)
        )));
    };
    let mut findings = Findings::default();
    for arn in arns {
        let arn = flatten_reference(Some(&coerce(arn, Kind::String)))?;
        if arn.contains(":iam::aws:") {
            findings.add(format!("Policy::{arn}"));
        }
    }
    Ok(findings.outcome())
}

fn no_wildcard_permissions(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let mut findings = Findings::default();
    match resource.resource_type.as_str() {
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            wildcard_findings(get(properties, "PolicyDocument"), &mut findings)?;
        }
        _ => {
            let Some(policies) = get(properties, "Policies") else {
                return Ok(Outcome::Compliant);
            };
            for policy in for_of(Some(policies), "Policies")? {
                // An intrinsic entry, or one without a document, has no `policyDocument`: analysing `undefined`
                // throws.
                wildcard_findings(get(&policy, "PolicyDocument"), &mut findings)?;
            }
        }
    }
    Ok(findings.outcome())
}

/// The findings of one policy document: for each `Allow` statement (others are skipped), every action containing
/// `*` as `Action::<action>`, then every resource whose flattened text contains `*` as `Resource::<text>`.
fn wildcard_findings(document: Option<&Value>, findings: &mut Findings) -> Result<(), Thrown> {
    let Some(document) = document else {
        return Err(Thrown(
            "a policy has no `PolicyDocument`, whose `Statement` cdk-nag reads unconditionally"
                .to_owned(),
        ));
    };
    // `Statement ?? []`: absent is no statement; otherwise walked with `for...of`, so a single statement
    // object (not in a list) throws.
    let Some(statements) = get(document, "Statement") else {
        return Ok(());
    };
    for statement in for_of(Some(statements), "PolicyDocument.Statement")? {
        if statement.is_null() {
            return Err(Thrown("a policy statement is null".to_owned()));
        }
        if get(&statement, "Effect") != Some(&Value::from("Allow")) {
            continue;
        }
        for action in listed(statement.get("Action")) {
            if let Some(action) = wildcard_action(action)? {
                findings.add(format!("Action::{action}"));
            }
        }
        for entry in listed(statement.get("Resource")) {
            // An absent `Resource` flattens to the empty string, which has no wildcard.
            let text = flatten_reference(entry)?;
            if text.contains('*') {
                findings.add(format!("Resource::{text}"));
            }
        }
    }
    Ok(())
}

/// cdk-nag's `normalizeArray`: a list gives its items, anything else (absent included) a list of itself.
fn listed(value: Option<&Value>) -> Vec<Option<&Value>> {
    match value {
        Some(Value::Array(items)) => items.iter().map(Some).collect(),
        other => vec![other],
    }
}

/// The action text when `action.includes('*')`: a string containing `*`, or a nested list with a `*` item
/// (written as JavaScript joins it). Anything else has no `includes` (an intrinsic, a number, a missing
/// `Action` as in a `NotAction` statement), which throws.
fn wildcard_action(action: Option<&Value>) -> Result<Option<String>, Thrown> {
    match action {
        Some(Value::String(text)) => Ok(text.contains('*').then(|| text.clone())),
        Some(list @ Value::Array(items)) => Ok(items
            .contains(&Value::from("*"))
            .then(|| js_string(list))),
        Some(other) => Err(Thrown(format!(
            "the action {} is not a string, so cdk-nag cannot search it for `*`",
            json_text(other)
        ))),
        None => Err(Thrown(
            "an `Allow` statement has no `Action` (only `NotAction`?), so cdk-nag cannot search it for `*`"
                .to_owned(),
        )),
    }
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
