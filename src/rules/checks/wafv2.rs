//! Checks for WAFv2 web ACLs: logging, found through an `AWS::WAFv2::LoggingConfiguration` of the same template
//! whose `ResourceArn` points at the web ACL by logical ID or by name.

use fancy_regex::Regex;
use serde_json::Value;

use crate::rules::value::{coerce, get, json_text, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const WEB_ACL: &[&str] = &["AWS::WAFv2::WebACL"];
const LOGGING_CONFIGURATION: &str = "AWS::WAFv2::LoggingConfiguration";

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "WAFv2LoggingEnabled",
    resource_types: WEB_ACL,
    problem: "No logging configuration of this template records the traffic the web ACL inspects",
    fix: "Add an `AWS::WAFv2::LoggingConfiguration` with `ResourceArn: !GetAtt <WebACL>.Arn` and a log destination",
    eval: logging_enabled,
}];

fn logging_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    // Both IDs and names go into the regexes unescaped, as cdk-nag does; JavaScript's `\w` is ASCII only.
    let by_id = js_regex(&format!("{}(?![A-Za-z0-9_])", resource.logical_id))?;
    let name_pattern = get(&resource.properties, "Name").map(|name| {
        format!(
            "webacl/{}(?![A-Za-z0-9_\\-_.])",
            js_string(&coerce(name, Kind::String))
        )
    });
    for configuration in context.resources_of_type(LOGGING_CONFIGURATION) {
        // JSON text of the resolved ARN; an absent one is tested as the text `undefined`.
        let arn = get(&configuration.properties, "ResourceArn")
            .map_or_else(|| "undefined".to_owned(), json_text);
        if js_test(&by_id, &arn)? {
            return Ok(Outcome::Compliant);
        }
        // Built only when needed, as cdk-nag does, so a name that is no valid regex throws only here.
        if let Some(pattern) = &name_pattern {
            if js_test(&js_regex(pattern)?, &arn)? {
                return Ok(Outcome::Compliant);
            }
        }
    }
    Ok(Outcome::NonCompliant)
}

/// JavaScript's `String(value)` as a template literal inserts it: objects become `[object Object]`.
fn js_string(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// Compiles a regex cdk-nag builds at evaluation time; a pattern JavaScript would reject makes the rule throw.
fn js_regex(pattern: &str) -> Result<Regex, Thrown> {
    Regex::new(pattern).map_err(|error| Thrown(format!("invalid regex `{pattern}`: {error}")))
}

fn js_test(regex: &Regex, text: &str) -> Result<bool, Thrown> {
    regex
        .is_match(text)
        .map_err(|error| Thrown(format!("regex `{}` failed: {error}", regex.as_str())))
}
