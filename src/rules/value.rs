//! Reading property values with cdk-nag's semantics (nag-rules.md §2.3): absent versus present, the
//! primitive-only resolver that gives UNKNOWN on intrinsics, coercion of scalars to the property's CloudFormation
//! type, JavaScript truthiness and loose equality, `ref()`, reference flattening and JSON text, and the pieces
//! of JavaScript that cdk-nag's rule bodies lean on: `String(value)`, `for...of`, `new RegExp(...).test(...)`.
//!
//! Checks read properties only through these functions, so the semantics live in one place.

use std::borrow::Cow;

use fancy_regex::Regex;
use serde_json::Value;

use super::{Compat, Context, Outcome, Thrown};

/// The verdict of a rule that passes or fails: cdk-nag's `return pass ? COMPLIANT : NON_COMPLIANT`. Checks use
/// it for every two-way decision, so `Findings`, `NotApplicable` and `Unknown` stay explicit where they occur.
pub fn verdict(pass: bool) -> Outcome {
    if pass {
        Outcome::Compliant
    } else {
        Outcome::NonCompliant
    }
}

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

/// True for objects and arrays: intrinsics (`Ref`, `Fn::If`...) and lists. This is JavaScript's
/// `typeof value === 'object'` on a resolved value, the test cdk-nag's primitive resolver uses to refuse anything
/// that is not a literal. Compare [`is_intrinsic`], which recognises only intrinsic function objects.
pub fn is_object_like(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

/// An intrinsic function object as CDK's template import recognises it: exactly one key, `Ref` or `Fn::*`.
/// CDK keeps such an object whole (as a token) where it would otherwise rebuild a property's structure, so the
/// checks that reproduce CDK's in-memory form of a list (`Policies`, `LoadBalancerAttributes`) leave these
/// entries as authored and rebuild every other entry. Unlike [`is_object_like`], lists and objects with other
/// keys (`{"Key": ..., "Value": ...}`) are not intrinsics.
pub fn is_intrinsic(value: &Value) -> bool {
    value
        .as_object()
        .filter(|map| map.len() == 1)
        .and_then(|map| map.keys().next())
        .is_some_and(|key| key == "Ref" || key.starts_with("Fn::"))
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

/// JavaScript's `String(value)`, which is also how a template literal (`${value}`) inserts a value: strings as
/// they are, `null` as `null`, numbers as JavaScript prints them (`1` for `1.0`, `1e+21`), plain objects
/// (intrinsics) as `[object Object]`, and lists as `Array.prototype.join` gives them: items joined with `,`,
/// with `null` items (at any depth) empty. cdk-nag builds regexes and names out of property values with
/// template literals, so the checks must insert values exactly as it does (an intrinsic table name becomes the
/// character class `[object Object]`, a list of names one comma-joined name).
pub fn js_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number
            .as_f64()
            .map_or_else(|| number.to_string(), js_number_text),
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// JavaScript's `Number.prototype.toString()`: the shortest digits that read back as the same number, in plain
/// notation for magnitudes from 1e-6 up to (not including) 1e21 and in exponent notation (`1e+21`, `1.5e-7`)
/// outside, with no trailing `.0`.
fn js_number_text(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_owned();
    }
    if number == 0.0 {
        // `-0` prints as `0`.
        return "0".to_owned();
    }
    if number.is_infinite() {
        return if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    let sign = if number < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the same shortest round-trip digits: `d.ddde<exponent>`.
    let scientific = format!("{:e}", number.abs());
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return number.to_string();
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return number.to_string();
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // ECMAScript's k (number of digits) and n (position of the decimal point).
    let k = digits.len() as i32;
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (whole, fraction) = digits.split_at(n as usize);
        format!("{whole}.{fraction}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if exponent >= 0 { "+" } else { "-" };
        format!("{first}{point}{rest}e{exponent_sign}{}", exponent.abs())
    };
    format!("{sign}{body}")
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
            // The list is converted to its string form first (`[1] == 1`, `["a"] == "a"`).
            let text = js_string(if value.is_array() { value } else { literal });
            match other {
                Value::String(b) => &text == b,
                other => {
                    js_number(&Value::String(text)).is_some_and(|n| Some(n) == js_number(other))
                }
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
                        parts.first().map(js_string).unwrap_or_default(),
                        parts.get(1).map(js_string).unwrap_or_default()
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
                return format!("<{}>", js_string(inner));
            }
            json_text(value)
        }
        other => json_text(other),
    }
}

