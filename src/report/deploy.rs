//! Writers for change-set plans, applies and drift. Every value they receive was redacted by the pipeline.
//!
//! # JSON of a change set (the `change_set` member of `plan --format json`, see `report::plan`)
//!
//! ```text
//! {"status": "changes"|"no_changes"|"failed", "error": "<message>"|null,
//!  "name", "id"|null, "type": "CREATE"|"UPDATE", "template_url",
//!  "counts": {"add", "modify", "remove", "replacement", "conditional_replacement"},
//!  "stateful": [{"logical_id", "type", "what", "allowed"}],
//!  "changes": [{"action", "logical_id", "physical_id"|null, "type", "replacement"|null,
//!               "details": [{"attribute", "name", "requires_recreation"|null, "before"|null, "after"|null,
//!                            "change_source"|null, "causing_entity"|null}]}]}
//! ```
//! A failed change set has only `status` and `error`.
//! `apply` (version 1): `{"version", "environment", "stack", "commit", "sha256", "change_set", "status",
//! "succeeded", "root_cause": event|null, "events": [{"time", "logical_id", "type", "status", "reason"}]}`.
//! `drift` (version 1): `{"version", "environments": [{"name", "stack", "status", "error", "drifted": [...],
//! "ignored": [...]}]}`. Fields are only ever added within a version.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::markdown_cell;
use crate::cloud::{ChangeSetType, ResourceChange, StackEvent};
use crate::pipeline::changeset::ChangeSetPlan;
use crate::pipeline::drift::{DriftReport, EnvironmentDrift};
use crate::pipeline::online::{ApplyReport, EnvironmentChangeSet};

fn type_name(kind: ChangeSetType) -> &'static str {
    match kind {
        ChangeSetType::Create => "CREATE",
        ChangeSetType::Update => "UPDATE",
    }
}

fn change_json(change: &ResourceChange) -> Value {
    json!({
        "action": change.action,
        "logical_id": change.logical_id,
        "physical_id": change.physical_id,
        "type": change.resource_type,
        "replacement": change.replacement,
        "details": change.details.iter().map(|detail| json!({
            "attribute": detail.attribute,
            "name": detail.name,
            "requires_recreation": detail.requires_recreation,
            "before": detail.before,
            "after": detail.after,
            "change_source": detail.change_source,
            "causing_entity": detail.causing_entity,
        })).collect::<Vec<_>>(),
    })
}

fn plan_status(plan: &ChangeSetPlan) -> &'static str {
    if plan.change_set.is_some() {
        "changes"
    } else {
        "no_changes"
    }
}

/// One environment's change set in `plan --format json` (`change_set` of the plan's wire format).
pub fn change_set_json(item: &EnvironmentChangeSet) -> Value {
    match &item.result {
        Err(failure) => json!({"status": "failed", "error": failure.message}),
        Ok(result) => {
            let (add, modify, remove, replacement, conditional) = result.counts();
            json!({
                "status": plan_status(result),
                "error": null,
                "name": result.change_set_name,
                "id": result.change_set.as_ref().map(|set| set.id.clone()),
                "type": type_name(result.change_set_type),
                "template_url": result.template_url,
                "counts": {"add": add, "modify": modify, "remove": remove,
                           "replacement": replacement, "conditional_replacement": conditional},
                "stateful": result.flags.iter().map(|flag| json!({
                    "logical_id": flag.logical_id, "type": flag.resource_type,
                    "what": flag.what, "allowed": flag.allowed,
                })).collect::<Vec<_>>(),
                "changes": result
                    .change_set
                    .as_ref()
                    .map(|set| set.changes.iter().map(change_json).collect::<Vec<_>>())
                    .unwrap_or_default(),
            })
        }
    }
}

