//! Checks for SQS queues: server-side encryption, a dead-letter queue, and a queue policy that refuses requests
//! made without TLS.
//!
//! This file also holds the pieces of cdk-nag's resource-policy tests that several services share
//! (nag-rules.md §2.3, "secure transport"): the open-principal test, the secure-transport statement test and the
//! walk over a policy's list of attached queues or topics. `sns.rs`, `mediastore.rs` and `events.rs` use them.

use fancy_regex::Regex;
use serde_json::Value;

use super::policy::{attached, denies_insecure_transport};
use crate::rules::value::{
    coerce, flatten, get, js_string, regex, regex_test, strict_eq, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Verdict};
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