/// A value as a list when it is a JSON array; intrinsic objects have no length (cdk-nag treats them as
/// non-empty in "non-empty list" tests).
pub fn as_list(value: Option<&Value>) -> Option<&Vec<Value>> {
    value.and_then(Value::as_array)
}

/// JavaScript's `for (const item of value)`, which cdk-nag uses to walk list properties: a list gives its items
/// and a string its characters (one-character strings, which have none of the properties a check reads); an
/// absent value, `null`, a number, a boolean or an object (any intrinsic in place of the list) is not
/// iterable, so the rule throws and the verdict is UNKNOWN. `name` is the property path the rule iterates, for
/// the reason. Items are borrowed from the template; only characters are built.
pub fn for_of<'a>(value: Option<&'a Value>, name: &str) -> Result<Vec<Cow<'a, Value>>, Thrown> {
    match value {
        Some(Value::Array(items)) => Ok(items.iter().map(Cow::Borrowed).collect()),
        Some(Value::String(text)) => Ok(text
            .chars()
            .map(|c| Cow::Owned(Value::String(c.to_string())))
            .collect()),
        Some(other) => Err(Thrown(format!(
            "`{name}` is {}, not a list, so the rule cannot iterate it",
            truncate(&json_text(other), 120)
        ))),
        None => Err(Thrown(format!(
            "`{name}` is absent, so the rule cannot iterate it"
        ))),
    }
}

/// JavaScript's `new RegExp(source)` for the regexes cdk-nag builds at evaluation time, often with logical IDs
/// and property values inserted unescaped. The source is translated to fancy-regex with JavaScript's meanings
/// (fancy-regex, like the `regex` crate, is Unicode-aware where JavaScript without the `u` flag is not):
/// `\w` and `\d`, inside or outside a character class, are ASCII only (`[0-9A-Za-z_]`, `[0-9]`), and `.`
/// outside a class matches any character but a line terminator (`\n`, `\r`, U+2028, U+2029). Other escapes
/// (`\W`, `\D`, `\s`, `\b`) are passed through unchanged. A source that does not compile (a name with an
/// unbalanced `(`) makes `new RegExp` throw in cdk-nag, hence `Thrown`.
pub fn regex(source: &str) -> Result<Regex, Thrown> {
    Regex::new(&javascript_to_fancy(source)).map_err(|error| {
        Thrown(format!(
            "the regex `{source}` built from the template is not valid: {error}"
        ))
    })
}

