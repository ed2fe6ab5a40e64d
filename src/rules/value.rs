//! Reading property values with cdk-nag's semantics (nag-rules.md §2.3): absent versus present, the
//! primitive-only resolver that gives UNKNOWN on intrinsics, coercion of scalars to the property's CloudFormation
//! type, JavaScript truthiness and loose equality, `ref()`, reference flattening and JSON text.
//!
//! Checks read properties only through these functions, so the semantics live in one place.

use serde_json::Value;

use super::{Compat, Context, Thrown};

/// A property at a dotted path (`LoggingConfiguration.DestinationBucketName`); `None` when absent or null.
pub fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for key in path.split('.') {
        current = current.get(key)?;
    }
    if current.is_null() {
        None
    } else {
        Some(current)
    }
}

/// True for objects and arrays: intrinsics (`Ref`, `Fn::If`...) and lists.
pub fn is_object_like(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

/// The CloudFormation type of a property, for coercing scalars the way CDK's template import does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Boolean,
    Number,
    String,
    /// JSON-typed properties (policy documents...): read as authored.
    Json,
}

/// Coerces a scalar to `kind`: `"true"`/`"false"` become booleans, numeric strings numbers, numbers and
/// booleans strings. Objects and arrays are returned unchanged.
pub fn coerce(value: &Value, kind: Kind) -> Value {
    match (kind, value) {
        (Kind::Boolean, Value::String(text)) if text == "true" => Value::Bool(true),
        (Kind::Boolean, Value::String(text)) if text == "false" => Value::Bool(false),
        (Kind::Number, Value::String(text)) => match text.trim().parse::<f64>() {
            Ok(number) if !text.trim().is_empty() => number_value(number),
            _ => value.clone(),
        },
        (Kind::String, Value::Number(number)) => Value::String(number.to_string()),
        (Kind::String, Value::Bool(flag)) => Value::String(flag.to_string()),
        _ => value.clone(),
    }
}

fn number_value(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        Value::from(number as i64)
    } else {
        serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
    }
}

/// A property read with coercion: `None` when absent.
pub fn read(properties: &Value, path: &str, kind: Kind) -> Option<Value> {
    get(properties, path).map(|value| coerce(value, kind))
}

/// cdk-nag's primitive-only resolver (‡ in the tables): a literal is returned, absent is `None`, and an object
/// or list (any intrinsic) throws, which makes the verdict UNKNOWN. In `Compat::Improved`, a `Ref` whose value
/// the environment fixes (a pseudo parameter, a parameter default) resolves to that value first.
pub fn primitive(
    properties: &Value,
    path: &str,
    kind: Kind,
    context: &Context<'_>,
) -> Result<Option<Value>, Thrown> {
    let Some(value) = get(properties, path) else {
        return Ok(None);
    };
    resolve_primitive(value, kind, context).map(Some)
}

/// [`primitive`] for a value already in hand.
pub fn resolve_primitive(
    value: &Value,
    kind: Kind,
    context: &Context<'_>,
) -> Result<Value, Thrown> {
    if let Some(known) = known_value(value, context) {
        return Ok(coerce(known, kind));
    }
    if is_object_like(value) {
        return Err(Thrown(format!(
            "the value {} is not a literal; the rule needs a literal to decide",
            truncate(&json_text(value), 120)
        )));
    }
    Ok(coerce(value, kind))
}

fn known_value<'a>(value: &Value, context: &'a Context<'_>) -> Option<&'a Value> {
    if context.compat != Compat::Improved {
        return None;
    }
    let name = value
        .as_object()
        .filter(|map| map.len() == 1)?
        .get("Ref")?
        .as_str()?;
    context.known.get(name)
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(limit).collect();
        cut.push('…');
        cut
    }
}

/// JavaScript truthiness of an optional value: absent, `false`, `0`, `NaN` and `""` are falsy; every object,
/// list and other string (including `"false"`) is truthy.
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Some(Value::String(text)) => !text.is_empty(),
        Some(_) => true,
    }
}

