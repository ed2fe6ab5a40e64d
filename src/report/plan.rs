//! Writers for `plan`: what a reviewer needs about every environment (the template diff against the base, the
//! compliance findings new and fixed, the images and their digests, the vulnerabilities new and fixed, the
//! change set), and each environment's verdict. `environment_markdown` is one environment's pull-request comment.
//!
//! # JSON wire format (`plan --format json`, version 2)
//!
//! ```text
//! {"version": 2, "mode": "offline"|"online", "commit": "<sha>"|null (the change sets' commit),
//!  "base": {"reference": "HEAD~1", "commit": "<sha>"|null, "problem": "<why>"|null},
//!  "passed": bool (nothing failed and every gate passed),
//!  "environments": [{"name", "path", "stack", "region",
//!    "verdict": "ready"|"no_changes"|"blocked"|"failed", "errors": ["<message>", ...],
//!    "template": {"sha256", "bytes", "resources", "pinned": bool (rendered by digest)},
//!    "diff": {"base_sha256"|null, "base_missing": "<why>"|null, "counts": {"added", "modified", "removed"},
//!             "changes": [as in `diff --format json`]},
//!    "compliance": {"passed", "fail_on", "blocking", "suppressed", "base_checked",
//!                   "findings": [unsuppressed results as in `check --format json`],
//!                   "new": [same shape], "fixed": [same shape, from the base],
//!                   "expired_suppressions": [...], "stale_suppressions": [...]},
//!    "images": {"resolved": bool, "error": "<message>"|null,
//!               "items": [{"image", "registry", "repository", "tag"|null, "digest"|null,
//!                          "uses": [{"task_definition", "container"}],
//!                          "base": {"image", "digest"|null}|null, "change": "added"|"unchanged"|"changed"}],
//!               "removed": ["<image>", ...],
//!               "scan": as in `images --format json`|null, "scan_error": "<message>"|null,
//!               "vulnerabilities": {"new": [vulnerability], "fixed": [vulnerability]}|null,
//!               "base_notes": ["<why the comparison is incomplete>", ...]},
//!    "change_set": as in report::deploy|null (offline)}]}
//! ```
//! Fields are only ever added within a version. Version 1 was two documents (offline and online); version 2 is
//! one shape for both.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::check::{findings_table, ledger_json, row_json};
use super::deploy::{
    change_set_cell, change_set_json, change_set_markdown, change_set_text, stateful_cell,
};
use super::diff::{changes_json, changes_table, changes_text, diff_counts};
use super::images::{cve_cell, scan_json, scan_markdown, scan_text, table, vulnerability_json};
use super::markdown_cell;
use crate::images::scan::Vulnerability;
use crate::pipeline::offline::BaseTemplate;
use crate::pipeline::review::{EnvironmentReview, ImageChange, Review, Verdict};
use crate::rules::suppression::Compliance;

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ready => "ready",
        Verdict::NoChanges => "no_changes",
        Verdict::Blocked => "blocked",
        Verdict::Failed => "failed",
    }
}

fn verdict_label(review: &Review, verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ready if review.commit.is_some() => ":white_check_mark: ready to apply",
        Verdict::Ready => ":white_check_mark: changes pass every gate",
        Verdict::NoChanges => ":white_check_mark: no changes",
        Verdict::Blocked => ":no_entry: blocked",
        Verdict::Failed => ":x: failed",
    }
}

