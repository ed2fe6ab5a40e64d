//! Checks for DynamoDB tables: provisioned capacity scales automatically (table and every global secondary
//! index, read and write), and point-in-time recovery is on. Being in a backup plan is checked in `backup.rs`.

use serde_json::Value;

use super::backup::NAME_END;
use crate::rules::value::{
    get, js_string, json_text, primitive, read, reference, regex, regex_test, strict_eq, truthy,
    verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const TABLE: &[&str] = &["AWS::DynamoDB::Table"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "DynamoDBAutoScalingEnabled",
        resource_types: TABLE,
        problem: "The table uses provisioned capacity without auto scaling of the read and write capacity of the table and each global secondary index, so load peaks are throttled",
        fix: "Use `BillingMode: PAY_PER_REQUEST`, or add `AWS::ApplicationAutoScaling::ScalableTarget` resources for the read and write capacity of the table and of every index",
        eval: auto_scaling_enabled,
    },
    Check {
        name: "DynamoDBPITREnabled",
        resource_types: TABLE,
        problem: "Point-in-time recovery is off, so the table cannot be restored to a moment before accidental writes or deletes",
        fix: "Set `PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled: true`",
        eval: pitr_enabled,
    },
];

/// What must be covered by scalable targets: `None` for the table itself, `Some(name)` for a global secondary
/// index (its `IndexName` as a template literal would insert it; a literal `''` counts as the table, as in
/// cdk-nag).
type Slot = Option<String>;

fn capacity_slots(properties: &Value) -> Result<Vec<Slot>, Thrown> {
    let mut slots = vec![None];
    // An intrinsic in place of the index list adds nothing.
    if let Some(Value::Array(indexes)) = get(properties, "GlobalSecondaryIndexes") {
        for index in indexes {
            if index.is_null() {
                return Err(Thrown(
                    "a `GlobalSecondaryIndexes` entry is null".to_owned(),
                ));
            }
            slots.push(match read(index, "IndexName", Kind::String) {
                Some(Value::String(name)) if name.is_empty() => None,
                Some(name) => Some(js_string(&name)),
                None => Some("undefined".to_owned()),
            });
        }
    }
    Ok(slots)
}

/// The table's identity as the regexes use it: its logical ID and, when set, its name.
struct TableKeys<'a> {
    logical_id: &'a str,
    name: Option<String>,
}

/// The position in `slots` of the first slot `target` covers for `dimension` (`WriteCapacityUnits` or
/// `ReadCapacityUnits`): the target must be in the `dynamodb` namespace, have the slot's scalable dimension and
/// a JSON-text `ResourceId` matching `<table>.*` (table) or `<table>.*index/<name>` (index), where `<table>` is
/// the logical ID or the table name, inserted unescaped.
fn covered_slot(
    target: &Resource,
    dimension: &str,
    table: &TableKeys<'_>,
    slots: &[Slot],
) -> Result<Option<usize>, Thrown> {
    let properties = &target.properties;
    let namespace = read(properties, "ServiceNamespace", Kind::String);
    if !strict_eq(namespace.as_ref(), &Value::from("dynamodb")) {
        return Ok(None);
    }
    // `JSON.stringify(undefined)` is undefined, which the regex test reads as the text "undefined".
    let resource_id = read(properties, "ResourceId", Kind::String)
        .map_or_else(|| "undefined".to_owned(), |id| json_text(&id));
    let scalable_dimension = read(properties, "ScalableDimension", Kind::String);
    let keys: Vec<&str> = std::iter::once(table.logical_id)
        .chain(table.name.as_deref())
        .collect();
    for (position, slot) in slots.iter().enumerate() {
        let (suffix, wanted) = match slot {
            None => (".*".to_owned(), format!("dynamodb:table:{dimension}")),
            Some(index) => (
                format!(".*index/{index}{NAME_END}"),
                format!("dynamodb:index:{dimension}"),
            ),
        };
        let pattern = keys
            .iter()
            .map(|key| format!("{key}{suffix}"))
            .collect::<Vec<_>>()
            .join("|");
        // Built before the dimension is compared, so a bad pattern throws either way.
        let regex = regex(&pattern)?;
        if strict_eq(scalable_dimension.as_ref(), &Value::from(wanted))
            && regex_test(&regex, &resource_id)?
        {
            return Ok(Some(position));
        }
    }
    Ok(None)
}

fn auto_scaling_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let billing = read(properties, "BillingMode", Kind::String).map(|mode| reference(&mode));
    // Absent counts as provisioned.
    if strict_eq(billing.as_ref(), &Value::from("PAY_PER_REQUEST")) {
        return Ok(Outcome::Compliant);
    }
    let table = TableKeys {
        logical_id: &resource.logical_id,
        name: read(properties, "TableName", Kind::String).map(|name| js_string(&name)),
    };
    let mut writes = capacity_slots(properties)?;
    let mut reads = writes.clone();
    // Each target fills at most one slot, write slots first.
    for target in context.resources_of_type("AWS::ApplicationAutoScaling::ScalableTarget") {
        if let Some(position) = covered_slot(target, "WriteCapacityUnits", &table, &writes)? {
            writes.remove(position);
        } else if let Some(position) = covered_slot(target, "ReadCapacityUnits", &table, &reads)? {
            reads.remove(position);
        }
    }
    Ok(verdict(writes.is_empty() && reads.is_empty()))
}

fn pitr_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(specification) = get(&resource.properties, "PointInTimeRecoverySpecification") else {
        return Ok(Outcome::NonCompliant);
    };
    let enabled = primitive(
        specification,
        "PointInTimeRecoveryEnabled",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(truthy(enabled.as_ref())))
}
