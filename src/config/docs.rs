//! `docs/environment.md`, generated from the JSON Schema so that every field is documented with its type,
//! default and meaning. A test fails when the shipped file is stale.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::schema::schema_value;

/// Sections in the order an operator reads them.
const SECTION_ORDER: &[&str] = &[
    "stack",
    "images",
    "service",
    "network",
    "dns",
    "email",
    "database",
    "features",
    "suppressions",
    "deploy",
    "drift",
];

/// Rules that involve more than one field, or more than a type: what `validate` enforces beyond the schema.
const RULES: &[&str] = &[
    "`stack.name` starts with a letter and has only letters, digits and hyphens (at most 128); `stack.account` is 12 digits; `stack.region` is a region code.",
    "`stack.tags`: at most 50; keys 1..128 and values at most 256 characters of letters, digits, spaces and `_ . : / = + - @`; no `aws:` prefix.",
    "`stack.template_set` names a folder directly under `templates/`.",
    "`images.tag` is a valid registry tag; `images.*` repositories are lower-case references without a tag.",
    "`service.cpu` and `service.memory` form a task size Fargate offers (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720 in 1 GiB steps; 8192: 16384-61440 in 4 GiB steps; 16384: 32768-122880 in 8 GiB steps).",
    "`service.min_capacity` is at most `service.max_capacity`; `service.max_capacity` is 1..1000.",
    "`service.cpu_target_percent` and `service.memory_target_percent` are 1..100; `service.sticky_session_minutes` is 1..10080.",
    "Log retentions are values CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).",
    "`network.vpc_cidr` is an IPv4 /16 network address; `network.allowed_ipv4_cidr` and `network.allowed_ipv6_cidr` are CIDRs without host bits.",
    "`dns.route53_domain` and `dns.hosted_zone_id` go together; `dns.certificate_arn` is an ACM certificate ARN in the stack's region and partition.",
    "`email.configure_ses` needs `dns.route53_domain` (the seed crashed without it); `email.forwarding_address` needs `email.configure_ses` and is one address.",
    "`database.min_acu` 0..256 and `database.max_acu` 1..256, in steps of 0.5, min at most max; `database.backup_retention_days` 1..35.",
    "`suppressions[].rule` is a rule ID of a pack; an Error-level rule's suppression needs `expires`; `reason` has at least 10 characters; `expires` is a calendar date `YYYY-MM-DD`; `resource` is a logical ID or a glob of letters, digits, `*` and `?`.",
    "`deploy.artifact_bucket` is an S3 bucket name; `deploy.timeout_minutes` is 1..720; `deploy.allow_replacement` holds logical IDs.",
    "`drift.ignore[].resource` is a logical ID; `reason` has at least 10 characters; `expires` is a calendar date `YYYY-MM-DD`.",
    "`images.scan_timeout_seconds` is 1..3600; `images.fail_on` is not empty when `images.scan` is on; `images.pull_through_cache` and `images.docker_hub_credential_arn` go together, the ARN naming a Secrets Manager secret `ecr-pullthroughcache/...` in the stack's account and region.",
    "`images.allowlist[]` entries: `cve` (the vulnerability ID, required), `package` (optional, limits the entry to one package), `reason` (at least 10 characters), `expires` (a calendar date `YYYY-MM-DD`, required) and `owner` (required).",
    "MySQL ranges: `net_read_timeout`, `net_write_timeout`, `wait_timeout` 1..31536000 s; `connect_timeout` 2..31536000 s; `max_execution_time` 0..4294967295 ms; `aurora_ml_inference_timeout` 1..2147483647 ms.",
];