/// JavaScript `===` against a literal (objects never equal a literal).
pub fn strict_eq(value: Option<&Value>, literal: &Value) -> bool {
    match (value, literal) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(value), literal) if !is_object_like(value) => value == literal,
        _ => false,
    }
}

/// The number JavaScript's `ToNumber` gives for a primitive, `None` for NaN or objects.
pub fn js_number(value: &Value) -> Option<f64> {
    match value {
        Value::Null => Some(0.0),
        Value::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
        Value::Number(number) => number.as_f64(),
        Value::String(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                Some(0.0)
            } else {
                trimmed.parse::<f64>().ok().filter(|n| !n.is_nan())
            }
        }
        _ => None,
    }
}

/// JavaScript's string form of a primitive or array (arrays join with `,`); `None` for plain objects.
fn js_string(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => items
            .iter()
            .map(js_string)
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join(",")),
        Value::Object(_) => None,
    }
}

/// JavaScript `==` between a (possibly absent) value and a literal: `5439 == "5439"` and `1 == true` hold,
/// `true == "true"` does not, absent equals only null, and a plain object equals nothing.
pub fn loose_eq(value: Option<&Value>, literal: &Value) -> bool {
    let Some(value) = value else {
        return literal.is_null();
    };
    match (value, literal) {
        (Value::Null, other) | (other, Value::Null) => other.is_null(),
        (Value::Object(_), _) | (_, Value::Object(_)) => false,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Array(_), other) | (other, Value::Array(_)) => {
            let array = if value.is_array() { value } else { literal };
            match (js_string(array), other) {
                (Some(text), Value::String(b)) => &text == b,
                (Some(text), other) => {
                    js_number(&Value::String(text)).is_some_and(|n| Some(n) == js_number(other))
                }
                _ => false,
            }
        }
        _ => match (js_number(value), js_number(literal)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// cdk-nag's `ref()`: the logical ID of `{"Ref": L}` or of the array form of `Fn::GetAtt`; anything else as is.
pub fn reference(value: &Value) -> Value {
    if let Some(map) = value.as_object() {
        if let Some(Value::String(name)) = map.get("Ref") {
            return Value::String(name.clone());
        }
        if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
            if let Some(Value::String(name)) = parts.first() {
                return Value::String(name.clone());
            }
        }
    }
    value.clone()
}

/// The logical ID a value refers to through `Ref` or array-form `Fn::GetAtt`, if it does.
pub fn referenced_id(value: &Value) -> Option<String> {
    match (value.is_object(), reference(value)) {
        (true, Value::String(name)) => Some(name),
        _ => None,
    }
}

/// JSON text as JavaScript's `JSON.stringify` writes it: compact, keys in authored order, `/` not escaped.
pub fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// cdk-nag's reference flattening (IAM4/IAM5 findings, S1 and SQS3 lookups): `${` becomes `<`, `}` becomes
/// `>`, `Fn::Join` joins, `Fn::GetAtt [R, A]` is `<R.A>`, `Ref X` is `<X>`, anything else is its JSON text.
pub fn flatten(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return String::new();
    };
    match value {
        Value::String(text) => text.replace("${", "<").replace('}', ">"),
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("Fn::Join") {
                if let (Some(Value::String(delimiter)), Some(Value::Array(items))) =
                    (parts.first(), parts.get(1))
                {
                    return items
                        .iter()
                        .map(|item| flatten(Some(item)))
                        .collect::<Vec<_>>()
                        .join(delimiter);
                }
            }
            if let Some(inner) = map.get("Fn::Sub") {
                if !inner.is_array() {
                    return flatten(Some(inner));
                }
            }
            if let Some(inner) = map.get("Fn::GetAtt") {
                return match inner {
                    Value::Array(parts) => format!(
                        "<{}.{}>",
                        parts.first().map(js_string_lossy).unwrap_or_default(),
                        parts.get(1).map(js_string_lossy).unwrap_or_default()
                    ),
                    // The string form is indexed character by character, as cdk-nag does.
                    Value::String(text) => {
                        let mut chars = text.chars();
                        format!(
                            "<{}.{}>",
                            chars.next().map(String::from).unwrap_or_default(),
                            chars.next().map(String::from).unwrap_or_default()
                        )
                    }
                    other => json_text(other),
                };
            }
            if let Some(inner) = map.get("Fn::ImportValue") {
                return flatten(Some(inner));
            }
            if let Some(inner) = map.get("Ref") {
                return format!("<{}>", js_string_lossy(inner));
            }
            json_text(value)
        }
        other => json_text(other),
    }
}

