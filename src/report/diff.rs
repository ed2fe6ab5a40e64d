//! Writers for `diff` (an offline comparison with a base commit), and the template-diff pieces `plan` reuses.
//!
//! # JSON wire format (`--format json`, version 1)
//!
//! ```text
//! {"version": 1, "base": {"reference": "HEAD~1", "commit": "<sha>"|null, "problem": "<why>"|null},
//!  "environments": [{"name", "path", "stack", "region", "sha256", "bytes", "resources",
//!    "base_sha256": "<sha>"|null, "base_missing": "<why>"|null,
//!    "counts": {"added", "modified", "removed"},
//!    "changes": [{"section", "logical_id", "type"|null, "action": "add"|"modify"|"remove",
//!                 "properties": [{"path", "before"|null, "after"|null}]}]}]}
//! ```
//! Fields are only ever added within a version.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{compact, markdown_cell};
use crate::diff::{ChangeKind, EntryChange, TemplateDiff};
use crate::pipeline::{BaseTemplate, EnvironmentPlan, OfflinePlan};

fn action(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "add",
        ChangeKind::Modified => "modify",
        ChangeKind::Removed => "remove",
    }
}

fn symbol(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "+",
        ChangeKind::Modified => "~",
        ChangeKind::Removed => "-",
    }
}

fn counts(plan: &EnvironmentPlan) -> (usize, usize, usize) {
    diff_counts(&plan.diff)
}

/// Entries (added, modified, removed) of a template diff.
pub fn diff_counts(diff: &TemplateDiff) -> (usize, usize, usize) {
    let count = |kind| {
        diff.changes
            .iter()
            .filter(|change| change.kind == kind)
            .count()
    };
    (
        count(ChangeKind::Added),
        count(ChangeKind::Modified),
        count(ChangeKind::Removed),
    )
}