/// The Markdown reference of every environment-file field.
pub fn environment_reference() -> String {
    let root = schema_value();
    let mut out = String::new();
    let _ = writeln!(out, "# Environment files\n");
    let _ = writeln!(out, "<!-- Generated from the environment model by the test suite (`OMRS_GITOPS_BLESS=1 cargo test` rewrites it). Do not edit. -->\n");
    let _ = writeln!(
        out,
        "An environment file `pipelines/<name>.yaml` describes one deployment of OpenMRS: the stack it lives in and \
every toggle of the architecture. Only `stack` is required; every other field has the default shown, which is the \
seed's `cdk.json` default where the seed had the setting. Unknown keys are errors, with a suggestion of the closest \
known key. Start a file with the modeline\n\n```yaml\n# yaml-language-server: $schema=../schema/environment.schema.json\n```\n\n\
so editors validate it as you type; `omrs-gitops schema` prints the same schema. `omrs-gitops validate` checks files; \
`omrs-gitops import-cdk-json cdk.json` converts the seed's `cdk.json`.\n"
    );
    let properties = root.get("properties").and_then(Json::as_object);
    for section in SECTION_ORDER {
        let Some(schema) = properties.and_then(|properties| properties.get(*section)) else {
            continue;
        };
        let described = schema
            .get("description")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let _ = writeln!(out, "## `{section}`\n\n{described}\n");
        let _ = writeln!(
            out,
            "| Field | Type | Default | Meaning |\n|---|---|---|---|"
        );
        // A list section (`suppressions`) documents the fields of its items as `section[].field`.
        let (target, prefix) = match resolve(&root, schema).get("items") {
            Some(items) => (resolve(&root, items), format!("{section}[]")),
            None => (resolve(&root, schema), (*section).to_owned()),
        };
        if let Some(fields) = target.get("properties").and_then(Json::as_object) {
            let required: Vec<&str> = target
                .get("required")
                .and_then(Json::as_array)
                .map(|list| list.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            for (name, field) in fields {
                let default = if required.contains(&name.as_str()) {
                    "required".to_owned()
                } else {
                    match field.get("default") {
                        Some(Json::Null) | None => "unset".to_owned(),
                        Some(value) => {
                            format!("`{}`", serde_json::to_string(value).unwrap_or_default())
                        }
                    }
                };
                let meaning = field
                    .get("description")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .replace('\n', " ");
                let _ = writeln!(
                    out,
                    "| `{prefix}.{name}` | {} | {default} | {} |",
                    type_name(&root, field),
                    meaning.replace('|', "\\|")
                );
            }
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Rules beyond types\n\n`omrs-gitops validate` also enforces, reporting every violation with its file, line and column:\n");
    for rule in RULES {
        let _ = writeln!(out, "- {rule}");
    }
    out
}

fn resolve<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    match schema
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
    {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

fn type_name(root: &Json, schema: &Json) -> String {
    let schema = resolve(root, schema);
    if let Some(choices) = schema.get("oneOf").and_then(Json::as_array) {
        let names: Vec<String> = choices
            .iter()
            .flat_map(|choice| {
                let mut names: Vec<&Json> = choice.get("const").into_iter().collect();
                names.extend(
                    choice
                        .get("enum")
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten(),
                );
                names
            })
            .filter_map(Json::as_str)
            .map(|name| format!("`{name}`"))
            .collect();
        if !names.is_empty() {
            return format!("one of {}", names.join(", "));
        }
    }
    if schema.get("type").and_then(Json::as_str) == Some("array") {
        let items = schema.get("items").map(|items| resolve(root, items));
        return match items {
            Some(items) if items.get("properties").is_some() => "list of entries".to_owned(),
            Some(items) => format!("list of {}", type_name(root, items)),
            None => "list".to_owned(),
        };
    }
    match schema.get("type") {
        Some(Json::String(kind)) if kind == "object" => "map of string to string".to_owned(),
        Some(Json::String(kind)) => kind.clone(),
        Some(Json::Array(kinds)) => {
            let kinds: Vec<&str> = kinds
                .iter()
                .filter_map(Json::as_str)
                .filter(|kind| *kind != "null")
                .collect();
            format!("{} (optional)", kinds.join(" or "))
        }
        _ => "object".to_owned(),
    }
}
