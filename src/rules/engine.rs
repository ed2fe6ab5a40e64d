//! Evaluating rules over a template: every selected rule over every resource, in document order then pack
//! order, as cdk-nag visits them. Suppressions are not applied here.

use std::collections::BTreeMap;

use serde_json::Value;

use super::checks;
use super::{Compat, Context, Outcome, Rule};
use crate::template::{Resource, Template};

/// One (rule, resource) verdict.
#[derive(Debug, Clone)]
pub struct RuleResult<'t> {
    pub rule: &'static Rule,
    /// Index of `resource` in the template's resources.
    pub index: usize,
    pub resource: &'t Resource,
    pub outcome: Outcome,
}

/// Evaluates `rules` over `template`, returning every applicable (rule, resource) verdict; not-applicable pairs
/// are not returned. Rules whose check is not registered are skipped (a registry test guarantees there are
/// none). Rules are bound to resource types once, so the cost is linear in resources times applicable rules.
pub fn evaluate<'t>(
    template: &'t Template,
    rules: &[&'static Rule],
    compat: Compat,
    known: &BTreeMap<String, Value>,
) -> Vec<RuleResult<'t>> {
    let context = Context {
        template,
        compat,
        known,
    };
    // Rules bound to the types they apply to, keeping pack order within each type.
    let mut by_type: BTreeMap<&str, Vec<(&'static Rule, &'static super::Check)>> = BTreeMap::new();
    for rule in rules {
        if let Some(check) = checks::find(rule.check) {
            for resource_type in check.resource_types {
                by_type
                    .entry(resource_type)
                    .or_default()
                    .push((rule, check));
            }
        }
    }
    let mut results = Vec::with_capacity(template.resources.len() * 2);
    for (index, resource) in template.resources.iter().enumerate() {
        let bound = by_type
            .get(resource.resource_type.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        // A check shared by two packs (AwsSolutions-S1 and HIPAA.Security-S3BucketLoggingEnabled) runs once per
        // resource; its outcome is reported under every rule ID that names it.
        let mut done: Vec<(&'static str, Outcome)> = Vec::new();
        for (rule, check) in bound {
            let outcome = match done.iter().find(|(name, _)| *name == check.name) {
                Some((_, outcome)) => outcome.clone(),
                None => {
                    let outcome = run(check, resource, &context);
                    done.push((check.name, outcome.clone()));
                    outcome
                }
            };
            results.push(RuleResult {
                rule,
                index,
                resource,
                outcome,
            });
        }
    }
    results
}

/// Runs one check on one resource, turning "not my type" into `NotApplicable` and a throw into `Unknown`.
pub fn run(check: &super::Check, resource: &Resource, context: &Context<'_>) -> Outcome {
    if !check
        .resource_types
        .contains(&resource.resource_type.as_str())
    {
        return Outcome::NotApplicable;
    }
    match (check.eval)(resource, context) {
        Ok(Outcome::Findings(findings)) if findings.is_empty() => Outcome::Compliant,
        Ok(outcome) => outcome,
        Err(thrown) => Outcome::Unknown(thrown.0),
    }
}

/// Values `Compat::Improved` may substitute for `Ref`s: the pseudo parameters an environment fixes and the
/// defaults of the template's parameters.
pub fn known_values(
    template: &Template,
    region: Option<&str>,
    account: Option<&str>,
) -> BTreeMap<String, Value> {
    let mut known = BTreeMap::new();
    if let Some(parameters) = template
        .document
        .get("Parameters")
        .and_then(Value::as_object)
    {
        for (name, parameter) in parameters {
            let no_echo = parameter
                .get("NoEcho")
                .is_some_and(|flag| flag == true || flag == "true");
            if let (Some(default), false) = (parameter.get("Default"), no_echo) {
                known.insert(name.clone(), default.clone());
            }
        }
    }
    if let Some(region) = region {
        let partition = crate::config::partition(region);
        known.insert("AWS::Region".to_owned(), Value::from(region));
        known.insert("AWS::Partition".to_owned(), Value::from(partition));
        known.insert(
            "AWS::URLSuffix".to_owned(),
            Value::from(if partition == "aws-cn" {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            }),
        );
    }
    if let Some(account) = account {
        known.insert("AWS::AccountId".to_owned(), Value::from(account));
    }
    known
}