/// The JSON document described in the module docs.
pub fn json(plan: &OfflinePlan) -> String {
    let environments: Vec<Value> = plan
        .environments
        .iter()
        .map(|item| {
            let (added, modified, removed) = counts(item);
            let (base_sha256, base_missing) = match &item.base {
                BaseTemplate::Rendered { sha256 } => (Some(sha256.clone()), None),
                BaseTemplate::Missing { reason } => (None, Some(reason.clone())),
            };
            json!({
                "name": item.environment.name,
                "path": item.environment.path,
                "stack": item.environment.environment.stack.name,
                "region": item.environment.environment.stack.region,
                "sha256": item.rendered.sha256,
                "bytes": item.rendered.json.len(),
                "resources": item.rendered.resource_count(),
                "base_sha256": base_sha256,
                "base_missing": base_missing,
                "counts": {"added": added, "modified": modified, "removed": removed},
                "changes": changes_json(&item.diff),
            })
        })
        .collect();
    let document = json!({
        "version": 1,
        "base": {"reference": plan.base_reference, "commit": plan.base_commit, "problem": plan.base_problem},
        "environments": environments,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

/// The entries of a template diff as the `changes` array of the wire format.
pub fn changes_json(diff: &TemplateDiff) -> Vec<Value> {
    diff.changes.iter().map(change_json).collect()
}

fn change_json(change: &EntryChange) -> Value {
    json!({
        "section": change.section,
        "logical_id": change.logical_id,
        "type": change.resource_type,
        "action": action(&change.kind),
        "properties": change.properties.iter().map(|property| json!({
            "path": property.path, "before": property.before, "after": property.after,
        })).collect::<Vec<_>>(),
    })
}

/// Plain text, one line per changed entry and one indented line per changed property.
pub fn text(plan: &OfflinePlan) -> String {
    let mut out = String::new();
    for item in &plan.environments {
        let (added, modified, removed) = counts(item);
        let _ = writeln!(
            out,
            "{} ({}): {} resources, sha256 {}; vs {}: {added} to add, {modified} to modify, {removed} to remove",
            item.environment.name,
            item.environment.path,
            item.rendered.resource_count(),
            item.rendered.sha256,
            plan.base_reference
        );
        if let BaseTemplate::Missing { reason } = &item.base {
            let _ = writeln!(
                out,
                "  note: no base template ({reason}); everything is shown as added"
            );
        }
        changes_text(&mut out, &item.diff, "  ");
    }
    out
}

/// One line per changed entry and one further-indented line per changed property, each starting with `indent`.
pub fn changes_text(out: &mut String, diff: &TemplateDiff, indent: &str) {
    for change in &diff.changes {
        let _ = writeln!(
            out,
            "{indent}{} {}.{}{}",
            symbol(&change.kind),
            change.section,
            change.logical_id,
            change
                .resource_type
                .as_ref()
                .map(|kind| format!(" ({kind})"))
                .unwrap_or_default()
        );
        for property in &change.properties {
            let _ = writeln!(
                out,
                "{indent}    {}: {} -> {}",
                property.path,
                property
                    .before
                    .as_ref()
                    .map_or("(none)".to_owned(), |value| compact(value, 100)),
                property
                    .after
                    .as_ref()
                    .map_or("(none)".to_owned(), |value| compact(value, 100)),
            );
        }
    }
}

/// The Markdown report a pull request gets: a summary table, then one collapsible section per environment.
pub fn markdown(plan: &OfflinePlan, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {title}\n");
    let base = match &plan.base_commit {
        Some(commit) => format!(
            "`{}` ({})",
            markdown_cell(&plan.base_reference),
            &commit[..commit.len().min(12)]
        ),
        None => format!("`{}` (not readable)", markdown_cell(&plan.base_reference)),
    };
    let _ = writeln!(out, "Compared with {base}.\n");
    let _ = writeln!(
        out,
        "| Environment | Stack | Resources | Add | Modify | Remove | Template SHA-256 |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|---|");
    for item in &plan.environments {
        let (added, modified, removed) = counts(item);
        let stack = &item.environment.environment.stack;
        let _ = writeln!(
            out,
            "| {} | `{}` ({}) | {} | {added} | {modified} | {removed} | `{}` |",
            markdown_cell(&item.environment.name),
            markdown_cell(&stack.name),
            markdown_cell(&stack.region),
            item.rendered.resource_count(),
            &item.rendered.sha256[..16],
        );
    }
    for item in &plan.environments {
        let _ = writeln!(out, "\n### {}\n", markdown_cell(&item.environment.name));
        if let BaseTemplate::Missing { reason } = &item.base {
            let _ = writeln!(
                out,
                "> No base template: {}. Every resource is shown as added.\n",
                markdown_cell(reason)
            );
        }
        if item.diff.is_empty() {
            let _ = writeln!(out, "No changes to the rendered template.");
            continue;
        }
        let (added, modified, removed) = counts(item);
        let _ = writeln!(
            out,
            "<details><summary>{added} to add, {modified} to modify, {removed} to remove</summary>\n"
        );
        changes_table(&mut out, &item.diff);
        let _ = writeln!(out, "\n</details>");
    }
    out
}

/// The changed entries of a template diff as a Markdown table, with up to 20 changed properties each.
pub fn changes_table(out: &mut String, diff: &TemplateDiff) {
    let _ = writeln!(out, "| | Logical ID | Type | Changed properties |");
    let _ = writeln!(out, "|---|---|---|---|");
    for change in &diff.changes {
        let properties: Vec<String> = change
            .properties
            .iter()
            .take(20)
            .map(|property| {
                format!(
                    "`{}`: `{}` → `{}`",
                    markdown_cell(&property.path),
                    markdown_cell(
                        &property
                            .before
                            .as_ref()
                            .map_or("(none)".to_owned(), |value| compact(value, 60))
                    ),
                    markdown_cell(
                        &property
                            .after
                            .as_ref()
                            .map_or("(none)".to_owned(), |value| compact(value, 60))
                    ),
                )
            })
            .collect();
        let more = change.properties.len().saturating_sub(20);
        let _ = writeln!(
            out,
            "| {} | `{}.{}` | {} | {}{} |",
            symbol(&change.kind),
            markdown_cell(&change.section),
            markdown_cell(&change.logical_id),
            change
                .resource_type
                .as_deref()
                .map(markdown_cell)
                .unwrap_or_default(),
            properties.join("<br>"),
            if more > 0 {
                format!("<br>… and {more} more")
            } else {
                String::new()
            }
        );
    }
}