/// [`regex`]'s translation of a JavaScript regex source.
fn javascript_to_fancy(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut in_class = false;
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('w') if in_class => out.push_str("0-9A-Za-z_"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('d') if in_class => out.push_str("0-9"),
                Some('d') => out.push_str("[0-9]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '.' if !in_class => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// JavaScript's `regex.test(text)` (or `text.search(regex) >= 0`): an unanchored search. fancy-regex can give
/// up on a pathological backtracking pattern where JavaScript would keep going; that is reported as the rule
/// throwing rather than as a verdict.
pub fn regex_test(regex: &Regex, text: &str) -> Result<bool, Thrown> {
    regex.is_match(text).map_err(|error| {
        Thrown(format!(
            "matching the regex `{}` failed: {error}",
            regex.as_str()
        ))
    })
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

    #[test]
    fn verdicts() {
        assert_eq!(verdict(true), Outcome::Compliant);
        assert_eq!(verdict(false), Outcome::NonCompliant);
    }

    #[test]
    fn string_conversion_follows_javascript() {
        assert_eq!(js_string(&json!(null)), "null");
        assert_eq!(js_string(&json!("orders")), "orders");
        assert_eq!(js_string(&json!(true)), "true");
        assert_eq!(js_string(&json!({"Ref": "X"})), "[object Object]");
        // Lists join with `,`; null items are empty at any depth, objects inside are `[object Object]`.
        assert_eq!(js_string(&json!(["a", null, 1])), "a,,1");
        assert_eq!(
            js_string(&json!([["a", null], [], {"Ref": "X"}])),
            "a,,,[object Object]"
        );
        assert_eq!(js_string(&json!([])), "");
        // Numbers as JavaScript prints them.
        assert_eq!(js_string(&json!(5439)), "5439");
        assert_eq!(js_string(&json!(-1)), "-1");
        assert_eq!(js_string(&json!(1.0)), "1");
        assert_eq!(js_string(&json!(-0.0)), "0");
        assert_eq!(js_string(&json!(0.5)), "0.5");
        assert_eq!(js_string(&json!(123.456)), "123.456");
        assert_eq!(js_string(&json!(0.000001)), "0.000001");
        assert_eq!(js_string(&json!(1.5e-7)), "1.5e-7");
        assert_eq!(js_string(&json!(1e20)), "100000000000000000000");
        assert_eq!(js_string(&json!(1e21)), "1e+21");
        assert_eq!(js_string(&json!(1.25e22)), "1.25e+22");
        assert_eq!(
            js_string(&json!(9_007_199_254_740_993_u64)),
            "9007199254740992"
        );
    }

    #[test]
    fn loose_equality_converts_lists_to_strings() {
        assert!(loose_eq(Some(&json!([1.0])), &json!("1")));
        assert!(loose_eq(Some(&json!([null])), &json!("")));
        assert!(loose_eq(
            Some(&json!([{"Ref": "X"}])),
            &json!("[object Object]")
        ));
        assert!(!loose_eq(Some(&json!([{"Ref": "X"}])), &json!(0)));
    }

    #[test]
    fn for_of_follows_javascript() {
        let list = json!([{"Name": "a"}, null]);
        let items = for_of(Some(&list), "List").map(|items| items.len());
        assert_eq!(items, Ok(2));
        let text = json!("ab");
        let Ok(characters) = for_of(Some(&text), "List") else {
            panic!("a string is iterable");
        };
        assert_eq!(
            characters,
            [Cow::Owned::<Value>(json!("a")), Cow::Owned(json!("b"))]
        );
        // Characters are not null: a check that throws on null entries does not throw on them.
        assert!(characters
            .iter()
            .all(|c| !c.is_null() && get(c, "Name").is_none()));
        for not_iterable in [json!({"Ref": "L"}), json!(1), json!(true)] {
            let Err(Thrown(reason)) = for_of(Some(&not_iterable), "Listeners") else {
                panic!("{not_iterable} is not iterable");
            };
            assert!(reason.contains("`Listeners`"), "{reason}");
        }
        assert!(for_of(None, "Listeners").is_err());
    }

    fn found(source: &str, text: &str) -> bool {
        matches!(
            regex(source).map(|regex| regex_test(&regex, text)),
            Ok(Ok(true))
        )
    }

    #[test]
    fn regexes_follow_javascript() {
        // `\w` and `\d` are ASCII only, inside and outside classes.
        assert!(!found(r"a(?![\w])", "ab"));
        assert!(found(r"a(?![\w])", "a\""));
        assert!(found(r"a(?![\w])", "aé"));
        assert!(found(r"a\w", "a_"));
        assert!(!found(r"a\w", "aé"));
        assert!(!found(r"\d", "٣"));
        assert!(found(r"[\w\-_\.]", "-"));
        // `.` stops at every line terminator; inside a class it is a literal dot.
        assert!(found("a.b", "axb"));
        assert!(!found("a.b", "a\u{2028}b"));
        assert!(!found("a.b", "a\rb"));
        assert!(!found("a[.]b", "axb"));
        // Escaped brackets do not open a class.
        assert!(found(r"\[.\]", "[x]"));
        // Unanchored, with look-ahead.
        assert!(found("Table(?![\\w])", r#"{"Fn::GetAtt":["Table","Arn"]}"#));
        // An unbalanced name inserted into a pattern throws.
        assert!(regex("Bucket(").is_err());
    }

    #[test]
    fn intrinsics_and_object_likes() {
        assert!(is_intrinsic(&json!({"Ref": "X"})));
        assert!(is_intrinsic(&json!({"Fn::GetAtt": ["X", "Arn"]})));
        assert!(!is_intrinsic(&json!({"Key": "k", "Value": "v"})));
        assert!(!is_intrinsic(&json!({"Ref": "X", "Other": 1})));
        assert!(!is_intrinsic(&json!(["Ref"])));
        assert!(!is_intrinsic(&json!("Ref")));
        assert!(is_object_like(&json!({"Key": "k"})));
        assert!(is_object_like(&json!([])));
    }

    #[test]
    fn flattening_inserts_values_as_template_literals_do() {
        // `<${resource}.${attribute}>`: each part as JavaScript's `String` gives it.
        assert_eq!(
            flatten(Some(&json!({"Fn::GetAtt": [{"Ref": "A"}, 1.0]}))),
            "<[object Object].1>"
        );
    }
}
