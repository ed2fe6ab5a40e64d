//! Writers for `changed`: the environments a change touches.
//!
//! # Text
//!
//! One environment name per line, in name order; nothing when no environment changed.
//!
//! # JSON wire format (`--format json`, version 1)
//!
//! One line, so that a workflow step can append it to `$GITHUB_OUTPUT` as it is:
//!
//! ```text
//! {"version": 1, "base": {"reference": "origin/main", "commit": "<sha>"|null, "problem": "<why>"|null},
//!  "environments": [{"environment": "dev", "path": "pipelines/dev.yaml", "stack": "openmrs-dev",
//!                    "region": "us-east-1", "sha256": "<hex>", "base_sha256": "<hex>"|null}]}
//! ```
//!
//! `environments` is made to be a matrix's `include` list: `fromJSON(output).environments` gives each job
//! `matrix.environment` and `matrix.region`. `base_sha256` is null when the base has no template for the
//! environment (new, unreadable or not rendering there). Fields are only ever added within a version.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::pipeline::{BaseTemplate, EnvironmentPlan, OfflinePlan};

fn changed(plan: &OfflinePlan) -> impl Iterator<Item = &EnvironmentPlan> {
    plan.environments
        .iter()
        .filter(|item| item.differs_from_base())
}

/// One name per line.
pub fn text(plan: &OfflinePlan) -> String {
    let mut out = String::new();
    for item in changed(plan) {
        let _ = writeln!(out, "{}", item.environment.name);
    }
    out
}

/// The one-line JSON document described in the module docs.
pub fn json(plan: &OfflinePlan) -> String {
    let environments: Vec<Value> = changed(plan)
        .map(|item| {
            let base_sha256 = match &item.base {
                BaseTemplate::Rendered { sha256 } => Some(sha256.as_str()),
                BaseTemplate::Missing { .. } => None,
            };
            json!({
                "environment": item.environment.name,
                "path": item.environment.path,
                "stack": item.environment.environment.stack.name,
                "region": item.environment.environment.stack.region,
                "sha256": item.rendered.sha256,
                "base_sha256": base_sha256,
            })
        })
        .collect();
    let document = json!({
        "version": 1,
        "base": {"reference": plan.base_reference, "commit": plan.base_commit, "problem": plan.base_problem},
        "environments": environments,
    });
    format!("{}\n", serde_json::to_string(&document).unwrap_or_default())
}
