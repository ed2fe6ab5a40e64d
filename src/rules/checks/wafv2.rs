//! Checks for WAFv2 web ACLs: logging, found through an `AWS::WAFv2::LoggingConfiguration` of the same template
//! whose `ResourceArn` points at the web ACL by logical ID or by name.

use crate::rules::value::{coerce, get, js_string, json_text, regex, regex_test, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
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
    // Both IDs and names go into the regexes unescaped, as cdk-nag does.
    let by_id = regex(&format!(r"{}(?![\w])", resource.logical_id))?;
    let name_pattern = get(&resource.properties, "Name").map(|name| {
        format!(
            r"webacl/{}(?![\w\-_\.])",
            js_string(&coerce(name, Kind::String))
        )
    });
    for configuration in context.resources_of_type(LOGGING_CONFIGURATION) {
        // JSON text of the resolved ARN; an absent one is tested as the text `undefined`.
        let arn = get(&configuration.properties, "ResourceArn")
            .map_or_else(|| "undefined".to_owned(), json_text);
        if regex_test(&by_id, &arn)? {
            return Ok(Outcome::Compliant);
        }
        // Built only when needed, as cdk-nag does, so a name that is no valid regex throws only here.
        if let Some(pattern) = &name_pattern {
            if regex_test(&regex(pattern)?, &arn)? {
                return Ok(Outcome::Compliant);
            }
        }
    }
    Ok(Outcome::NonCompliant)
}
