//! A CloudFormation document as the compliance rules see it: parsed from JSON or YAML (short-form tags such as
//! `!Ref`, `!GetAtt`, `!Sub`, `!If` become their long forms), with each resource's logical ID, type,
//! properties, metadata and the line where it is defined.
//!
//! This module only reads; it never evaluates conditions or resolves intrinsics (that is the rules' business,
//! with cdk-nag's semantics).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::config::Position;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The file as named by the user (or the rendered template's name).
    pub file: String,
    pub document: Value,
    /// Resources in document order.
    pub resources: Vec<Resource>,
    /// Indexes into `resources` by resource type, so cross-resource rules stay linear on large templates.
    by_type: BTreeMap<String, Vec<usize>>,
}

impl Template {
    /// Resources of one type, in document order.
    pub fn of_type<'a>(&'a self, resource_type: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_type
            .get(resource_type)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(move |index| &self.resources[*index])
    }
}

/// One entry of `Resources`.
#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub resource_type: String,
    /// `Properties`, or `Value::Null` when absent.
    pub properties: Value,
    /// `Metadata`, or `Value::Null` when absent.
    pub metadata: Value,
    /// Logical IDs in `DependsOn` (a string or a list).
    pub depends_on: Vec<String>,
    /// `DeletionPolicy`, when it is a string.
    pub deletion_policy: Option<String>,
    /// `UpdateReplacePolicy`, when it is a string.
    pub update_replace_policy: Option<String>,
    /// Where the logical ID's key starts in the file.
    pub position: Position,
}

impl Resource {
    /// The CDK construct path (`aws:cdk:path` metadata) when present, else the logical ID: how cdk-nag's
    /// reports name a resource.
    pub fn report_id(&self) -> &str {
        self.metadata
            .get("aws:cdk:path")
            .and_then(Value::as_str)
            .unwrap_or(&self.logical_id)
    }
}

/// Why a template could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{file}:{line}:{column}: not valid JSON or YAML: {message}; fix the syntax")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{file}:1:1: no `Resources` mapping; this does not look like a CloudFormation template"
    )]
    NoResources { file: String },
    #[error("{file}:{line}:{column}: resource `{logical_id}` {problem}; every resource needs a string `Type`")]
    BadResource {
        file: String,
        line: usize,
        column: usize,
        logical_id: String,
        problem: String,
    },
}

/// Parses a template from text. JSON is tried when the text starts with `{`; everything else is YAML.
pub fn parse(file: &str, text: &str) -> Result<Template, TemplateError> {
    let is_json = text.trim_start().starts_with('{');
    let document = if is_json {
        serde_json::from_str::<Value>(text).map_err(|error| TemplateError::Syntax {
            file: file.to_owned(),
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })?
    } else {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|error| {
            let location = error.location();
            TemplateError::Syntax {
                file: file.to_owned(),
                line: location.as_ref().map_or(1, serde_yaml::Location::line),
                column: location.as_ref().map_or(1, serde_yaml::Location::column),
                message: error.to_string(),
            }
        })?;
        yaml_to_json(yaml)
    };
    if is_json {
        let positions = json_resource_positions(text);
        let start = Position { line: 1, column: 1 };
        return from_document(file, document, |logical_id| {
            positions.get(logical_id).copied().unwrap_or(start)
        });
    }
    let spans = crate::config::SpanIndex::build(text);
    from_document(file, document, |logical_id| {
        spans.key(&format!("Resources.{logical_id}"))
    })
}

/// Positions of the keys of the top-level `Resources` object of a JSON document, in one pass over the bytes
/// (the general YAML position index is far slower on large JSON templates).
fn json_resource_positions(text: &str) -> BTreeMap<String, Position> {
    let bytes = text.as_bytes();
    let mut positions = BTreeMap::new();
    let (mut line, mut line_start) = (1, 0);
    let mut depth = 0usize;
    let mut in_resources = false;
    // Whether the last top-level key was `Resources`, so the object that follows holds the resources.
    let mut top_key_is_resources = false;
    let mut expecting_key = false;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\n' => {
                line += 1;
                line_start = index + 1;
            }
            b'"' => {
                let start = index;
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
                let end = index.min(bytes.len() - 1);
                if expecting_key {
                    let raw = &text[start + 1..end.max(start + 1)];
                    if depth == 1 {
                        top_key_is_resources = raw == "Resources";
                    } else if depth == 2 && in_resources {
                        let column = text[line_start..start].chars().count() + 1;
                        let key = serde_json::from_str::<String>(&text[start..=end])
                            .unwrap_or_else(|_| raw.to_owned());
                        positions.insert(key, Position { line, column });
                    }
                }
                expecting_key = false;
            }
            b'{' => {
                depth += 1;
                if depth == 2 && top_key_is_resources {
                    in_resources = true;
                }
                expecting_key = true;
            }
            b'}' => {
                if depth == 2 {
                    in_resources = false;
                }
                depth = depth.saturating_sub(1);
            }
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b',' => expecting_key = true,
            b':' => expecting_key = false,
            _ => {}
        }
        index += 1;
    }
    positions
}

