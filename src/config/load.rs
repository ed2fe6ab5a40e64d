//! Loading an environment file: YAML syntax, unknown keys, types, then `validate`'s cross-field rules.
//!
//! Loading is pure: it takes the file's name and text and returns an `Environment` or every problem found.
//! Reading files from disk or from a git tree is the caller's business.

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::error::{ConfigError, ConfigErrors};
use super::model::Environment;
use super::schema::{keys, schema_value, Keys};
use super::spans::{Position, SpanIndex};
use super::validate::validate;

/// Parses and validates one environment file. `file` is only used in messages.
pub fn load_str(file: &str, text: &str) -> Result<Environment, ConfigErrors> {
    let fail = |position: Position, message: String, hint: &str| {
        ConfigErrors(vec![ConfigError {
            file: file.to_owned(),
            position,
            message,
            hint: Some(hint.to_owned()),
        }])
    };
    let document: Yaml = match serde_yaml::from_str(text) {
        Ok(document) => document,
        Err(error) => {
            let position = error
                .location()
                .map(|location| Position {
                    line: location.line(),
                    column: location.column(),
                })
                .unwrap_or(Position { line: 1, column: 1 });
            return Err(fail(
                position,
                format!("invalid YAML: {}", strip_location(&error.to_string())),
                "fix the syntax; a YAML linter or an editor with the schema modeline shows the exact spot",
            ));
        }
    };
    let spans = SpanIndex::build(text);
    if !document.is_mapping() {
        return Err(fail(
            Position { line: 1, column: 1 },
            "an environment file must be a mapping with at least a `stack` section".to_owned(),
            "start from `pipelines/dev.yaml` or run `omrs-gitops import-cdk-json cdk.json`",
        ));
    }

    let root = schema_value();
    let mut errors = Vec::new();
    unknown_keys(file, &spans, &root, &root, &document, "", &mut errors);
    if !errors.is_empty() {
        return Err(sorted(errors));
    }

    let environment: Environment = match serde_path_to_error::deserialize(document) {
        Ok(environment) => environment,
        Err(error) => {
            let path = error.path().to_string();
            let inner = strip_location(&error.inner().to_string());
            let (position, path) = if inner.starts_with("missing field") {
                (spans.key(&path), path)
            } else {
                (spans.value(&path), path)
            };
            return Err(ConfigErrors(vec![ConfigError {
                file: file.to_owned(),
                position,
                message: if path == "." || path.is_empty() {
                    inner.clone()
                } else {
                    format!("`{path}`: {inner}")
                },
                hint: Some(type_hint(&inner).to_owned()),
            }]));
        }
    };

    let problems = validate(&environment);
    if problems.is_empty() {
        return Ok(environment);
    }
    Err(sorted(
        problems
            .into_iter()
            .map(|problem| ConfigError {
                file: file.to_owned(),
                position: if problem.at_key {
                    spans.key(&problem.path)
                } else {
                    spans.value(&problem.path)
                },
                message: format!("`{}`: {}", problem.path, problem.message),
                hint: Some(problem.hint),
            })
            .collect(),
    ))
}

fn sorted(mut errors: Vec<ConfigError>) -> ConfigErrors {
    errors.sort_by(|a, b| a.position.cmp(&b.position).then(a.message.cmp(&b.message)));
    ConfigErrors(errors)
}

/// serde_yaml appends " at line L column C"; we print positions ourselves.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message.to_owned(),
    }
}

fn type_hint(message: &str) -> &'static str {
    if message.contains("expected a boolean") {
        "write `true` or `false` without quotes"
    } else if message.contains("expected u32")
        || message.contains("expected u64")
        || message.contains("expected f64")
    {
        "write a plain non-negative number without quotes"
    } else if message.starts_with("missing field") {
        "add the field; docs/environment.md lists every field"
    } else {
        "see docs/environment.md for the field's type"
    }
}

fn unknown_keys(
    file: &str,
    spans: &SpanIndex,
    root: &Json,
    schema: &Json,
    value: &Yaml,
    path: &str,
    errors: &mut Vec<ConfigError>,
) {
    let Yaml::Mapping(mapping) = value else {
        return;
    };
    let allowed = keys(root, schema);
    for (key, child) in mapping {
        let Some(name) = key.as_str() else {
            errors.push(ConfigError {
                file: file.to_owned(),
                position: spans.key(path),
                message: format!("non-string key `{}` under `{path}`", describe(key)),
                hint: Some("keys are field names; quote the key if it is meant as text".to_owned()),
            });
            continue;
        };
        let full = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        match allowed {
            Keys::Fixed(properties) => match properties.get(name) {
                Some(child_schema) => {
                    unknown_keys(file, spans, root, child_schema, child, &full, errors)
                }
                None => errors.push(ConfigError {
                    file: file.to_owned(),
                    position: spans.key(&full),
                    message: format!("unknown key `{full}`"),
                    hint: Some(match closest(name, properties.keys()) {
                        Some(known) => format!("did you mean `{}`?", join(path, known)),
                        None => format!(
                            "known keys here: {}",
                            properties
                                .keys()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }),
                }),
            },
            Keys::Open(values) => unknown_keys(file, spans, root, values, child, &full, errors),
            Keys::Unchecked => {}
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(value: &Yaml) -> String {
    serde_yaml::to_string(value)
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

/// The known key most similar to `name`, if any is similar enough to be a likely typo.
pub(crate) fn closest<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    known
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.as_str())
}
