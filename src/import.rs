//! Migration from the seed: a seed-style `cdk.json` context becomes an environment file.
//!
//! The seed compares every toggle with the string `"true"` and accepts numbers as numbers or strings; we
//! reproduce exactly that reading, so the imported file deploys what the seed would have, minus its defects.
//! The output is checked with `config::load_str` before it is printed, so it always validates as is.

use std::fmt::Write as _;

use serde_json::Value;

/// What the seed's `cdk.json` does not say.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub stack_name: Option<String>,
    pub account: Option<String>,
    pub region: String,
}

const STACK_NAME_PLACEHOLDER: &str = "openmrs";
const ACCOUNT_PLACEHOLDER: &str = "000000000000";
const HOSTED_ZONE_PLACEHOLDER: &str = "ZREPLACEWITHHOSTEDZONEID";

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
    Toggle,
}

/// cdk.json context key, environment-file section, field, and kind, in output order.
const MAPPING: &[(&str, &str, &str, Kind)] = &[
    (
        "openmrs_reference_application_version",
        "images",
        "tag",
        Kind::Text,
    ),
    (
        "openmrs_service_fargate_cpu_per_task",
        "service",
        "cpu",
        Kind::Number,
    ),
    (
        "openmrs_service_fargate_ram_per_task",
        "service",
        "memory",
        Kind::Number,
    ),
    (
        "openmrs_service_fargate_minimum_capacity",
        "service",
        "min_capacity",
        Kind::Number,
    ),
    (
        "openmrs_service_fargate_maximum_capacity",
        "service",
        "max_capacity",
        Kind::Number,
    ),
    (
        "openmrs_service_fargate_cpu_autoscaling_percentage",
        "service",
        "cpu_target_percent",
        Kind::Number,
    ),
    (
        "openmrs_service_fargate_memory_autoscaling_percentage",
        "service",
        "memory_target_percent",
        Kind::Number,
    ),
    (
        "sticky_session_cookie_length_in_minutes",
        "service",
        "sticky_session_minutes",
        Kind::Number,
    ),
    (
        "security_group_ip_range_ipv4",
        "network",
        "allowed_ipv4_cidr",
        Kind::Text,
    ),
    (
        "security_group_ip_range_ipv6",
        "network",
        "allowed_ipv6_cidr",
        Kind::Text,
    ),
    ("open_smtp_port", "network", "open_smtp_port", Kind::Toggle),
    ("route53_domain", "dns", "route53_domain", Kind::Text),
    ("certificate_arn", "dns", "certificate_arn", Kind::Text),
    ("configure_ses", "email", "configure_ses", Kind::Toggle),
    (
        "email_forwarding_address",
        "email",
        "forwarding_address",
        Kind::Text,
    ),
    (
        "net_read_timeout",
        "database",
        "net_read_timeout",
        Kind::Number,
    ),
    (
        "net_write_timeout",
        "database",
        "net_write_timeout",
        Kind::Number,
    ),
    ("wait_timeout", "database", "wait_timeout", Kind::Number),
    (
        "connect_timeout",
        "database",
        "connect_timeout",
        Kind::Number,
    ),
    (
        "max_execution_time",
        "database",
        "max_execution_time",
        Kind::Number,
    ),
    (
        "aurora_ml_inference_timeout",
        "database",
        "aurora_ml_inference_timeout",
        Kind::Number,
    ),
    (
        "enable_long_term_cloudtrail_monitoring",
        "features",
        "cloudtrail",
        Kind::Toggle,
    ),
    ("enable_ecs_exec", "features", "ecs_exec", Kind::Toggle),
    (
        "enable_bedrock_integration",
        "features",
        "bedrock",
        Kind::Toggle,
    ),
    ("enable_data_api", "features", "data_api", Kind::Toggle),
    (
        "enable_global_accelerator",
        "features",
        "global_accelerator",
        Kind::Toggle,
    ),
    (
        "create_serverless_analytics_environment",
        "features",
        "analytics",
        Kind::Toggle,
    ),
];

/// Context keys the seed reads nowhere.
const UNUSED_KEYS: &[&str] = &["aliases"];