/// Wraps an already parsed document (a rendered template); `position` locates each logical ID.
pub fn from_document(
    file: &str,
    document: Value,
    position: impl Fn(&str) -> Position,
) -> Result<Template, TemplateError> {
    let Some(entries) = document.get("Resources").and_then(Value::as_object) else {
        return Err(TemplateError::NoResources {
            file: file.to_owned(),
        });
    };
    let mut resources = Vec::with_capacity(entries.len());
    for (logical_id, resource) in entries {
        let at = position(logical_id);
        let Some(resource_type) = resource.get("Type").and_then(Value::as_str) else {
            return Err(TemplateError::BadResource {
                file: file.to_owned(),
                line: at.line,
                column: at.column,
                logical_id: logical_id.clone(),
                problem: "has no string `Type`".to_owned(),
            });
        };
        resources.push(Resource {
            logical_id: logical_id.clone(),
            resource_type: resource_type.to_owned(),
            properties: non_null(resource.get("Properties")),
            metadata: non_null(resource.get("Metadata")),
            depends_on: match resource.get("DependsOn") {
                Some(Value::String(id)) => vec![id.clone()],
                Some(Value::Array(ids)) => ids
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            },
            deletion_policy: resource
                .get("DeletionPolicy")
                .and_then(Value::as_str)
                .map(str::to_owned),
            update_replace_policy: resource
                .get("UpdateReplacePolicy")
                .and_then(Value::as_str)
                .map(str::to_owned),
            position: at,
        });
    }
    let mut by_type: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, resource) in resources.iter().enumerate() {
        by_type
            .entry(resource.resource_type.clone())
            .or_default()
            .push(index);
    }
    Ok(Template {
        file: file.to_owned(),
        document,
        resources,
        by_type,
    })
}

fn non_null(value: Option<&Value>) -> Value {
    value.cloned().unwrap_or(Value::Null)
}

/// Converts YAML to JSON, expanding CloudFormation's short-form tags.
fn yaml_to_json(value: serde_yaml::Value) -> Value {
    match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(flag) => Value::Bool(flag),
        serde_yaml::Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                Value::from(integer)
            } else if let Some(unsigned) = number.as_u64() {
                Value::from(unsigned)
            } else {
                number.as_f64().map_or(Value::Null, Value::from)
            }
        }
        serde_yaml::Value::String(text) => Value::String(text),
        serde_yaml::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(yaml_to_json).collect())
        }
        serde_yaml::Value::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    serde_yaml::Value::String(text) => text,
                    other => serde_yaml::to_string(&other)
                        .map(|text| text.trim().to_owned())
                        .unwrap_or_default(),
                };
                object.insert(key, yaml_to_json(value));
            }
            Value::Object(object)
        }
        serde_yaml::Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = yaml_to_json(tagged.value);
            let (key, value) = match name {
                "Ref" => ("Ref".to_owned(), inner),
                "Condition" => ("Condition".to_owned(), inner),
                "GetAtt" => (
                    "Fn::GetAtt".to_owned(),
                    match inner {
                        Value::String(text) => match text.split_once('.') {
                            Some((resource, attribute)) => {
                                Value::from(vec![resource.to_owned(), attribute.to_owned()])
                            }
                            None => Value::String(text),
                        },
                        other => other,
                    },
                ),
                other => (format!("Fn::{other}"), inner),
            };
            let mut object = Map::new();
            object.insert(key, value);
            Value::Object(object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_short_forms_become_long_forms() {
        let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-x'\n      Tags:\n        - Key: a\n          Value: !GetAtt Role.Arn\n        - Key: b\n          Value: !If [Cond, !Ref X, !Ref AWS::NoValue]\n";
        let template = parse("t.yaml", text).unwrap_or_else(|error| panic!("{error}"));
        let bucket = &template.resources[0];
        assert_eq!(bucket.position, Position { line: 2, column: 3 });
        assert_eq!(
            bucket.properties["BucketName"],
            json!({"Fn::Sub": "${AWS::StackName}-x"})
        );
        assert_eq!(
            bucket.properties["Tags"][0]["Value"],
            json!({"Fn::GetAtt": ["Role", "Arn"]})
        );
        assert_eq!(
            bucket.properties["Tags"][1]["Value"],
            json!({"Fn::If": ["Cond", {"Ref": "X"}, {"Ref": "AWS::NoValue"}]})
        );
    }

    #[test]
    fn json_positions_and_errors() {
        let text = "{\n  \"Resources\": {\n    \"A\": {\"Type\": \"AWS::SNS::Topic\"},\n    \"B\": {\"Type\": \"AWS::SQS::Queue\", \"Metadata\": {\"aws:cdk:path\": \"S/B/Resource\"}}\n  }\n}\n";
        let template = parse("t.json", text).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            template.resources[1].position,
            Position { line: 4, column: 5 }
        );
        assert_eq!(
            template.resources[0].position,
            Position { line: 3, column: 5 }
        );
        let escaped = "{\"Outputs\": {\"A\": {\"Value\": \"x\"}},\n \"Resources\": {\n  \"B\\u0043\": {\"Type\": \"T\", \"Properties\": {\"L\": [\"s\", {\"k\": \"\\\"}\"}]}},\n  \"D\": {\"Type\": \"T\"}}}";
        let positions = json_resource_positions(escaped);
        assert_eq!(positions.get("BC"), Some(&Position { line: 3, column: 3 }));
        assert_eq!(positions.get("D"), Some(&Position { line: 4, column: 3 }));
        assert_eq!(positions.len(), 2, "{positions:?}");
        assert_eq!(template.resources[1].report_id(), "S/B/Resource");
        assert_eq!(template.resources[0].report_id(), "A");
        assert!(matches!(
            parse("t.json", "{\"Resources\": {\"A\": {}}}"),
            Err(TemplateError::BadResource { .. })
        ));
        assert!(matches!(
            parse("t.yaml", "a: [\n"),
            Err(TemplateError::Syntax { .. })
        ));
        assert!(matches!(
            parse("t.yaml", "a: 1\n"),
            Err(TemplateError::NoResources { .. })
        ));
    }
}
