//! Writers for `check` results.
//!
//! # JSON wire format (`--format json`, version 1)
//!
//! ```text
//! {"version": 1, "fail_on": "error"|"warning", "passed": bool,
//!  "templates": [{"name", "source", "resources",
//!    "summary": {"compliant", "non_compliant", "suppressed", "unknown"},
//!    "results": [{"rule_id", "pack", "level", "logical_id", "resource_type", "report_id", "finding"|null,
//!                 "compliance": "Compliant"|"NonCompliant"|"Suppressed"|"Unknown", "reason"|null,
//!                 "suppressed_by": "resource-metadata"|"template-metadata"|"ledger"|null,
//!                 "location": {"file", "line"}, "problem", "fix", "controls": [..]}],
//!    "expired_suppressions": [{"index", "rule", "resource", "finding"|null, "expires", "reason", "owner"|null}],
//!    "stale_suppressions": [same shape]}]}
//! ```
//! Results are in evaluation order (resource order, then rule order); not-applicable pairs are omitted. Fields
//! are only ever added within a version.
//!
//! # CSV (`--format csv`)
//!
//! cdk-nag's report format: header `Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info`, then
//! one quoted row per evaluated (rule, resource) and per granular finding.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::markdown_cell;
use crate::pipeline::check::{CheckReport, CheckRow, CheckedTemplate, LedgerNote};
use crate::rules::suppression::{Compliance, SuppressionSource};
use crate::rules::{checks, Level, Pack, Rule};

fn problem_and_fix(rule: &Rule) -> (&'static str, &'static str) {
    checks::find(rule.check).map_or(("", ""), |check| (check.problem, check.fix))
}

fn pack_name(pack: Pack) -> &'static str {
    match pack {
        Pack::HipaaSecurity => "HIPAA.Security",
        Pack::AwsSolutions => "AwsSolutions",
        Pack::Openmrs => "OpenMRS",
    }
}

fn compliance_name(compliance: &Compliance) -> &'static str {
    match compliance {
        Compliance::Compliant => "Compliant",
        Compliance::NonCompliant => "NonCompliant",
        Compliance::Unknown(_) => "Unknown",
        Compliance::Suppressed { .. } => "Suppressed",
    }
}

/// A rule's info text as the CSV and SARIF show it: the problem, with the HIPAA controls.
fn info(rule: &Rule) -> String {
    let (problem, _) = problem_and_fix(rule);
    if rule.controls.is_empty() {
        problem.to_owned()
    } else {
        format!("{problem} (HIPAA {})", rule.controls.join(", "))
    }
}

#[derive(Default)]
struct Summary {
    compliant: usize,
    non_compliant: usize,
    suppressed: usize,
    unknown: usize,
}

fn summary(checked: &CheckedTemplate) -> Summary {
    let mut summary = Summary::default();
    for row in &checked.rows {
        match row.compliance {
            Compliance::Compliant => summary.compliant += 1,
            Compliance::NonCompliant => summary.non_compliant += 1,
            Compliance::Suppressed { .. } => summary.suppressed += 1,
            Compliance::Unknown(_) => summary.unknown += 1,
        }
    }
    summary
}

/// One ledger note (expired or stale suppression) of the wire format.
pub(crate) fn ledger_json(note: &LedgerNote) -> Value {
    json!({
        "index": note.index,
        "rule": note.suppression.rule,
        "resource": note.suppression.resource,
        "finding": note.suppression.finding,
        "expires": note.suppression.expires,
        "reason": note.suppression.reason,
        "owner": note.suppression.owner,
    })
}

/// One result row of the wire format.
pub(crate) fn row_json(row: &CheckRow) -> Value {
    let (problem, fix) = problem_and_fix(row.rule);
    let (reason, suppressed_by) = match &row.compliance {
        Compliance::Suppressed { reason, source } => (
            Some(reason.clone()),
            Some(match source {
                SuppressionSource::ResourceMetadata => "resource-metadata",
                SuppressionSource::TemplateMetadata => "template-metadata",
                SuppressionSource::Ledger(_) => "ledger",
            }),
        ),
        Compliance::Unknown(why) => (Some(why.clone()), None),
        _ => (None, None),
    };
    json!({
        "rule_id": row.rule.id,
        "pack": pack_name(row.rule.pack),
        "level": row.rule.level.as_str(),
        "logical_id": row.logical_id,
        "resource_type": row.resource_type,
        "report_id": row.report_id,
        "finding": row.finding,
        "compliance": compliance_name(&row.compliance),
        "reason": reason,
        "suppressed_by": suppressed_by,
        "location": {"file": row.location.file, "line": row.location.line},
        "problem": problem,
        "fix": fix,
        "controls": row.rule.controls,
    })
}