fn pretty(value: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// One environment's change set as indented text lines (`plan --format text`).
pub fn change_set_text(out: &mut String, item: &EnvironmentChangeSet) {
    let result = match &item.result {
        Err(failure) => {
            let _ = writeln!(
                out,
                "  change set: FAILED: {}",
                first_line(&failure.message)
            );
            return;
        }
        Ok(result) => result,
    };
    let (add, modify, remove, replacement, conditional) = result.counts();
    let Some(set) = &result.change_set else {
        let _ = writeln!(
            out,
            "  change set: no changes to stack {} (template sha256 {})",
            item.stack, item.sha256
        );
        return;
    };
    let _ = writeln!(
        out,
        "  change set {} ({}): {add} to add, {modify} to modify, {remove} to remove, {replacement} replaced, {conditional} maybe replaced",
        result.change_set_name,
        type_name(result.change_set_type)
    );
    for change in &set.changes {
        let _ = writeln!(
            out,
            "    {} {} ({}){}",
            change.action,
            change.logical_id,
            change.resource_type,
            change
                .replacement
                .as_deref()
                .map(|value| format!(" replacement={value}"))
                .unwrap_or_default()
        );
        for detail in &change.details {
            let _ = writeln!(
                out,
                "        {}.{}: {} -> {}{}",
                detail.attribute,
                detail.name,
                detail.before.as_deref().unwrap_or("(none)"),
                detail.after.as_deref().unwrap_or("(none)"),
                detail
                    .requires_recreation
                    .as_deref()
                    .map(|value| format!(" (recreation: {value})"))
                    .unwrap_or_default()
            );
        }
    }
    for flag in &result.flags {
        let _ = writeln!(
            out,
            "    STATEFUL: {} of {} ({}){}",
            flag.what,
            flag.logical_id,
            flag.resource_type,
            if flag.allowed {
                ", allowed by deploy.allow_replacement"
            } else {
                "; apply will refuse unless deploy.allow_replacement lists it"
            }
        );
    }
}

/// The change set in one Markdown table cell: its name and counts, or why there is none.
pub fn change_set_cell(item: &EnvironmentChangeSet) -> String {
    match &item.result {
        Err(failure) => format!(
            ":x: failed: {}",
            markdown_cell(first_line(&failure.message))
        ),
        Ok(result) if result.change_set.is_none() => "no changes to the stack".to_owned(),
        Ok(result) => {
            let (add, modify, remove, replacement, conditional) = result.counts();
            format!(
                "`{}` ({}): {add} to add, {modify} to modify, {remove} to remove; {replacement} replaced, {conditional} maybe replaced",
                markdown_cell(&result.change_set_name),
                type_name(result.change_set_type)
            )
        }
    }
}

/// The stateful resources a change set replaces or removes, for one Markdown table cell (empty when none).
pub fn stateful_cell(item: &EnvironmentChangeSet) -> String {
    let Ok(result) = &item.result else {
        return String::new();
    };
    result
        .flags
        .iter()
        .map(|flag| {
            format!(
                "{} {} of `{}` ({}){}",
                if flag.allowed {
                    ":warning:"
                } else {
                    ":no_entry:"
                },
                flag.what,
                markdown_cell(&flag.logical_id),
                markdown_cell(&flag.resource_type),
                if flag.allowed {
                    ", allowed by `deploy.allow_replacement`"
                } else {
                    ": apply refuses unless `deploy.allow_replacement` lists it"
                }
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The change set's resource changes with their property details, folded in a `<details>` block.
pub fn change_set_markdown(out: &mut String, item: &EnvironmentChangeSet) {
    let Ok(result) = &item.result else { return };
    let Some(set) = &result.change_set else {
        return;
    };
    let _ = writeln!(
        out,
        "<details><summary>Change set: {} resource changes</summary>\n",
        set.changes.len()
    );
    let _ = writeln!(
        out,
        "| Action | Logical ID | Type | Replacement | Properties |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for change in &set.changes {
        let details: Vec<String> = change
            .details
            .iter()
            .map(|detail| {
                format!(
                    "`{}`: `{}` → `{}`",
                    markdown_cell(&detail.name),
                    markdown_cell(detail.before.as_deref().unwrap_or("(none)")),
                    markdown_cell(detail.after.as_deref().unwrap_or("(none)"))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            markdown_cell(&change.action),
            markdown_cell(&change.logical_id),
            markdown_cell(&change.resource_type),
            change.replacement.as_deref().unwrap_or(""),
            details.join("<br>")
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// One streamed stack event, as a text line.
pub fn event_line(event: &StackEvent) -> String {
    format!(
        "{} {} {} {}{}",
        event.time,
        event.logical_id,
        event.resource_type,
        event.status,
        event
            .reason
            .as_deref()
            .map(|reason| format!(": {reason}"))
            .unwrap_or_default()
    )
}

fn event_json(event: &StackEvent) -> Value {
    json!({"time": event.time, "logical_id": event.logical_id, "type": event.resource_type,
           "status": event.status, "reason": event.reason})
}

/// The end of `apply`, in `text`, `json` or `markdown`.
pub fn apply(report: &ApplyReport, format: crate::cli::Format) -> String {
    let outcome = &report.outcome;
    let headline = if outcome.deleted_rolled_back_stack {
        format!(
            "{}: deleted stack `{}`, which was ROLLBACK_COMPLETE; plan and apply again to create it",
            report.name, report.stack
        )
    } else if outcome.succeeded() {
        format!(
            "{}: applied change set `{}` to `{}`: {}",
            report.name, outcome.change_set_name, report.stack, outcome.final_status
        )
    } else {
        format!(
            "{}: change set `{}` on `{}` ended {}{}",
            report.name,
            outcome.change_set_name,
            report.stack,
            outcome.final_status,
            outcome
                .root_cause
                .as_ref()
                .map(|event| format!(
                    "; root cause: {} ({}) {}: {}",
                    event.logical_id,
                    event.resource_type,
                    event.status,
                    event.reason.as_deref().unwrap_or("no reason given")
                ))
                .unwrap_or_default()
        )
    };
    match format {
        crate::cli::Format::Json => pretty(&json!({
            "version": 1,
            "environment": report.name,
            "stack": report.stack,
            "commit": report.commit,
            "sha256": report.sha256,
            "change_set": outcome.change_set_name,
            "status": outcome.final_status,
            "succeeded": outcome.succeeded(),
            "deleted_rolled_back_stack": outcome.deleted_rolled_back_stack,
            "root_cause": outcome.root_cause.as_ref().map(event_json),
            "events": outcome.events.iter().map(event_json).collect::<Vec<_>>(),
        })),
        crate::cli::Format::Markdown => {
            let mut out = format!("## omrs-gitops apply\n\n{}\n", markdown_cell(&headline));
            if !outcome.events.is_empty() {
                let _ = writeln!(
                    out,
                    "\n| Time | Resource | Type | Status | Reason |\n|---|---|---|---|---|"
                );
                for event in &outcome.events {
                    let _ = writeln!(
                        out,
                        "| {} | `{}` | {} | {} | {} |",
                        markdown_cell(&event.time),
                        markdown_cell(&event.logical_id),
                        markdown_cell(&event.resource_type),
                        markdown_cell(&event.status),
                        markdown_cell(event.reason.as_deref().unwrap_or(""))
                    );
                }
            }
            out
        }
        _ => format!("{headline}\n"),
    }
}

/// `drift` in `text`, `json` or `markdown`.
pub fn drift(report: &DriftReport, format: crate::cli::Format) -> String {
    match format {
        crate::cli::Format::Json => pretty(&json!({
            "version": 1,
            "environments": report.environments.iter().map(drift_json).collect::<Vec<_>>(),
        })),
        crate::cli::Format::Markdown => drift_markdown(report),
        _ => drift_text(report),
    }
}

fn drift_json(item: &EnvironmentDrift) -> Value {
    let resources = |list: &[crate::cloud::ResourceDrift]| {
        list.iter()
            .map(|drift| {
                json!({
                    "logical_id": drift.logical_id, "physical_id": drift.physical_id,
                    "type": drift.resource_type, "status": drift.status,
                    "differences": drift.differences.iter().map(|difference| json!({
                        "path": difference.path, "expected": difference.expected,
                        "actual": difference.actual, "kind": difference.kind,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect::<Vec<_>>()
    };
    match &item.result {
        Err(failure) => json!({"name": item.name, "stack": item.stack, "status": "failed",
                               "error": failure.message, "drifted": [], "ignored": []}),
        Ok(result) => json!({
            "name": item.name, "stack": item.stack,
            "status": if result.drifted.is_empty() { "in_sync" } else { "drifted" },
            "error": null,
            "drifted": resources(&result.drifted),
            "ignored": result.ignored.iter().map(|(drift, reason)| json!({
                "logical_id": drift.logical_id, "path": drift.differences.first().map(|d| d.path.clone()),
                "reason": reason,
            })).collect::<Vec<_>>(),
            "expired_ignores": result.expired.clone(),
        }),
    }
}

fn difference_lines(drift: &crate::cloud::ResourceDrift) -> Vec<String> {
    drift
        .differences
        .iter()
        .map(|difference| {
            format!(
                "{} {}: expected {} actual {}",
                difference.kind, difference.path, difference.expected, difference.actual
            )
        })
        .collect()
}

fn drift_text(report: &DriftReport) -> String {
    let mut out = String::new();
    for item in &report.environments {
        match &item.result {
            Err(failure) => {
                let _ = writeln!(
                    out,
                    "{} ({}): FAILED: {}",
                    item.name,
                    item.stack,
                    first_line(&failure.message)
                );
            }
            Ok(result) => {
                let _ = writeln!(
                    out,
                    "{} ({}): {} drifted, {} ignored",
                    item.name,
                    item.stack,
                    result.drifted.len(),
                    result.ignored.len()
                );
                for drift in &result.drifted {
                    let _ = writeln!(
                        out,
                        "  {} {} ({})",
                        drift.status, drift.logical_id, drift.resource_type
                    );
                    for line in difference_lines(drift) {
                        let _ = writeln!(out, "      {line}");
                    }
                }
                for expired in &result.expired {
                    let _ = writeln!(out, "  note: {expired}");
                }
            }
        }
    }
    out
}

fn drift_markdown(report: &DriftReport) -> String {
    let mut out = String::from("## omrs-gitops drift\n\n");
    let _ = writeln!(
        out,
        "| Environment | Stack | Drifted | Ignored |\n|---|---|--:|--:|"
    );
    for item in &report.environments {
        match &item.result {
            Err(failure) => {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | :x: {} | |",
                    markdown_cell(&item.name),
                    markdown_cell(&item.stack),
                    markdown_cell(first_line(&failure.message))
                );
            }
            Ok(result) => {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} |",
                    markdown_cell(&item.name),
                    markdown_cell(&item.stack),
                    result.drifted.len(),
                    result.ignored.len()
                );
            }
        }
    }
    for item in &report.environments {
        let Ok(result) = &item.result else { continue };
        if result.drifted.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n### {}\n\n{}",
            markdown_cell(&item.name),
            drifted_table(result)
        );
    }
    out
}

fn drifted_table(result: &crate::pipeline::drift::StackDrift) -> String {
    let mut out = String::from("| Resource | Type | Status | Differences |\n|---|---|---|---|\n");
    for drift in &result.drifted {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            markdown_cell(&drift.logical_id),
            markdown_cell(&drift.resource_type),
            markdown_cell(&drift.status),
            difference_lines(drift)
                .iter()
                .map(|line| markdown_cell(line))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    out
}

/// The drift of one environment as Markdown, for the body of its drift issue: what drifted (values already
/// redacted by the pipeline), what `drift.ignore` left out, and expired ignore entries. A failed detection says
/// so in one line.
pub fn drift_environment_markdown(item: &EnvironmentDrift) -> String {
    let mut out = format!(
        "## Drift: `{}` ({})\n\n",
        markdown_cell(&item.stack),
        markdown_cell(&item.name)
    );
    match &item.result {
        Err(failure) => {
            let _ = writeln!(
                out,
                ":x: Drift detection failed: {}",
                markdown_cell(first_line(&failure.message))
            );
        }
        Ok(result) if result.drifted.is_empty() => {
            let _ = writeln!(
                out,
                "Stack `{}` matches the repository ({} difference(s) ignored by `drift.ignore`).",
                markdown_cell(&item.stack),
                result.ignored.len()
            );
        }
        Ok(result) => {
            let _ = writeln!(
                out,
                "{} resource(s) of stack `{}` differ from the repository. omrs-gitops updates this issue on every drift run and closes it once the stack is back in sync.\n",
                result.drifted.len(),
                markdown_cell(&item.stack)
            );
            out.push_str(&drifted_table(result));
            if !result.ignored.is_empty() {
                let _ = writeln!(
                    out,
                    "\n<details><summary>{} difference(s) ignored by <code>drift.ignore</code></summary>\n\n| Resource | Path | Reason |\n|---|---|---|",
                    result.ignored.len()
                );
                for (drift, reason) in &result.ignored {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} |",
                        markdown_cell(&drift.logical_id),
                        markdown_cell(
                            drift
                                .differences
                                .first()
                                .map_or("(whole resource)", |difference| difference.path.as_str())
                        ),
                        markdown_cell(reason)
                    );
                }
                let _ = writeln!(out, "\n</details>");
            }
        }
    }
    if let Ok(result) = &item.result {
        for expired in &result.expired {
            let _ = writeln!(out, "\n> **Note:** {}", markdown_cell(expired));
        }
    }
    out
}