/// Converts the text of a `cdk.json` named `file` into environment-file YAML, or explains in one line per
/// problem why it cannot.
pub fn import_cdk_json(file: &str, text: &str, options: &ImportOptions) -> Result<String, String> {
    let document: Value = serde_json::from_str(text).map_err(|error| {
        format!(
            "{file}:{}:{}: not JSON: {error}; pass the seed's cdk.json",
            error.line(),
            error.column()
        )
    })?;
    let context = document
        .get("context")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            format!("{file}:1:1: no `context` object; this does not look like the seed's cdk.json")
        })?;
    // `line:column` of a context key in the original text, for messages.
    let line_of = |key: &str| {
        text.find(&format!("\"{key}\""))
            .map(|offset| {
                let before = &text[..offset];
                let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
                format!("{}:{column}", before.matches('\n').count() + 1)
            })
            .unwrap_or_else(|| "1:1".to_owned())
    };
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut sections: Vec<(&str, Vec<String>)> = Vec::new();
    let toggle = |key: &str| match context.get(key) {
        Some(Value::String(text)) => text == "true",
        Some(Value::Bool(value)) => *value,
        _ => false,
    };
    for &(key, section, field, kind) in MAPPING {
        let Some(value) = context.get(key) else {
            continue;
        };
        let rendered = match (kind, value) {
            (_, Value::Null) => continue,
            (Kind::Toggle, _) => {
                let on = toggle(key);
                if !matches!(value, Value::Bool(_)) && !on && value.as_str() != Some("false") {
                    notes.push(format!(
                        "`{key}` was {value}, which the seed reads as false"
                    ));
                }
                on.to_string()
            }
            (Kind::Number, Value::Number(number)) => number.to_string(),
            (Kind::Number, Value::String(text)) if text.trim().parse::<u64>().is_ok() => {
                text.trim().to_owned()
            }
            (Kind::Number, other) => {
                problems.push(format!(
                    "{file}:{}: context key `{key}` is {other}, not a whole number; fix it in cdk.json and import again",
                    line_of(key)
                ));
                continue;
            }
            (Kind::Text, Value::String(text)) => quote(text),
            (Kind::Text, other) => {
                problems.push(format!(
                    "{file}:{}: context key `{key}` is {other}, not a string; fix it in cdk.json and import again",
                    line_of(key)
                ));
                continue;
            }
        };
        if key == "email_forwarding_address" && !toggle("configure_ses") {
            notes.push("`email_forwarding_address` is dropped: the seed ignores it without `configure_ses`".to_owned());
            continue;
        }
        let line = format!("  {field}: {rendered}  # cdk.json `{key}`");
        match sections.iter_mut().find(|(name, _)| *name == section) {
            Some((_, lines)) => lines.push(line),
            None => sections.push((section, vec![line])),
        }
    }
    if toggle("configure_ses") && context.get("route53_domain").is_none_or(Value::is_null) {
        problems.push(format!(
            "{file}:{}: `configure_ses` is \"true\" without `route53_domain`: the seed crashes on this; set `route53_domain` or turn SES off",
            line_of("configure_ses")
        ));
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    for key in UNUSED_KEYS {
        if context.get(*key).is_some_and(|value| !value.is_null()) {
            notes.push(format!("`{key}` is dropped: the seed never reads it"));
        }
    }
    let has_domain = context.get("route53_domain").is_some_and(Value::is_string);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema=../schema/environment.schema.json"
    );
    let _ = writeln!(
        out,
        "# Converted from {} by `omrs-gitops import-cdk-json`.",
        file.replace('\n', " ")
    );
    let _ = writeln!(
        out,
        "# Placeholders to replace before deploying: stack.name, stack.account{}.",
        if has_domain {
            ", dns.hosted_zone_id"
        } else {
            ""
        }
    );
    for note in &notes {
        let _ = writeln!(out, "# Note: {note}.");
    }
    let _ = writeln!(out, "stack:");
    let _ = writeln!(
        out,
        "  name: {}",
        quote(
            options
                .stack_name
                .as_deref()
                .unwrap_or(STACK_NAME_PLACEHOLDER)
        )
    );
    let _ = writeln!(
        out,
        "  account: {}",
        quote(options.account.as_deref().unwrap_or(ACCOUNT_PLACEHOLDER))
    );
    let _ = writeln!(out, "  region: {}", quote(&options.region));
    for (section, lines) in &sections {
        let _ = writeln!(out, "{section}:");
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        if *section == "dns" && has_domain {
            let _ = writeln!(out, "  hosted_zone_id: {HOSTED_ZONE_PLACEHOLDER}  # placeholder: the seed looked the zone up at synth time");
        }
    }
    crate::config::load_str("(imported environment)", &out).map_err(|errors| {
        errors
            .0
            .iter()
            .map(|error| {
                format!(
                    "{file}: the converted environment is not valid: {}",
                    error.message
                ) + &error
                    .hint
                    .as_ref()
                    .map(|hint| format!("; {hint}"))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(out)
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}
