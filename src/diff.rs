//! Structural difference between two rendered CloudFormation documents, by section, logical ID and property
//! path. Pure: takes two JSON values, returns the changes in a stable order.

use serde_json::Value;

/// Sections compared entry by entry.
const SECTIONS: &[&str] = &[
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
];

/// What happened to one entry (a resource, output, parameter...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One changed leaf inside a modified entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    /// Path below the entry, for example `Properties.Tags[1].Value` or `DependsOn`.
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One added, removed or modified entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryChange {
    pub section: String,
    pub logical_id: String,
    /// The resource type (from the new side, or the old side when removed); `None` outside `Resources`.
    pub resource_type: Option<String>,
    pub kind: ChangeKind,
    /// Leaf changes; empty for additions and removals.
    pub properties: Vec<PropertyChange>,
}

/// All changes between two documents, in section order then logical-ID order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDiff {
    pub changes: Vec<EntryChange>,
}

impl TemplateDiff {
    /// How many entries of `section` changed this way.
    pub fn count(&self, section: &str, kind: ChangeKind) -> usize {
        self.changes
            .iter()
            .filter(|change| change.section == section && change.kind == kind)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Compares `before` (None: nothing deployed or nothing at the base) with `after`.
pub fn diff(before: Option<&Value>, after: &Value) -> TemplateDiff {
    let empty = Value::Object(Default::default());
    let before = before.unwrap_or(&empty);
    let mut changes = Vec::new();
    for section in SECTIONS {
        let old = before.get(section).and_then(Value::as_object);
        let new = after.get(section).and_then(Value::as_object);
        let mut ids: Vec<&String> = old
            .into_iter()
            .flat_map(|map| map.keys())
            .chain(new.into_iter().flat_map(|map| map.keys()))
            .collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let old_entry = old.and_then(|map| map.get(id));
            let new_entry = new.and_then(|map| map.get(id));
            let resource_type = new_entry
                .or(old_entry)
                .and_then(|entry| entry.get("Type"))
                .and_then(Value::as_str)
                .filter(|_| *section == "Resources")
                .map(str::to_owned);
            let change = |kind, properties| EntryChange {
                section: (*section).to_owned(),
                logical_id: id.clone(),
                resource_type: resource_type.clone(),
                kind,
                properties,
            };
            match (old_entry, new_entry) {
                (None, Some(_)) => changes.push(change(ChangeKind::Added, Vec::new())),
                (Some(_), None) => changes.push(change(ChangeKind::Removed, Vec::new())),
                (Some(old_entry), Some(new_entry)) if old_entry != new_entry => {
                    let mut properties = Vec::new();
                    leaf_changes("", Some(old_entry), Some(new_entry), &mut properties);
                    changes.push(change(ChangeKind::Modified, properties));
                }
                _ => {}
            }
        }
    }
    TemplateDiff { changes }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn leaf_changes(
    path: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<PropertyChange>,
) {
    match (before, after) {
        (Some(Value::Object(old)), Some(Value::Object(new))) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                leaf_changes(&child(path, key), old.get(key), new.get(key), out);
            }
        }
        (Some(Value::Array(old)), Some(Value::Array(new))) => {
            for index in 0..old.len().max(new.len()) {
                leaf_changes(
                    &format!("{path}[{index}]"),
                    old.get(index),
                    new.get(index),
                    out,
                );
            }
        }
        (old, new) if old != new => out.push(PropertyChange {
            path: path.to_owned(),
            before: old.cloned(),
            after: new.cloned(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_added_removed_and_modified_by_path() {
        let before = json!({"Resources": {
            "Keep": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "a", "Value": "1"}]}},
            "Gone": {"Type": "AWS::SNS::Topic"}
        }});
        let after = json!({"Resources": {
            "Keep": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "a", "Value": "2"}]}},
            "New": {"Type": "AWS::SQS::Queue"}
        }});
        let changes = diff(Some(&before), &after).changes;
        assert_eq!(changes.len(), 3);
        assert_eq!(
            (changes[0].logical_id.as_str(), &changes[0].kind),
            ("Gone", &ChangeKind::Removed)
        );
        assert_eq!(changes[1].kind, ChangeKind::Modified);
        assert_eq!(changes[1].properties[0].path, "Properties.Tags[0].Value");
        assert_eq!(changes[1].properties[0].after, Some(json!("2")));
        assert_eq!(changes[2].resource_type.as_deref(), Some("AWS::SQS::Queue"));
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let document = json!({"Resources": {"A": {"Type": "AWS::SNS::Topic"}}});
        assert!(diff(Some(&document), &document).is_empty());
        assert_eq!(
            diff(None, &document).count("Resources", ChangeKind::Added),
            1
        );
    }
}
