//! Checks for SNS topics: server-side encryption with a KMS key, and a topic policy that refuses publishing
//! without TLS.

use crate::rules::value::{coerce, get, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

use super::policy::{attached, denies_insecure_transport};

const TOPIC: &[&str] = &["AWS::SNS::Topic"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "SNSEncryptedKMS",
        resource_types: TOPIC,
        problem: "The topic does not encrypt its messages at rest with a KMS key",
        fix: "Set `KmsMasterKeyId` to a KMS key (preferably customer managed) that the publishers may use",
        eval: encrypted_kms,
    },
    Check {
        name: "SNSTopicSSLPublishOnly",
        resource_types: TOPIC,
        problem: "The topic is not KMS-encrypted and no topic policy of the template denies publishing to it without TLS",
        fix: "Attach an `AWS::SNS::TopicPolicy` with a statement `Effect: Deny`, `Principal: '*'`, `Action: 'sns:Publish'` and `Condition: {Bool: {'aws:SecureTransport': 'false'}}`, or set `KmsMasterKeyId`",
        eval: ssl_publish_only,
    },
];

fn encrypted_kms(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value counts, an intrinsic included.
    Ok(verdict(
        get(&resource.properties, "KmsMasterKeyId").is_some(),
    ))
}

fn ssl_publish_only(resource: &Resource, context: &Context<'_>) -> Verdict {
    // A KMS-encrypted topic passes whatever its policies say (any value counts, an intrinsic included).
    if get(&resource.properties, "KmsMasterKeyId").is_some() {
        return Ok(Outcome::Compliant);
    }
    let name = get(&resource.properties, "TopicName").map(|n| coerce(n, Kind::String));
    for policy in context.resources_of_type("AWS::SNS::TopicPolicy") {
        if attached(policy, "Topics", &resource.logical_id, name.as_ref())?
            && denies_insecure_transport(
                get(&policy.properties, "PolicyDocument.Statement"),
                "PolicyDocument.Statement",
                publish_action,
            )?
        {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

/// `sns:Publish`, case-insensitively; unlike the SQS and S3 tests, `'*'` and `sns:*` are not accepted.
fn publish_action(action: &str) -> bool {
    action.to_lowercase() == "sns:publish"
}
