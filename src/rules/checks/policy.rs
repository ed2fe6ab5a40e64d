//! Tests on resource policies that several services' checks share: cdk-nag's open-principal and
//! secure-transport statement tests, and how a queue or topic policy names the resources it attaches to.

use std::borrow::Cow;

use serde_json::Value;

use crate::rules::value::{
    coerce, for_of, get, is_intrinsic, js_string, json_text, reference, strict_eq, Kind,
};
use crate::rules::Thrown;
use crate::template::Resource;

/// The entries of a string-list property (`Queues`, `Topics`) as CDK's template import holds them: a list gives
/// its entries (scalars as strings); an intrinsic in place of the list becomes a one-entry list token whose
/// entry resolves to that intrinsic; anything else is iterated as JavaScript's `for...of` does (a string by
/// characters; an absent value or other object throws).
pub(super) fn string_list_items<'a>(
    value: Option<&'a Value>,
    name: &str,
) -> Result<Vec<Cow<'a, Value>>, Thrown> {
    match value {
        Some(Value::Array(items)) => Ok(items
            .iter()
            .map(|item| Cow::Owned(coerce(item, Kind::String)))
            .collect()),
        Some(intrinsic) if is_intrinsic(intrinsic) => Ok(vec![Cow::Borrowed(intrinsic)]),
        other => for_of(other, name),
    }
}

/// Whether a queue or topic policy is attached to a resource: some entry of its `list` property (`Queues`,
/// `Topics`) has `ref(entry) === logical ID`, or, when the resource has a name, is a string ending with the
/// name (`String(name)`, so an intrinsic name is `[object Object]`). With a name, an entry that is neither
/// (an `Fn::Sub` or `Fn::Join` ARN, a null) cannot take `.endsWith`, so the rule throws.
pub(super) fn attached(
    policy: &Resource,
    list: &str,
    logical_id: &str,
    name: Option<&Value>,
) -> Result<bool, Thrown> {
    for entry in string_list_items(get(&policy.properties, list), list)? {
        let target = reference(&entry);
        if target.as_str() == Some(logical_id) {
            return Ok(true);
        }
        let Some(name) = name else {
            continue;
        };
        match target {
            Value::String(target) if target.ends_with(&js_string(name)) => return Ok(true),
            Value::String(_) => {}
            other => {
                return Err(Thrown(format!(
                    "an entry of `{list}` of `{}` is {}, not a string, so it cannot be compared with the name",
                    policy.logical_id,
                    json_text(&other)
                )))
            }
        }
    }
    Ok(false)
}

/// cdk-nag's secure-transport statement test: some statement has `Effect === 'Deny'`, an action accepted by
/// `action_matches` (a string or a list member; any non-string action met on the way throws, as
/// `.toLowerCase` does), an open principal (see [`open_principal`]) and `Condition.Bool['aws:SecureTransport']`
/// equal to `'false'` or `false`. Tests run in that order and stop at the first that fails, so an Allow
/// statement's action and principal are never read. `statements` must be iterable (`name` is its path, for
/// the reason); a null statement throws.
pub(super) fn denies_insecure_transport(
    statements: Option<&Value>,
    name: &str,
    action_matches: fn(&str) -> bool,
) -> Result<bool, Thrown> {
    denies_insecure_transport_where(statements, name, action_matches, |_| Ok(true))
}

/// [`denies_insecure_transport`] with one more test, `also`, run last on each statement that passed the others
/// (S3 also requires the statement to cover the bucket and its objects).
pub(super) fn denies_insecure_transport_where(
    statements: Option<&Value>,
    name: &str,
    action_matches: fn(&str) -> bool,
    also: impl Fn(&Value) -> Result<bool, Thrown>,
) -> Result<bool, Thrown> {
    for statement in for_of(statements, name)? {
        if statement.is_null() {
            return Err(Thrown(format!("a statement of `{name}` is null")));
        }
        let secure_transport = get(&statement, "Condition.Bool.aws:SecureTransport");
        if strict_eq(get(&statement, "Effect"), &Value::from("Deny"))
            && matching_action(get(&statement, "Action"), action_matches)?
            && open_principal(get(&statement, "Principal"))?
            && (strict_eq(secure_transport, &Value::from("false"))
                || strict_eq(secure_transport, &Value::Bool(false)))
            && also(&statement)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// An action string, or some member of an action list, accepted by `matches`; a non-string met before a
/// match cannot be lower-cased, so the rule throws.
fn matching_action(actions: Option<&Value>, matches: fn(&str) -> bool) -> Result<bool, Thrown> {
    let one = |action: &Value| match action {
        Value::String(action) => Ok(matches(action)),
        other => Err(Thrown(format!(
            "a statement's action {} is not a string, so it cannot be lower-cased",
            json_text(other)
        ))),
    };
    match actions {
        Some(Value::Array(actions)) => {
            for action in actions {
                if one(action)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Some(action) => one(action),
        None => Err(Thrown(
            "a statement has no `Action`, so it cannot be lower-cased".to_owned(),
        )),
    }
}

/// cdk-nag's open-principal test: `Principal === '*'`, `Principal.AWS === '*'` or an `AWS` list containing
/// `'*'`. An absent principal has no `AWS` member to read, so the rule throws.
pub(super) fn open_principal(principal: Option<&Value>) -> Result<bool, Thrown> {
    let Some(principal) = principal else {
        return Err(Thrown(
            "a statement has no `Principal`, so its `AWS` entry cannot be read".to_owned(),
        ));
    };
    let star = Value::from("*");
    if principal == &star {
        return Ok(true);
    }
    Ok(match get(principal, "AWS") {
        Some(Value::Array(accounts)) => accounts.contains(&star),
        other => strict_eq(other, &star),
    })
}
