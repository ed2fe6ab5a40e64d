//! The JSON Schema of environment files, and the key tree used to reject unknown keys.
//!
//! The schema is generated from the `model` types, so it cannot drift from what `load` accepts. The same schema
//! drives unknown-key detection, which lets us report every unknown key in a file at once with a suggestion,
//! rather than serde's first-error-only `deny_unknown_fields`.

use serde_json::Value as Json;

use super::model::Environment;

/// The JSON Schema (draft 2020-12) of an environment file, as pretty JSON with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Environment);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// The generated schema as a JSON value, for walking.
pub fn schema_value() -> Json {
    serde_json::to_value(schemars::schema_for!(Environment)).unwrap_or(Json::Null)
}

/// What a mapping at some path may contain.
pub enum Keys<'a> {
    /// A struct: only these keys.
    Fixed(&'a serde_json::Map<String, Json>),
    /// A free-form map (`stack.tags`): any key; values follow this schema.
    Open(&'a Json),
    /// Not a mapping, or not described: nothing to check.
    Unchecked,
}

/// Follows `$ref`, `allOf`, `anyOf` and `oneOf` until a schema with `properties` or `additionalProperties`.
pub fn keys<'a>(root: &'a Json, schema: &'a Json) -> Keys<'a> {
    let mut pending = vec![schema];
    while let Some(schema) = pending.pop() {
        if let Some(properties) = schema.get("properties").and_then(Json::as_object) {
            return Keys::Fixed(properties);
        }
        if let Some(additional) = schema.get("additionalProperties") {
            if additional.is_object() {
                return Keys::Open(additional);
            }
        }
        if let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
            if let Some(target) = resolve(root, reference) {
                pending.push(target);
            }
        }
        for combinator in ["allOf", "anyOf", "oneOf"] {
            if let Some(options) = schema.get(combinator).and_then(Json::as_array) {
                pending.extend(options.iter().rev());
            }
        }
    }
    Keys::Unchecked
}

fn resolve<'a>(root: &'a Json, reference: &str) -> Option<&'a Json> {
    root.pointer(reference.strip_prefix('#')?)
}
