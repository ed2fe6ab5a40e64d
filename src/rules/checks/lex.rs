//! Checks for Amazon Lex V2 bots and bot aliases: conversation logs, audio in S3 and text in CloudWatch Logs,
//! are encrypted with a KMS key.

use std::borrow::Cow;

use serde_json::Value;

use crate::rules::value::{coerce, for_of, get, json_text, reference, strict_eq, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const BOT_ALIAS: &str = "AWS::Lex::BotAlias";

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "LexBotAliasEncryptedConversationLogs",
    resource_types: &[BOT_ALIAS, "AWS::Lex::Bot"],
    problem: "Enabled conversation logs of the bot or alias are stored without KMS encryption",
    fix: "Set `KmsKeyArn` on every enabled audio log's `S3Bucket` destination and `KmsKeyId` on the `AWS::Logs::LogGroup` of every enabled text log",
    eval: encrypted_conversation_logs,
}];

/// JavaScript's `base.key`: reading a property of `undefined` or `null` throws; any other base gives the
/// property or `undefined` (`None`), strings and numbers included.
fn member<'a>(base: Option<&'a Value>, key: &str) -> Result<Option<&'a Value>, Thrown> {
    match base {
        None | Some(Value::Null) => Err(Thrown(format!(
            "the rule reads `{key}` of a missing value, which throws"
        ))),
        Some(value) => Ok(get(value, key)),
    }
}

/// `for (const log of settings[key] ?? [])`: absent is an empty list; anything else iterates as JavaScript does.
fn log_settings<'a>(settings: &'a Value, key: &str) -> Result<Vec<Cow<'a, Value>>, Thrown> {
    match get(settings, key) {
        None => Ok(Vec::new()),
        value => for_of(value, key),
    }
}

/// `log.Enabled === true`, after the log entry itself is read (a null entry throws).
fn enabled(log: &Value) -> Result<bool, Thrown> {
    let enabled = member(Some(log), "Enabled")?.map(|value| coerce(value, Kind::Boolean));
    Ok(strict_eq(enabled.as_ref(), &Value::Bool(true)))
}

fn encrypted_conversation_logs(resource: &Resource, context: &Context<'_>) -> Verdict {
    let path = if resource.resource_type == BOT_ALIAS {
        "ConversationLogSettings"
    } else {
        "TestBotAliasSettings.ConversationLogSettings"
    };
    let Some(settings) = get(&resource.properties, path) else {
        return Ok(Outcome::Compliant);
    };
    for log in log_settings(settings, "AudioLogSettings")? {
        if !enabled(&log)? {
            continue;
        }
        let destination = member(Some(&log), "Destination")?;
        let bucket = member(destination, "S3Bucket")?;
        if member(bucket, "KmsKeyArn")?.is_none() {
            return Ok(Outcome::NonCompliant);
        }
    }
    for log in log_settings(settings, "TextLogSettings")? {
        if !enabled(&log)? {
            continue;
        }
        let destination = member(Some(&log), "Destination")?;
        let cloud_watch = member(destination, "CloudWatch")?;
        let arn = member(cloud_watch, "CloudWatchLogGroupArn")?;
        let wanted = arn.map(reference);
        let group = context
            .resources_of_type("AWS::Logs::LogGroup")
            .find(|group| {
                wanted.as_ref().and_then(Value::as_str) == Some(group.logical_id.as_str())
            });
        match group {
            // cdk-nag cannot tell whether a log group outside the template is encrypted and throws.
            None => {
                return Err(Thrown(format!(
                    "the text log destination {} is not a log group of this template",
                    arn.map_or_else(|| "(absent)".to_owned(), json_text)
                )))
            }
            Some(group) if get(&group.properties, "KmsKeyId").is_none() => {
                return Ok(Outcome::NonCompliant)
            }
            Some(_) => {}
        }
    }
    Ok(Outcome::Compliant)
}
