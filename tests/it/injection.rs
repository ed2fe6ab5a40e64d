//! No environment value can inject CloudFormation structure or template code: every string field (and every tag
//! key) is set to hostile text, validation is bypassed on purpose, and the rendered document must keep its shape.

use serde_json::Value;

use omrs_gitops::config::Environment;

use crate::support::{load, render_env};

const STRUCTURE: &str = "x\", \"Evil\": {\"Type\": \"AWS::IAM::User\"}, \"y\": \"";
const TEMPLATE_CODE: &str = "{{ 7*7 }}{% if true %}IF{% endif %}";

/// Paths (JSON pointers) of every string leaf.
fn string_leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(pointer),
        Value::Object(map) => {
            for (key, child) in map {
                string_leaves(
                    child,
                    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                string_leaves(child, format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}

fn has_key(value: &Value, needle: &str) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, child)| key == needle || has_key(child, needle)),
        Value::Array(items) => items.iter().any(|child| has_key(child, needle)),
        _ => false,
    }
}

fn render_value(value: &Value) -> omrs_gitops::render::Rendered {
    let environment: Environment =
        serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{error}"));
    render_env("all-on", &environment)
}

#[test]
fn hostile_values_in_every_string_field_stay_strings() {
    let base =
        serde_json::to_value(load("tests/fixtures/environments/all-on.yaml")).unwrap_or_default();
    let baseline = render_value(&base);
    let mut leaves = Vec::new();
    string_leaves(&base, String::new(), &mut leaves);
    // The template set must exist to render; it is chosen by name, not rendered from the value.
    leaves.retain(|pointer| pointer != "/stack/template_set");
    // Enumerations (`images.scan`, `images.fail_on`) are not free text: serde refuses anything else.
    leaves.retain(|pointer| pointer != "/images/scan" && !pointer.starts_with("/images/fail_on/"));
    assert!(
        leaves.len() >= 15,
        "expected every string field, found {leaves:?}"
    );
    let mut used = 0;
    for pointer in &leaves {
        for payload in [STRUCTURE, TEMPLATE_CODE] {
            let mut hostile = base.clone();
            if let Some(slot) = hostile.pointer_mut(pointer) {
                *slot = Value::from(payload);
            }
            let rendered = render_value(&hostile);
            assert!(
                !has_key(&rendered.document, "Evil"),
                "{pointer} injected structure"
            );
            assert_eq!(
                rendered.resource_count(),
                baseline.resource_count(),
                "{pointer} changed the number of resources"
            );
            if rendered.json != baseline.json {
                used += 1;
                let literal = serde_json::to_string(payload).unwrap_or_default();
                let literal = &literal[1..literal.len() - 1];
                assert!(
                    rendered.json.contains(literal),
                    "{pointer}: the value was not kept verbatim"
                );
                assert!(
                    !rendered.json.contains("IF\""),
                    "{pointer}: template code in a value was evaluated"
                );
            }
        }
    }
    assert!(
        used > leaves.len(),
        "most string fields should reach the template ({used} renders differed)"
    );
}

#[test]
fn hostile_tag_keys_stay_strings() {
    let mut base =
        serde_json::to_value(load("tests/fixtures/environments/all-on.yaml")).unwrap_or_default();
    if let Some(tags) = base
        .pointer_mut("/stack/tags")
        .and_then(Value::as_object_mut)
    {
        tags.insert(STRUCTURE.to_owned(), Value::from(TEMPLATE_CODE));
    }
    let rendered = render_value(&base);
    assert!(!has_key(&rendered.document, "Evil"));
}

#[test]
fn templates_never_bypass_escaping() {
    for (path, text) in &crate::support::template_set().files {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            !compact.contains("|safe"),
            "{path} uses |safe, which would let values inject structure"
        );
        assert!(
            !compact.contains("autoescapefalse"),
            "{path} turns escaping off"
        );
    }
}
