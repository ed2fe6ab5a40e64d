//! Joining rendered fragments into one CloudFormation document.
//!
//! Each template file renders a JSON object holding some of the template sections (`Resources`, `Outputs`,
//! `Conditions`, ...). Sections merge by key; the same logical ID in two files is an error, never an override.
//! Trailing commas are tolerated so templates can end every conditional member with a comma.

use serde_json::{Map, Value};

/// Template sections a fragment may contribute to.
pub const SECTIONS: &[&str] = &[
    "Conditions",
    "Mappings",
    "Metadata",
    "Outputs",
    "Parameters",
    "Resources",
    "Rules",
];

/// Removes commas that directly precede `}` or `]` (ignoring whitespace), outside of strings.
pub fn strip_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut index = 0;
    for (position, c) in text.char_indices() {
        if position < index {
            continue;
        }
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ',' => {
                let mut next = position + 1;
                while next < bytes.len() && bytes[next].is_ascii_whitespace() {
                    next += 1;
                }
                if next < bytes.len() && (bytes[next] == b'}' || bytes[next] == b']') {
                    index = next;
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Adds `fragment`'s sections to `document`. Returns the first duplicated `Section.Key`, if any.
pub fn merge_into(
    document: &mut Map<String, Value>,
    fragment: Map<String, Value>,
) -> Result<(), MergeError> {
    for (section, content) in fragment {
        if !SECTIONS.contains(&section.as_str()) {
            return Err(MergeError::UnknownSection(section));
        }
        let Value::Object(entries) = content else {
            return Err(MergeError::NotAnObject(section));
        };
        let target = document
            .entry(section.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(target) = target else {
            return Err(MergeError::NotAnObject(section));
        };
        for (key, value) in entries {
            if target.contains_key(&key) {
                return Err(MergeError::Duplicate(format!("{section}.{key}")));
            }
            target.insert(key, value);
        }
    }
    Ok(())
}

/// Why a fragment could not be merged.
#[derive(Debug, PartialEq)]
pub enum MergeError {
    UnknownSection(String),
    NotAnObject(String),
    Duplicate(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas_outside_strings_are_removed() {
        // The comma and the whitespace before the closing bracket go; commas inside strings stay.
        assert_eq!(
            strip_trailing_commas(r#"{"a": [1, 2, ], "b": ",}", }"#),
            r#"{"a": [1, 2], "b": ",}"}"#
        );
        assert_eq!(
            strip_trailing_commas(r#"{"a": "x\",", }"#),
            r#"{"a": "x\","}"#
        );
        assert_eq!(strip_trailing_commas("[1,\n]"), "[1]");
    }

    #[test]
    fn duplicate_logical_ids_are_errors() {
        let mut document = Map::new();
        let fragment = |id: &str| {
            serde_json::json!({"Resources": {id: {"Type": "AWS::SNS::Topic"}}})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(merge_into(&mut document, fragment("A")), Ok(()));
        assert_eq!(
            merge_into(&mut document, fragment("A")),
            Err(MergeError::Duplicate("Resources.A".to_owned()))
        );
    }
}
