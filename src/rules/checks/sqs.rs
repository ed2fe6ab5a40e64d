//! Checks for SQS queues: server-side encryption, a dead-letter queue, and a queue policy that refuses requests
//! made without TLS.
//!
//! This file also holds the pieces of cdk-nag's resource-policy tests that several services share
//! (nag-rules.md §2.3, "secure transport"): the open-principal test, the secure-transport statement test and the
//! walk over a policy's list of attached queues or topics. `sns.rs`, `mediastore.rs` and `events.rs` use them.

use std::borrow::Cow;

use fancy_regex::Regex;
use serde_json::Value;

use crate::rules::value::{
    coerce, flatten, for_of, get, is_intrinsic, js_string, json_text, reference, regex, regex_test,
    strict_eq, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const QUEUE: &[&str] = &["AWS::SQS::Queue"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "SQSQueueSSE",
        resource_types: QUEUE,
        problem: "The queue explicitly turns off SQS-managed server-side encryption and names no KMS key, so its messages are stored unencrypted",
        fix: "Remove `SqsManagedSseEnabled: false`, or set `KmsMasterKeyId` to a KMS key",
        eval: queue_sse,
    },
    Check {
        name: "SQSQueueDLQ",
        resource_types: QUEUE,
        problem: "The queue has no dead-letter queue and is not one itself, so messages that keep failing are retried until they expire",
        fix: "Set `RedrivePolicy` with `deadLetterTargetArn` pointing at another queue and a `maxReceiveCount`",
        eval: queue_dlq,
    },
    Check {
        name: "SQSQueueSSLRequestsOnly",
        resource_types: QUEUE,
        problem: "No queue policy of the template denies requests to the queue that are not made over TLS",
        fix: "Attach an `AWS::SQS::QueuePolicy` with a statement `Effect: Deny`, `Principal: '*'`, `Action: 'sqs:*'` and `Condition: {Bool: {'aws:SecureTransport': 'false'}}`",
        eval: queue_ssl_requests_only,
    },
];

fn queue_sse(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // Both absent passes: only an explicit `false` without a key fails (strictly, so an intrinsic passes).
    let managed = get(properties, "SqsManagedSseEnabled").map(|v| coerce(v, Kind::Boolean));
    Ok(verdict(
        get(properties, "KmsMasterKeyId").is_some()
            || !strict_eq(managed.as_ref(), &Value::Bool(false)),
    ))
}

fn queue_dlq(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "RedrivePolicy").is_some() {
        return Ok(Outcome::Compliant);
    }
    // Exempt when some queue of the template (this one included, which has no target) sends its dead letters
    // here: the flattened `deadLetterTargetArn` mentions the logical ID not followed by a word character, or
    // `:<QueueName>` not followed by a name character. Both are inserted into the regexes unescaped; the name
    // regex is built only when it is first needed, as cdk-nag builds it after the logical-ID test fails.
    let by_id = regex(&format!(r"{}(?![\w])", resource.logical_id))?;
    let name = get(properties, "QueueName").map(|n| js_string(&coerce(n, Kind::String)));
    let mut by_name: Option<Regex> = None;
    for other in context.resources_of_type(QUEUE[0]) {
        let target = flatten(get(&other.properties, "RedrivePolicy.deadLetterTargetArn"));
        if regex_test(&by_id, &target)? {
            return Ok(Outcome::Compliant);
        }
        if let Some(name) = &name {
            let by_name = match &mut by_name {
                Some(compiled) => compiled,
                empty => empty.insert(regex(&format!(r":{name}(?![\w\-_\.])"))?),
            };
            if regex_test(by_name, &target)? {
                return Ok(Outcome::Compliant);
            }
        }
    }
    Ok(Outcome::NonCompliant)
}

fn queue_ssl_requests_only(resource: &Resource, context: &Context<'_>) -> Verdict {
    let name = get(&resource.properties, "QueueName").map(|n| coerce(n, Kind::String));
    for policy in context.resources_of_type("AWS::SQS::QueuePolicy") {
        if attached(policy, "Queues", &resource.logical_id, name.as_ref())?
            && denies_insecure_transport(
                get(&policy.properties, "PolicyDocument.Statement"),
                "PolicyDocument.Statement",
                all_sqs_actions,
            )?
        {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

/// `'*'` or `sqs:*`, case-insensitively.
fn all_sqs_actions(action: &str) -> bool {
    action == "*" || action.to_lowercase() == "sqs:*"
}

// ---------------------------------------------------------------------------------------------------------
// Shared with sns.rs, mediastore.rs and events.rs.
// ---------------------------------------------------------------------------------------------------------

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
