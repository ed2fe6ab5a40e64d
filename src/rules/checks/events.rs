//! Checks for EventBridge event bus policies: no open access to the bus.

use serde_json::Value;

use crate::rules::value::{get, read, strict_eq, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

use super::policy::open_principal;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "EventBusOpenAccess",
    resource_types: &["AWS::Events::EventBusPolicy"],
    problem: "The event bus policy lets every AWS account put events on the bus, with no condition restricting it",
    fix: "Name specific accounts as `Principal`, or add a `Condition` (for example on `aws:PrincipalOrgID`) to the policy or its `Statement`",
    eval: open_access,
}];

fn open_access(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // The legacy form: `Principal: '*'` needs a `Condition` with all of `Key`, `Type` and `Value`.
    let principal = read(properties, "Principal", Kind::String);
    if strict_eq(principal.as_ref(), &Value::from("*")) {
        let complete = ["Condition.Key", "Condition.Type", "Condition.Value"]
            .iter()
            .all(|path| get(properties, path).is_some());
        if !complete {
            return Ok(Outcome::NonCompliant);
        }
    }
    // The statement form: an Allow statement to everyone with no condition (absent or `{}`). The principal
    // is read only for Allow statements, and an absent one throws.
    if let Some(statement) = get(properties, "Statement") {
        let no_condition = match get(statement, "Condition") {
            None => true,
            Some(Value::Object(condition)) => condition.is_empty(),
            Some(_) => false,
        };
        if strict_eq(get(statement, "Effect"), &Value::from("Allow"))
            && open_principal(get(statement, "Principal"))?
            && no_condition
        {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}