/// The JSON document described in the module docs.
pub fn json(report: &CheckReport) -> String {
    let templates: Vec<Value> = report
        .templates
        .iter()
        .map(|checked| {
            let counts = summary(checked);
            json!({
                "name": checked.name,
                "source": checked.source,
                "resources": checked.resources,
                "summary": {"compliant": counts.compliant, "non_compliant": counts.non_compliant, "suppressed": counts.suppressed, "unknown": counts.unknown},
                "results": checked.rows.iter().map(row_json).collect::<Vec<_>>(),
                "expired_suppressions": checked.expired.iter().map(ledger_json).collect::<Vec<_>>(),
                "stale_suppressions": checked.stale.iter().map(ledger_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = json!({
        "version": 1,
        "fail_on": report.fail_on.as_str().to_ascii_lowercase(),
        "passed": report.passed(),
        "templates": templates,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// cdk-nag's CSV report for one template.
pub fn csv(checked: &CheckedTemplate) -> String {
    let mut out =
        String::from("Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info\n");
    for row in &checked.rows {
        let (compliance, reason) = match &row.compliance {
            Compliance::Compliant => ("Compliant", "N/A".to_owned()),
            Compliance::NonCompliant => ("Non-Compliant", "N/A".to_owned()),
            Compliance::Unknown(_) => ("UNKNOWN", "N/A".to_owned()),
            Compliance::Suppressed { reason, .. } => ("Suppressed", reason.clone()),
        };
        let fields = [
            row.rule.id,
            &row.report_id,
            compliance,
            &reason,
            row.rule.level.as_str(),
            &info(row.rule),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|field| csv_field(field))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

/// One row as a sentence, for SARIF results and GitHub annotations: rule, finding, resource, problem and fix, or
/// why it could not be evaluated.
pub(crate) fn finding_message(row: &CheckRow) -> String {
    let (problem, fix) = problem_and_fix(row.rule);
    let finding = row
        .finding
        .as_ref()
        .map(|finding| format!(" [{finding}]"))
        .unwrap_or_default();
    match &row.compliance {
        Compliance::Unknown(why) => format!(
            "{}: `{}` could not be evaluated: {why}",
            row.rule.id, row.logical_id
        ),
        _ => format!(
            "{}{finding}: `{}` ({}): {problem}. {fix}",
            row.rule.id, row.logical_id, row.resource_type
        ),
    }
}

/// SARIF 2.1.0: one run, the rules that produced results, and one result per failing, unknown or suppressed
/// row (suppressed rows carry a `suppressions` entry so code scanning shows them as dismissed).
pub fn sarif(report: &CheckReport) -> String {
    let mut rule_ids: Vec<&'static Rule> = Vec::new();
    let mut results = Vec::new();
    for checked in &report.templates {
        for row in &checked.rows {
            if row.compliance == Compliance::Compliant {
                continue;
            }
            let index = match rule_ids.iter().position(|rule| rule.id == row.rule.id) {
                Some(index) => index,
                None => {
                    rule_ids.push(row.rule);
                    rule_ids.len() - 1
                }
            };
            let level = match (&row.compliance, row.rule.level) {
                (Compliance::Unknown(_), _) | (_, Level::Warning) => "warning",
                (_, Level::Error) => "error",
            };
            let message = finding_message(row);
            let mut result = json!({
                "ruleId": row.rule.id,
                "ruleIndex": index,
                "level": level,
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": row.location.file},
                        "region": {"startLine": row.location.line.max(1)},
                    },
                    "logicalLocations": [{"name": row.logical_id, "kind": "resource", "fullyQualifiedName": format!("{}/{}", checked.name, row.logical_id)}],
                }],
                "partialFingerprints": {"omrsGitops/v1": format!("{}|{}|{}|{}", checked.name, row.rule.id, row.logical_id, row.finding.clone().unwrap_or_default())},
            });
            if let Compliance::Suppressed { reason, source } = &row.compliance {
                result["suppressions"] = json!([{
                    "kind": if matches!(source, SuppressionSource::Ledger(_)) { "external" } else { "inSource" },
                    "justification": reason,
                }]);
            }
            results.push(result);
        }
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|rule| {
            let (problem, fix) = problem_and_fix(rule);
            json!({
                "id": rule.id,
                "name": rule.check,
                "shortDescription": {"text": problem},
                "help": {"text": fix},
                "defaultConfiguration": {"level": if rule.level == Level::Error { "error" } else { "warning" }},
                "properties": {"tags": rule.controls.iter().map(|control| format!("HIPAA {control}")).chain([pack_name(rule.pack).to_owned()]).collect::<Vec<_>>()},
            })
        })
        .collect();
    super::sarif_log(rules, results)
}

/// Plain text grouped by resource; failing and unknown rows in full, suppressed rows with their reason.
pub fn text(report: &CheckReport, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    for checked in &report.templates {
        let counts = summary(checked);
        let _ = writeln!(
            out,
            "{} ({}): {} resources; {} compliant, {} non-compliant, {} suppressed, {} unknown",
            checked.name,
            checked.source,
            checked.resources,
            counts.compliant,
            counts.non_compliant,
            counts.suppressed,
            counts.unknown
        );
        let mut current: Option<&str> = None;
        for row in checked
            .rows
            .iter()
            .filter(|row| row.compliance != Compliance::Compliant)
        {
            if current != Some(row.logical_id.as_str()) {
                current = Some(row.logical_id.as_str());
                let _ = writeln!(
                    out,
                    "  {} ({}) {}:{}",
                    row.logical_id, row.resource_type, row.location.file, row.location.line
                );
            }
            let finding = row
                .finding
                .as_ref()
                .map(|finding| format!("[{finding}]"))
                .unwrap_or_default();
            let (problem, fix) = problem_and_fix(row.rule);
            match &row.compliance {
                Compliance::NonCompliant => {
                    let label = if row.rule.level == Level::Error {
                        paint("31", "error")
                    } else {
                        paint("33", "warning")
                    };
                    let _ = writeln!(
                        out,
                        "    {label} {}{finding}: {problem}; {fix}",
                        row.rule.id
                    );
                }
                Compliance::Unknown(why) => {
                    let _ = writeln!(out, "    {} {}: {why}", paint("33", "unknown"), row.rule.id);
                }
                Compliance::Suppressed { reason, .. } => {
                    let _ = writeln!(
                        out,
                        "    {} {}{finding}: {reason}",
                        paint("2", "suppressed"),
                        row.rule.id
                    );
                }
                Compliance::Compliant => {}
            }
        }
        for note in &checked.expired {
            let _ = writeln!(
                out,
                "  {} suppressions[{}] ({} on {}) expired on {}; review it and renew or remove it",
                paint("31", "error"),
                note.index,
                note.suppression.rule,
                note.suppression.resource,
                note.suppression.expires.as_deref().unwrap_or("?")
            );
        }
        for note in &checked.stale {
            let _ = writeln!(
                out,
                "  {} suppressions[{}] ({} on {}) matched nothing; remove it",
                paint("33", "stale"),
                note.index,
                note.suppression.rule,
                note.suppression.resource
            );
        }
    }
    let _ = writeln!(
        out,
        "{}",
        if report.passed() {
            paint("32", "gate: passed")
        } else {
            paint("31", "gate: failed")
        }
    );
    out
}

/// Markdown for a pull request: a summary table, then failing rows, then suppressed rows folded.
pub fn markdown(report: &CheckReport) -> String {
    let mut out = String::from("## omrs-gitops check\n\n| Template | Resources | Compliant | Non-compliant | Suppressed | Unknown |\n|---|--:|--:|--:|--:|--:|\n");
    for checked in &report.templates {
        let counts = summary(checked);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            markdown_cell(&checked.name),
            checked.resources,
            counts.compliant,
            counts.non_compliant,
            counts.suppressed,
            counts.unknown
        );
    }
    for checked in &report.templates {
        let failing: Vec<&CheckRow> = checked
            .rows
            .iter()
            .filter(|row| {
                matches!(
                    row.compliance,
                    Compliance::NonCompliant | Compliance::Unknown(_)
                )
            })
            .collect();
        let suppressed: Vec<&CheckRow> = checked
            .rows
            .iter()
            .filter(|row| matches!(row.compliance, Compliance::Suppressed { .. }))
            .collect();
        let _ = writeln!(out, "\n### {}\n", markdown_cell(&checked.name));
        if failing.is_empty() {
            let _ = writeln!(out, "No unsuppressed findings.");
        } else {
            findings_table(&mut out, failing);
        }
        for note in &checked.expired {
            let _ = writeln!(
                out,
                "\n> **Expired suppression** `suppressions[{}]` ({} on `{}`) expired on {}.",
                note.index,
                note.suppression.rule,
                markdown_cell(&note.suppression.resource),
                note.suppression.expires.as_deref().unwrap_or("?")
            );
        }
        for note in &checked.stale {
            let _ = writeln!(
                out,
                "\n> Stale suppression `suppressions[{}]` ({} on `{}`) matched nothing.",
                note.index,
                note.suppression.rule,
                markdown_cell(&note.suppression.resource)
            );
        }
        if !suppressed.is_empty() {
            let _ = writeln!(out, "\n<details><summary>{} suppressed</summary>\n\n| Rule | Resource | Reason |\n|---|---|---|", suppressed.len());
            for row in suppressed {
                if let Compliance::Suppressed { reason, .. } = &row.compliance {
                    let _ = writeln!(
                        out,
                        "| `{}` | `{}` | {} |",
                        row.rule.id,
                        markdown_cell(&row.logical_id),
                        markdown_cell(reason)
                    );
                }
            }
            let _ = writeln!(out, "\n</details>");
        }
    }
    let _ = writeln!(
        out,
        "\n**Gate:** {}",
        if report.passed() { "passed" } else { "failed" }
    );
    out
}

/// Unsuppressed findings as a Markdown table: level (or `unknown`), rule and finding, resource, problem, fix.
pub fn findings_table<'a>(out: &mut String, rows: impl IntoIterator<Item = &'a CheckRow>) {
    let _ = writeln!(
        out,
        "| Level | Rule | Resource | Problem | Fix |\n|---|---|---|---|---|"
    );
    for row in rows {
        let (problem, fix) = problem_and_fix(row.rule);
        let level = if matches!(row.compliance, Compliance::Unknown(_)) {
            "unknown"
        } else {
            row.rule.level.as_str()
        };
        let finding = row
            .finding
            .as_ref()
            .map(|finding| format!(" `{}`", markdown_cell(finding)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {level} | `{}`{finding} | `{}` | {} | {} |",
            row.rule.id,
            markdown_cell(&row.logical_id),
            markdown_cell(problem),
            markdown_cell(fix)
        );
    }
}

/// The rule registry, as `check --list-rules` prints it.
pub fn rule_list(rules: &[&'static Rule], as_json: bool) -> String {
    if as_json {
        let list: Vec<Value> = rules
            .iter()
            .map(|rule| {
                let (problem, fix) = problem_and_fix(rule);
                let types = checks::find(rule.check).map(|check| check.resource_types).unwrap_or(&[]);
                json!({"id": rule.id, "pack": pack_name(rule.pack), "level": rule.level.as_str(), "check": rule.check,
                       "resource_types": types, "controls": rule.controls, "problem": problem, "fix": fix})
            })
            .collect();
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"rules": list})).unwrap_or_default()
        );
    }
    let mut out = String::new();
    for rule in rules {
        let (problem, _) = problem_and_fix(rule);
        let _ = writeln!(
            out,
            "{:<60} {:<7} {}  [{}]",
            rule.id,
            rule.level.as_str(),
            problem,
            rule.controls.join(", ")
        );
    }
    out
}

/// Prose in a Markdown table cell: keeps code spans, escapes only what breaks the table.
fn prose_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `docs/rules.md`: every rule of every pack, generated from the registry. A test fails when the file is stale.
pub fn rules_reference() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- Generated from the rule registry by the test suite (`OMRS_GITOPS_BLESS=1 cargo test` rewrites it). Do not edit. -->\n\n\
`omrs-gitops check` runs three packs: cdk-nag 2.27.223's HIPAA.Security and AwsSolutions packs, with the same \
verdicts as cdk-nag, and the OpenMRS pack, which knows the application. A check that two packs share runs once and \
reports under both IDs. Suppress a finding with `Metadata.cdk_nag.rules_to_suppress` on the resource or with the \
environment file's `suppressions` ledger (docs/check.md).\n",
    );
    for pack in Pack::ALL {
        let rules = crate::rules::packs::rules(&[pack]);
        let _ = writeln!(
            out,
            "\n## {} ({} rules)\n\n| Rule | Level | Resource types | Fails when | How to fix | HIPAA controls |\n|---|---|---|---|---|---|",
            pack_name(pack),
            rules.len()
        );
        for rule in rules {
            let (problem, fix) = problem_and_fix(rule);
            let types = checks::find(rule.check)
                .map(|check| check.resource_types.join(", "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                rule.id,
                rule.level.as_str(),
                markdown_cell(&types),
                prose_cell(problem),
                prose_cell(fix),
                rule.controls.join(", ")
            );
        }
    }
    out
}