fn js_string_lossy(value: &Value) -> String {
    js_string(value).unwrap_or_else(|| "[object Object]".to_owned())
}

/// A value as a list when it is a JSON array; intrinsic objects have no length (cdk-nag treats them as
/// non-empty in "non-empty list" tests).
pub fn as_list(value: Option<&Value>) -> Option<&Vec<Value>> {
    value.and_then(Value::as_array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loose_equality_follows_javascript() {
        assert!(loose_eq(Some(&json!(5439)), &json!("5439")));
        assert!(!loose_eq(Some(&json!(true)), &json!("true")));
        assert!(loose_eq(Some(&json!(true)), &json!(1)));
        assert!(loose_eq(Some(&json!("1")), &json!(true)));
        assert!(!loose_eq(Some(&json!({"Ref": "X"})), &json!("X")));
        assert!(loose_eq(Some(&json!(["a"])), &json!("a")));
        assert!(!loose_eq(None, &json!("")));
    }

    #[test]
    fn truthiness_follows_javascript() {
        assert!(!truthy(None));
        assert!(!truthy(Some(&json!(""))));
        assert!(!truthy(Some(&json!(0))));
        assert!(truthy(Some(&json!("false"))));
        assert!(truthy(Some(&json!({"Ref": "X"}))));
        assert!(truthy(Some(&json!([]))));
    }

    #[test]
    fn coercion_to_property_types() {
        assert_eq!(coerce(&json!("true"), Kind::Boolean), json!(true));
        assert_eq!(coerce(&json!("True"), Kind::Boolean), json!("True"));
        assert_eq!(coerce(&json!("30"), Kind::Number), json!(30));
        assert_eq!(coerce(&json!(-1), Kind::String), json!("-1"));
        assert_eq!(
            coerce(&json!({"Ref": "P"}), Kind::Number),
            json!({"Ref": "P"})
        );
    }

    #[test]
    fn flattening_references() {
        assert_eq!(
            flatten(Some(
                &json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/X"]]})
            )),
            "arn:<AWS::Partition>:iam::aws:policy/X"
        );
        assert_eq!(
            flatten(Some(
                &json!({"Fn::Sub": "arn:${AWS::Partition}:logs:*:*:*"})
            )),
            "arn:<AWS::Partition>:logs:*:*:*"
        );
        assert_eq!(
            flatten(Some(&json!({"Fn::GetAtt": ["MyBucket", "Arn"]}))),
            "<MyBucket.Arn>"
        );
        assert_eq!(flatten(Some(&json!({"Fn::GetAtt": "Vpc.VpcId"}))), "<V.p>");
        assert_eq!(flatten(None), "");
    }

    #[test]
    fn references() {
        assert_eq!(reference(&json!({"Ref": "A"})), json!("A"));
        assert_eq!(reference(&json!({"Fn::GetAtt": ["B", "Arn"]})), json!("B"));
        assert_eq!(
            reference(&json!({"Fn::GetAtt": "B.Arn"})),
            json!({"Fn::GetAtt": "B.Arn"})
        );
        assert_eq!(referenced_id(&json!("A")), None);
    }
}