fn change_name(change: ImageChange) -> &'static str {
    match change {
        ImageChange::Added => "added",
        ImageChange::Unchanged => "unchanged",
        ImageChange::Changed => "changed",
    }
}

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &digest[..(digest.len() - hex.len() + hex.len().min(12))]
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn pretty(value: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

fn suppressed(item: &EnvironmentReview) -> usize {
    item.compliance
        .checked
        .rows
        .iter()
        .filter(|row| matches!(row.compliance, Compliance::Suppressed { .. }))
        .count()
}

fn changed_images(item: &EnvironmentReview) -> usize {
    item.images
        .images
        .iter()
        .filter(|image| image.change == ImageChange::Changed)
        .count()
}

/// The JSON document described in the module docs.
pub fn json(review: &Review) -> String {
    let environments: Vec<Value> = review.environments.iter().map(environment_json).collect();
    pretty(&json!({
        "version": 2,
        "mode": if review.commit.is_some() { "online" } else { "offline" },
        "commit": review.commit,
        "base": {"reference": review.base_reference, "commit": review.base_commit, "problem": review.base_problem},
        "passed": review.passed(),
        "environments": environments,
    }))
}

fn environment_json(item: &EnvironmentReview) -> Value {
    let plan = &item.plan;
    let stack = &plan.environment.environment.stack;
    let (added, modified, removed) = diff_counts(&plan.diff);
    let (base_sha256, base_missing) = match &plan.base {
        BaseTemplate::Rendered { sha256 } => (Some(sha256.clone()), None),
        BaseTemplate::Missing { reason } => (None, Some(reason.clone())),
    };
    let compliance = &item.compliance;
    let images = &item.images;
    let allowlist = &plan.environment.environment.images.allowlist;
    json!({
        "name": plan.environment.name,
        "path": plan.environment.path,
        "stack": stack.name,
        "region": stack.region,
        "verdict": verdict_name(item.verdict()),
        "errors": item.failures().iter().map(|failure| failure.message.clone()).collect::<Vec<_>>(),
        "template": {
            "sha256": plan.rendered.sha256,
            "bytes": plan.rendered.json.len(),
            "resources": plan.rendered.resource_count(),
            "pinned": images.pinned,
        },
        "diff": {
            "base_sha256": base_sha256,
            "base_missing": base_missing,
            "counts": {"added": added, "modified": modified, "removed": removed},
            "changes": changes_json(&plan.diff),
        },
        "compliance": {
            "passed": compliance.passed(),
            "fail_on": compliance.fail_on.as_str(),
            "blocking": compliance.blocking(),
            "suppressed": suppressed(item),
            "base_checked": compliance.base_checked,
            "findings": compliance.checked.failing().map(row_json).collect::<Vec<_>>(),
            "new": compliance.new.iter().map(row_json).collect::<Vec<_>>(),
            "fixed": compliance.fixed.iter().map(row_json).collect::<Vec<_>>(),
            "expired_suppressions": compliance.checked.expired.iter().map(ledger_json).collect::<Vec<_>>(),
            "stale_suppressions": compliance.checked.stale.iter().map(ledger_json).collect::<Vec<_>>(),
        },
        "images": {
            "resolved": images.resolved,
            "error": images.error.as_ref().map(|failure| failure.message.clone()),
            "items": images.images.iter().map(|reviewed| {
                let reference = &reviewed.image.reference;
                json!({
                    "image": reviewed.image.written,
                    "registry": reference.registry,
                    "repository": reference.repository,
                    "tag": reference.tag,
                    "digest": reviewed.digest,
                    "uses": reviewed.image.uses.iter().map(|use_| json!({
                        "task_definition": use_.task_definition, "container": use_.container,
                    })).collect::<Vec<_>>(),
                    "base": reviewed.base.as_ref().map(|(image, digest)| json!({"image": image, "digest": digest})),
                    "change": change_name(reviewed.change),
                })
            }).collect::<Vec<_>>(),
            "removed": images.removed,
            "scan": images.scan.as_ref().map(|scan| scan_json(scan, allowlist)),
            "scan_error": images.scan_error.as_ref().map(|failure| failure.message.clone()),
            "vulnerabilities": images.vulnerabilities.as_ref().map(|delta| json!({
                "new": delta.new.iter().map(vulnerability_json).collect::<Vec<_>>(),
                "fixed": delta.fixed.iter().map(vulnerability_json).collect::<Vec<_>>(),
            })),
            "base_notes": images.base_notes,
        },
        "change_set": item.change_set.as_ref().map(change_set_json),
    })
}

/// Plain text: a headline per environment, then indented sections.
pub fn text(review: &Review) -> String {
    let mut out = String::new();
    for item in &review.environments {
        let plan = &item.plan;
        let stack = &plan.environment.environment.stack;
        let verdict = match item.verdict() {
            Verdict::Ready => "READY",
            Verdict::NoChanges => "NO CHANGES",
            Verdict::Blocked => "BLOCKED",
            Verdict::Failed => "FAILED",
        };
        let _ = writeln!(
            out,
            "{} ({}): {verdict}; stack {} ({})",
            plan.environment.name, plan.environment.path, stack.name, stack.region
        );
        for failure in item.failures() {
            for line in failure.message.lines() {
                let _ = writeln!(out, "  error: {line}");
            }
        }
        let (added, modified, removed) = diff_counts(&plan.diff);
        let _ = writeln!(
            out,
            "  template: sha256 {}, {} resources; vs {}: {added} to add, {modified} to modify, {removed} to remove",
            plan.rendered.sha256,
            plan.rendered.resource_count(),
            review.base_reference
        );
        if let BaseTemplate::Missing { reason } = &plan.base {
            let _ = writeln!(
                out,
                "  note: no base template ({reason}); everything is shown as added"
            );
        }
        compliance_text(&mut out, item);
        images_text(&mut out, item);
        if let Some(change_set) = &item.change_set {
            change_set_text(&mut out, change_set);
        }
        if !plan.diff.is_empty() {
            let _ = writeln!(out, "  template changes vs {}:", review.base_reference);
            changes_text(&mut out, &plan.diff, "    ");
        }
    }
    out
}

fn compliance_text(out: &mut String, item: &EnvironmentReview) {
    let compliance = &item.compliance;
    let _ = writeln!(
        out,
        "  compliance: {} ({} blocking at {}, {} suppressed){}",
        if compliance.passed() {
            "passed"
        } else {
            "FAILED"
        },
        compliance.blocking(),
        compliance.fail_on.as_str(),
        suppressed(item),
        if compliance.base_checked {
            format!(
                "; {} new, {} fixed vs base",
                compliance.new.len(),
                compliance.fixed.len()
            )
        } else {
            String::new()
        }
    );
    let line = |row: &crate::pipeline::check::CheckRow| {
        format!(
            "{} {} on {}{} ({}:{})",
            row.rule.level.as_str(),
            row.rule.id,
            row.logical_id,
            row.finding
                .as_deref()
                .map(|finding| format!(" [{finding}]"))
                .unwrap_or_default(),
            row.location.file,
            row.location.line
        )
    };
    for row in compliance.checked.failing() {
        let new = compliance.new.iter().any(|other| {
            other.rule.id == row.rule.id
                && other.logical_id == row.logical_id
                && other.finding == row.finding
        });
        let _ = writeln!(out, "    {}{}", if new { "new: " } else { "" }, line(row));
    }
    for row in &compliance.fixed {
        let _ = writeln!(out, "    fixed: {}", line(row));
    }
    for note in &compliance.checked.expired {
        let _ = writeln!(
            out,
            "    suppressions[{}] ({} on {}) expired on {}; renew or remove it",
            note.index,
            note.suppression.rule,
            note.suppression.resource,
            note.suppression.expires.as_deref().unwrap_or("?")
        );
    }
}

fn images_text(out: &mut String, item: &EnvironmentReview) {
    let images = &item.images;
    let _ = writeln!(
        out,
        "  images: {} ({} changed since base){}",
        images.images.len(),
        changed_images(item),
        if images.resolved {
            ""
        } else {
            "; digests not resolved (offline)"
        }
    );
    let rows: Vec<[String; 4]> = images
        .images
        .iter()
        .map(|reviewed| {
            [
                reviewed.image.written.clone(),
                reviewed.digest.clone().unwrap_or_else(|| "-".to_owned()),
                reviewed.base.as_ref().map_or_else(
                    || "-".to_owned(),
                    |(image, digest)| match digest {
                        Some(digest) if image != &reviewed.image.written => {
                            format!("{image} {digest}")
                        }
                        Some(digest) => digest.clone(),
                        None => image.clone(),
                    },
                ),
                change_name(reviewed.change).to_owned(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let mut block = String::new();
        table(&mut block, &["IMAGE", "DIGEST", "BASE", "CHANGE"], &rows);
        for line in block.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    for image in &images.removed {
        let _ = writeln!(out, "    removed: {image}");
    }
    if let Some(scan) = &images.scan {
        scan_text(
            out,
            scan,
            &item.plan.environment.environment.images.allowlist,
        );
    }
    if let Some(delta) = &images.vulnerabilities {
        for (what, list) in [("new", &delta.new), ("fixed", &delta.fixed)] {
            for v in list {
                let _ = writeln!(
                    out,
                    "    {what} vulnerability: {} {} in {} ({})",
                    v.severity.as_str(),
                    v.cve,
                    v.package,
                    v.image
                );
            }
        }
    }
    for note in &images.base_notes {
        let _ = writeln!(out, "    note: {note}");
    }
}

/// The whole report: a title, what was compared, a summary row per environment, then each environment's
/// section (`environment_markdown`).
pub fn markdown(review: &Review) -> String {
    let mut out = String::new();
    let title = if review.commit.is_some() {
        "omrs-gitops plan"
    } else {
        "omrs-gitops plan (offline)"
    };
    let _ = writeln!(out, "## {title}\n");
    let _ = writeln!(out, "{}\n", context_line(review));
    let _ = writeln!(
        out,
        "| Environment | Verdict | Change set | Compliance | Images |\n|---|---|---|---|---|"
    );
    for item in &review.environments {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            markdown_cell(item.name()),
            verdict_label(review, item.verdict()),
            change_set_summary(review, item),
            compliance_summary(item),
            images_summary(item)
        );
    }
    for item in &review.environments {
        out.push('\n');
        out.push_str(&environment_markdown(review, item));
    }
    out
}

fn context_line(review: &Review) -> String {
    let base = match &review.base_commit {
        Some(commit) => format!(
            "`{}` ({})",
            markdown_cell(&review.base_reference),
            &commit[..commit.len().min(12)]
        ),
        None => format!("`{}` (not readable)", markdown_cell(&review.base_reference)),
    };
    match &review.commit {
        Some(commit) => format!(
            "Commit `{}` compared with {base}.",
            markdown_cell(&commit[..commit.len().min(12)])
        ),
        None => format!("Work tree compared with {base}; no change set (`--offline`)."),
    }
}

fn change_set_summary(review: &Review, item: &EnvironmentReview) -> String {
    match &item.change_set {
        Some(change_set) => change_set_cell(change_set),
        None if review.commit.is_some() => "not planned (see below)".to_owned(),
        None => {
            let (added, modified, removed) = diff_counts(&item.plan.diff);
            format!("offline; template: {added} to add, {modified} to modify, {removed} to remove")
        }
    }
}

fn compliance_summary(item: &EnvironmentReview) -> String {
    let compliance = &item.compliance;
    let mut text = if compliance.passed() {
        ":white_check_mark: passed".to_owned()
    } else {
        let expired = compliance.checked.expired.len();
        format!(
            ":x: {} blocking{}",
            compliance.blocking(),
            if expired > 0 {
                format!(", {expired} expired suppressions")
            } else {
                String::new()
            }
        )
    };
    if compliance.base_checked {
        let _ = write!(
            text,
            "; {} new, {} fixed",
            compliance.new.len(),
            compliance.fixed.len()
        );
    }
    text
}

fn images_summary(item: &EnvironmentReview) -> String {
    let images = &item.images;
    let mut text = format!(
        "{} images, {} changed",
        images.images.len(),
        changed_images(item)
    );
    if let Some(failure) = &images.error {
        let _ = write!(
            text,
            "; :x: {}",
            markdown_cell(first_line(&failure.message))
        );
    }
    match (&images.scan, &images.scan_error) {
        (_, Some(failure)) => {
            let _ = write!(
                text,
                "; :x: scan failed: {}",
                markdown_cell(first_line(&failure.message))
            );
        }
        (Some(scan), None) => {
            let _ = write!(
                text,
                "; vulnerabilities {} ({} blocking{})",
                if scan.gate.passed() {
                    ":white_check_mark: passed"
                } else {
                    ":x: FAILED"
                },
                scan.gate.blocking(),
                images
                    .vulnerabilities
                    .as_ref()
                    .map(|delta| format!(", {} new, {} fixed", delta.new.len(), delta.fixed.len()))
                    .unwrap_or_default()
            );
        }
        (None, None) => {}
    }
    text
}

/// One environment's section: the pull-request comment `plan --comment` posts for it. An environment with
/// nothing to change and nothing new gets one line; otherwise a summary table, then details folded in
/// `<details>` blocks.
pub fn environment_markdown(review: &Review, item: &EnvironmentReview) -> String {
    let mut out = String::new();
    let plan = &item.plan;
    let stack = &plan.environment.environment.stack;
    if item.is_quiet() {
        let _ = writeln!(
            out,
            "**`{}`** (`{}`, {}): no changes; compliance passed; {} images unchanged; template `{}`.",
            markdown_cell(item.name()),
            markdown_cell(&stack.name),
            markdown_cell(&stack.region),
            item.images.images.len(),
            &plan.rendered.sha256[..plan.rendered.sha256.len().min(16)]
        );
        return out;
    }
    let _ = writeln!(
        out,
        "### `{}`: {}\n",
        markdown_cell(item.name()),
        verdict_label(review, item.verdict())
    );
    let _ = writeln!(
        out,
        "Stack `{}` in {} · template `{}` ({} resources) · {}\n",
        markdown_cell(&stack.name),
        markdown_cell(&stack.region),
        &plan.rendered.sha256[..plan.rendered.sha256.len().min(16)],
        plan.rendered.resource_count(),
        context_line(review)
    );
    for failure in item.failures() {
        for line in failure.message.lines() {
            let _ = writeln!(out, "> :x: {}", markdown_cell(line));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Change set | {} |", change_set_summary(review, item));
    if let Some(change_set) = &item.change_set {
        let stateful = stateful_cell(change_set);
        let _ = writeln!(
            out,
            "| Stateful resources | {} |",
            if stateful.is_empty() {
                "none replaced or removed".to_owned()
            } else {
                stateful
            }
        );
    }
    let (added, modified, removed) = diff_counts(&plan.diff);
    let _ = writeln!(
        out,
        "| Template vs `{}` | {} |",
        markdown_cell(&review.base_reference),
        match &plan.base {
            BaseTemplate::Rendered { .. } =>
                format!("{added} to add, {modified} to modify, {removed} to remove"),
            BaseTemplate::Missing { reason } => format!(
                "no base template ({}): everything is new",
                markdown_cell(reason)
            ),
        }
    );
    let _ = writeln!(out, "| Compliance | {} |", compliance_summary(item));
    let _ = writeln!(out, "| Images | {} |", images_summary(item));
    out.push('\n');
    if let Some(change_set) = &item.change_set {
        change_set_markdown(&mut out, change_set);
    }
    if !plan.diff.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Template diff vs <code>{}</code>: {added} to add, {modified} to modify, {removed} to remove</summary>\n",
            html(&review.base_reference)
        );
        changes_table(&mut out, &plan.diff);
        let _ = writeln!(out, "\n</details>\n");
    }
    compliance_markdown(&mut out, item);
    images_markdown(&mut out, item);
    out
}

/// Text inside HTML (a `<summary>`): no tags, no entities.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

fn compliance_markdown(out: &mut String, item: &EnvironmentReview) {
    let compliance = &item.compliance;
    let failing: Vec<_> = compliance.checked.failing().collect();
    for note in &compliance.checked.expired {
        let _ = writeln!(
            out,
            "> **Expired suppression** `suppressions[{}]` ({} on `{}`) expired on {}: renew or remove it.\n",
            note.index,
            note.suppression.rule,
            markdown_cell(&note.suppression.resource),
            markdown_cell(note.suppression.expires.as_deref().unwrap_or("?"))
        );
    }
    if failing.is_empty() && compliance.fixed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Compliance: {} unsuppressed findings ({} new, {} fixed)</summary>\n",
        failing.len(),
        compliance.new.len(),
        compliance.fixed.len()
    );
    if !compliance.new.is_empty() {
        let _ = writeln!(out, "New in this change:\n");
        findings_table(out, &compliance.new);
        out.push('\n');
    }
    if !compliance.fixed.is_empty() {
        let _ = writeln!(out, "Fixed by this change:\n");
        findings_table(out, &compliance.fixed);
        out.push('\n');
    }
    if failing.len() > compliance.new.len() {
        let _ = writeln!(out, "Every unsuppressed finding:\n");
        findings_table(out, failing);
        out.push('\n');
    }
    let _ = writeln!(out, "</details>\n");
}

fn vulnerability_rows(out: &mut String, vulnerabilities: &[Vulnerability]) {
    let _ = writeln!(
        out,
        "| Image | Severity | CVE | Package | Installed |\n|---|---|---|---|---|"
    );
    for v in vulnerabilities {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            markdown_cell(&v.image),
            v.severity.as_str(),
            cve_cell(v),
            markdown_cell(&v.package),
            markdown_cell(&v.installed_version)
        );
    }
    out.push('\n');
}

fn images_markdown(out: &mut String, item: &EnvironmentReview) {
    let images = &item.images;
    if images.images.is_empty() && images.removed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Images: {} ({} changed since the base)</summary>\n",
        images.images.len(),
        changed_images(item)
    );
    let _ = writeln!(out, "| Image | Digest | Base | Change |\n|---|---|---|---|");
    for reviewed in &images.images {
        let base = match &reviewed.base {
            None => "-".to_owned(),
            Some((image, digest)) => {
                let mut cell = String::new();
                if image != &reviewed.image.written {
                    let _ = write!(cell, "`{}` ", markdown_cell(image));
                }
                match digest {
                    Some(digest) => {
                        let _ = write!(cell, "`{}`", markdown_cell(short(digest)));
                    }
                    None if cell.is_empty() => cell.push_str("same reference"),
                    None => {}
                }
                cell.trim_end().to_owned()
            }
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            markdown_cell(&reviewed.image.written),
            reviewed
                .digest
                .as_deref()
                .map_or("not resolved".to_owned(), |digest| format!(
                    "`{}`",
                    markdown_cell(short(digest))
                )),
            base,
            match reviewed.change {
                ImageChange::Changed => "**changed**",
                other => change_name(other),
            }
        );
    }
    for image in &images.removed {
        let _ = writeln!(out, "| `{}` | | | removed |", markdown_cell(image));
    }
    out.push('\n');
    if !images.resolved {
        let _ = writeln!(
            out,
            "Digests are resolved by the online `plan`; `--offline` compares references only.\n"
        );
    }
    for note in &images.base_notes {
        let _ = writeln!(out, "> {}\n", markdown_cell(note));
    }
    if let Some(delta) = &images.vulnerabilities {
        if !delta.new.is_empty() {
            let _ = writeln!(out, "Vulnerabilities new in this change:\n");
            vulnerability_rows(out, &delta.new);
        }
        if !delta.fixed.is_empty() {
            let _ = writeln!(out, "Vulnerabilities fixed by this change:\n");
            vulnerability_rows(out, &delta.fixed);
        }
    }
    if let Some(scan) = &images.scan {
        scan_markdown(
            out,
            scan,
            &item.plan.environment.environment.images.allowlist,
        );
    }
    let _ = writeln!(out, "</details>\n");
}
