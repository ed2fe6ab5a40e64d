//! Checks for Kinesis: checkpointing of Flink applications (Kinesis Data Analytics), server-side encryption of
//! Firehose delivery streams and of data streams, and the AWS managed key for data streams.

use serde_json::Value;

use crate::rules::value::{
    coerce, get, loose_eq, primitive, resolve_primitive, strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const STREAM: &[&str] = &["AWS::Kinesis::Stream"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "KinesisDataAnalyticsFlinkCheckpointing",
        resource_types: &["AWS::KinesisAnalyticsV2::Application"],
        problem: "The Flink application does not take checkpoints, so it cannot recover its state after a failure",
        fix: "Set `ApplicationConfiguration.FlinkApplicationConfiguration.CheckpointConfiguration` with `ConfigurationType: DEFAULT`, or `CUSTOM` with `CheckpointingEnabled: true`",
        eval: flink_checkpointing,
    },
    Check {
        name: "KinesisDataFirehoseSSE",
        resource_types: &["AWS::KinesisFirehose::DeliveryStream"],
        problem: "The delivery stream does not encrypt the data it buffers at rest",
        fix: "Set `DeliveryStreamEncryptionConfigurationInput` with a `KeyType` of `AWS_OWNED_CMK` or `CUSTOMER_MANAGED_CMK`",
        eval: firehose_sse,
    },
    Check {
        name: "KinesisDataStreamSSE",
        resource_types: STREAM,
        problem: "The data stream does not encrypt its records at rest",
        fix: "Set `StreamEncryption` with `EncryptionType: KMS` and a `KeyId`",
        eval: stream_sse,
    },
    Check {
        name: "KinesisDataStreamDefaultKeyWhenSSE",
        resource_types: STREAM,
        problem: "The encrypted data stream uses a KMS key other than the AWS managed `aws/kinesis` key",
        fix: "Set `StreamEncryption.KeyId: alias/aws/kinesis`, or suppress the rule when a customer managed key is intended",
        eval: stream_default_key,
    },
];

/// Whether `RuntimeEnvironment`, read raw and lower-cased, starts with `flink`. CDK hands the rule an intrinsic
/// runtime as a token string (`${Token[TOKEN.12]}`), which never does; an absent runtime cannot be
/// lower-cased, which cdk-nag reports as an error.
fn is_flink(resource: &Resource, context: &Context<'_>) -> Result<bool, Thrown> {
    let runtime = get(&resource.properties, "RuntimeEnvironment").ok_or_else(|| {
        Thrown(
            "the application has no `RuntimeEnvironment`, which the rule lower-cases unconditionally"
                .to_owned(),
        )
    })?;
    Ok(match resolve_primitive(runtime, Kind::String, context) {
        Ok(Value::String(text)) => text.to_lowercase().starts_with("flink"),
        _ => false,
    })
}

fn flink_checkpointing(resource: &Resource, context: &Context<'_>) -> Verdict {
    if !is_flink(resource, context)? {
        return Ok(Outcome::Compliant);
    }
    let Some(checkpoints) = get(
        &resource.properties,
        "ApplicationConfiguration.FlinkApplicationConfiguration.CheckpointConfiguration",
    ) else {
        return Ok(Outcome::NonCompliant);
    };
    let kind = primitive(checkpoints, "ConfigurationType", Kind::String, context)?;
    if !loose_eq(kind.as_ref(), &Value::from("CUSTOM")) {
        return Ok(Outcome::Compliant);
    }
    let enabled = primitive(checkpoints, "CheckpointingEnabled", Kind::Boolean, context)?;
    Ok(verdict(truthy(enabled.as_ref())))
}

fn firehose_sse(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(
            &resource.properties,
            "DeliveryStreamEncryptionConfigurationInput",
        )
        .is_some(),
    ))
}

fn stream_sse(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(&resource.properties, "StreamEncryption").is_some(),
    ))
}

fn stream_default_key(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(encryption) = get(&resource.properties, "StreamEncryption") else {
        return Ok(Outcome::Compliant);
    };
    // Strict comparison of the raw value: an intrinsic key never equals the alias.
    let key = get(encryption, "KeyId").map(|key| coerce(key, Kind::String));
    Ok(verdict(strict_eq(
        key.as_ref(),
        &Value::from("alias/aws/kinesis"),
    )))
}
