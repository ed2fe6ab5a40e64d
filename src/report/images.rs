//! Writers for `images` results.
//!
//! # JSON wire format (`--format json`, version 1)
//!
//! ```text
//! {"version": 1,
//!  "environments": [{"name", "path", "pinned_template": {"sha256"}|null (with `images.pin`, once resolved),
//!    "images": [{"image", "registry", "repository", "tag"|null,
//!                "digest"|null (written or resolved; null with `--offline` when the reference has none),
//!                "uses": [{"task_definition", "container"}]}],
//!    "scan": null (no `images.scan`, or `--offline`) | {
//!      "mode": "inspector"|"ecr-basic", "passed": bool, "blocking": n, "dropped_unfixed": n,
//!      "findings": [{"image", "cve", "package", "installed_version", "fixed_version"|null,
//!                    "fix": "fixed"|"unfixed"|"unknown", "severity", "title", "url"|null,
//!                    "blocking": bool, "allowed_by": index into images.allowlist|null}],
//!      "expired_allowlist": [{"index", "cve", "package"|null, "expires", "owner", "reason"}],
//!      "stale_allowlist": [same shape],
//!      "unscanned": [image, ...] (not in an ECR private registry: AWS does not scan them)}}],
//!  "passed": bool (every scanned environment passed its gate)}
//! ```
//! Images are in order of first use in the template; findings most severe first, then by image, CVE and package.
//! Fields are only ever added within a version.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::markdown_cell;
use crate::config::AllowlistEntry;
use crate::images::gate::GatedFinding;
use crate::images::scan::Fix;
use crate::pipeline::images::{EnvironmentScan, ImagesReport};

/// The JSON document described in the module docs.
pub fn json(report: &ImagesReport) -> String {
    let environments: Vec<Value> = report
        .environments
        .iter()
        .map(|item| {
            json!({
                "name": item.environment.name,
                "path": item.environment.path,
                "pinned_template": item.pinned.as_ref().map(|rendered| json!({"sha256": rendered.sha256})),
                "scan": item.scan.as_ref().map(|scan| scan_json(scan, &item.environment.environment.images.allowlist)),
                "images": item.images.iter().map(|image| json!({
                    "image": image.written,
                    "registry": image.reference.registry,
                    "repository": image.reference.repository,
                    "tag": image.reference.tag,
                    "digest": report.digest(image),
                    "uses": image.uses.iter().map(|use_| json!({
                        "task_definition": use_.task_definition,
                        "container": use_.container,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = json!({"version": 1, "environments": environments, "passed": report.passed()});
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

/// A table per environment: registry/repository, tag, digest (or `-`) and the containers that run it.
pub fn text(report: &ImagesReport) -> String {
    let mut out = String::new();
    for item in &report.environments {
        let _ = writeln!(
            out,
            "{} ({}): {} images",
            item.environment.name,
            item.environment.path,
            item.images.len()
        );
        let rows: Vec<[String; 4]> = item
            .images
            .iter()
            .map(|image| {
                [
                    format!(
                        "{}/{}",
                        image.reference.registry, image.reference.repository
                    ),
                    image
                        .reference
                        .tag
                        .clone()
                        .unwrap_or_else(|| "-".to_owned()),
                    report.digest(image).unwrap_or("-").to_owned(),
                    image
                        .uses
                        .iter()
                        .map(|use_| format!("{}/{}", use_.task_definition, use_.container))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        table(&mut out, &["IMAGE", "TAG", "DIGEST", "USED BY"], &rows);
        if let Some(rendered) = &item.pinned {
            let _ = writeln!(out, "  pinned template: {}", rendered.sha256);
        }
        if let Some(scan) = &item.scan {
            scan_text(
                &mut out,
                scan,
                &item.environment.environment.images.allowlist,
            );
        }
    }
    out
}

fn fixed_version(fix: &Fix) -> Option<&str> {
    match fix {
        Fix::Version(version) => Some(version),
        _ => None,
    }
}

fn fix_name(fix: &Fix) -> &'static str {
    match fix {
        Fix::Version(_) => "fixed",
        Fix::None => "unfixed",
        Fix::Unknown => "unknown",
    }
}

fn fix_cell(fix: &Fix) -> String {
    match fix {
        Fix::Version(version) => version.clone(),
        Fix::None => "none".to_owned(),
        Fix::Unknown => "unknown".to_owned(),
    }
}

fn mode_name(scan: &EnvironmentScan) -> &'static str {
    match scan.mode {
        crate::config::ScanMode::None => "none",
        crate::config::ScanMode::Inspector => "inspector",
        crate::config::ScanMode::EcrBasic => "ecr-basic",
    }
}

fn entry_json(index: usize, entry: &AllowlistEntry) -> Value {
    json!({
        "index": index,
        "cve": entry.cve,
        "package": entry.package,
        "expires": entry.expires,
        "owner": entry.owner,
        "reason": entry.reason,
    })
}

/// One vulnerability: image, ID, package, versions, severity, title and advisory URL.
pub(crate) fn vulnerability_json(v: &crate::images::scan::Vulnerability) -> Value {
    json!({
        "image": v.image,
        "cve": v.cve,
        "package": v.package,
        "installed_version": v.installed_version,
        "fixed_version": fixed_version(&v.fixed),
        "fix": fix_name(&v.fixed),
        "severity": v.severity.as_str(),
        "title": v.title,
        "url": v.url,
    })
}

/// The `scan` member of the wire format.
pub(crate) fn scan_json(scan: &EnvironmentScan, allowlist: &[AllowlistEntry]) -> Value {
    let entries = |indexes: &[usize]| -> Vec<Value> {
        indexes
            .iter()
            .filter_map(|index| allowlist.get(*index).map(|entry| entry_json(*index, entry)))
            .collect()
    };
    json!({
        "mode": mode_name(scan),
        "passed": scan.gate.passed(),
        "blocking": scan.gate.blocking(),
        "dropped_unfixed": scan.gate.dropped_unfixed,
        "findings": scan.gate.findings.iter().map(|finding| {
            let mut entry = vulnerability_json(&finding.vulnerability);
            entry["blocking"] = json!(finding.blocking);
            entry["allowed_by"] = json!(finding.allowed_by);
            entry
        }).collect::<Vec<_>>(),
        "expired_allowlist": entries(&scan.gate.expired),
        "stale_allowlist": entries(&scan.gate.stale),
        "unscanned": scan.unscanned,
    })
}

/// Findings by image, then severity (most severe first).
fn by_image(scan: &EnvironmentScan) -> Vec<&GatedFinding> {
    let mut findings: Vec<&GatedFinding> = scan.gate.findings.iter().collect();
    findings.sort_by(|a, b| {
        (&a.vulnerability.image, a.vulnerability.severity)
            .cmp(&(&b.vulnerability.image, b.vulnerability.severity))
    });
    findings
}

fn status_cell(finding: &GatedFinding) -> String {
    match (finding.blocking, finding.allowed_by) {
        (true, _) => "BLOCKING".to_owned(),
        (false, Some(index)) => format!("allowlist[{index}]"),
        (false, None) => "reported".to_owned(),
    }
}

/// The gate's verdict, the findings table and the allowlist notes, indented text.
pub(crate) fn scan_text(out: &mut String, scan: &EnvironmentScan, allowlist: &[AllowlistEntry]) {
    let gate = &scan.gate;
    let _ = writeln!(
        out,
        "  vulnerabilities ({}): {} findings, {} blocking; gate {}",
        mode_name(scan),
        gate.findings.len(),
        gate.blocking(),
        if gate.passed() { "passed" } else { "FAILED" }
    );
    if !gate.findings.is_empty() {
        let rows: Vec<[String; 7]> = by_image(scan)
            .into_iter()
            .map(|finding| {
                let v = &finding.vulnerability;
                [
                    v.image.clone(),
                    v.severity.as_str().to_owned(),
                    v.cve.clone(),
                    v.package.clone(),
                    v.installed_version.clone(),
                    fix_cell(&v.fixed),
                    status_cell(finding),
                ]
            })
            .collect();
        table(
            out,
            &[
                "IMAGE",
                "SEVERITY",
                "CVE",
                "PACKAGE",
                "INSTALLED",
                "FIXED IN",
                "STATUS",
            ],
            &rows,
        );
    }
    if gate.dropped_unfixed > 0 {
        let _ = writeln!(
            out,
            "  --ignore-unfixed dropped {} findings with no fixed version",
            gate.dropped_unfixed
        );
    }
    for index in &gate.expired {
        if let Some(entry) = allowlist.get(*index) {
            let _ = writeln!(
                out,
                "  images.allowlist[{index}] ({}) expired on {} (owner {}); review it and renew or remove it",
                entry.cve, entry.expires, entry.owner
            );
        }
    }
    for index in &gate.stale {
        if let Some(entry) = allowlist.get(*index) {
            let _ = writeln!(
                out,
                "  images.allowlist[{index}] ({}) matches no finding (stale); remove it",
                entry.cve
            );
        }
    }
    for image in &scan.unscanned {
        let _ = writeln!(
            out,
            "  {image}: not scanned (not in an ECR private registry; see `images.pull_through_cache`)"
        );
    }
}

/// SARIF 2.1.0 of the vulnerabilities: one run, one rule per vulnerability ID, one result per finding, located
/// at the environment file; allowlisted findings carry an `external` suppression with the entry's reason.
pub fn sarif(report: &ImagesReport) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for item in &report.environments {
        let Some(scan) = &item.scan else { continue };
        let allowlist = &item.environment.environment.images.allowlist;
        for finding in &scan.gate.findings {
            let v = &finding.vulnerability;
            let index = match rule_ids.iter().position(|id| *id == v.cve) {
                Some(index) => index,
                None => {
                    rule_ids.push(v.cve.clone());
                    let mut rule = json!({
                        "id": v.cve,
                        "shortDescription": {"text": if v.title.is_empty() { v.cve.clone() } else { v.title.clone() }},
                        "properties": {"tags": ["security", "vulnerability", "container"]},
                    });
                    if let Some(url) = &v.url {
                        rule["helpUri"] = json!(url);
                    }
                    rules.push(rule);
                    rule_ids.len() - 1
                }
            };
            let level = if finding.blocking {
                "error"
            } else if finding.allowed_by.is_some() {
                "note"
            } else {
                "warning"
            };
            let mut result = json!({
                "ruleId": v.cve,
                "ruleIndex": index,
                "level": level,
                "message": {"text": format!(
                    "{} {}: {} {} (fixed in {}) in `{}`",
                    v.severity.as_str(), v.cve, v.package, v.installed_version, fix_cell(&v.fixed), v.image
                )},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": item.environment.path},
                        "region": {"startLine": 1},
                    },
                    "logicalLocations": [{"name": v.image, "kind": "module", "fullyQualifiedName": format!("{}/{}", item.environment.name, v.image)}],
                }],
                "partialFingerprints": {"omrsGitops/v1": format!("{}|{}|{}|{}", item.environment.name, v.image, v.cve, v.package)},
                "properties": {"severity": v.severity.as_str(), "package": v.package, "installedVersion": v.installed_version, "fixedVersion": fixed_version(&v.fixed)},
            });
            if let Some(entry) = finding.allowed_by.and_then(|index| allowlist.get(index)) {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": format!("{} (owner {}, until {})", entry.reason, entry.owner, entry.expires),
                }]);
            }
            results.push(result);
        }
    }
    super::sarif_log(rules, results)
}

/// Markdown for the pull request: per environment, the gate's verdict, the findings by image and severity,
/// expired and stale allowlist entries and unscanned images. New and fixed vulnerabilities against the base
/// branch are in `plan`'s report (`report::plan`), which knows the base.
pub fn markdown(report: &ImagesReport) -> String {
    let mut out = String::from("## Container images\n\n");
    for item in &report.environments {
        let _ = writeln!(
            out,
            "### `{}` ({} images)\n",
            markdown_cell(&item.environment.name),
            item.images.len()
        );
        let _ = writeln!(out, "| Image | Digest |\n|---|---|");
        for image in &item.images {
            let _ = writeln!(
                out,
                "| `{}` | `{}` |",
                markdown_cell(&image.written),
                markdown_cell(report.digest(image).unwrap_or("-"))
            );
        }
        out.push('\n');
        let Some(scan) = &item.scan else {
            let _ = writeln!(
                out,
                "No vulnerability scan (`images.scan: none` or `--offline`).\n"
            );
            continue;
        };
        scan_markdown(
            &mut out,
            scan,
            &item.environment.environment.images.allowlist,
        );
    }
    out
}

/// The gate's verdict, the findings by image and severity, and the allowlist and unscanned-image notes.
pub fn scan_markdown(out: &mut String, scan: &EnvironmentScan, allowlist: &[AllowlistEntry]) {
    let gate = &scan.gate;
    let _ = writeln!(
        out,
        "**Vulnerability gate ({}): {}**: {} findings, {} blocking.\n",
        mode_name(scan),
        if gate.passed() { "passed" } else { "FAILED" },
        gate.findings.len(),
        gate.blocking()
    );
    if !gate.findings.is_empty() {
        findings_table(out, by_image(scan));
        out.push('\n');
    }
    for index in &gate.expired {
        if let Some(entry) = allowlist.get(*index) {
            let _ = writeln!(
                out,
                "> **Expired allowlist entry** `images.allowlist[{index}]` ({}) expired on {} (owner {}).\n",
                markdown_cell(&entry.cve),
                markdown_cell(&entry.expires),
                markdown_cell(&entry.owner)
            );
        }
    }
    for index in &gate.stale {
        if let Some(entry) = allowlist.get(*index) {
            let _ = writeln!(
                out,
                "> Stale allowlist entry `images.allowlist[{index}]` ({}) matches no finding.\n",
                markdown_cell(&entry.cve)
            );
        }
    }
    for image in &scan.unscanned {
        let _ = writeln!(
            out,
            "> `{}` is not scanned: it is not in an ECR private registry.\n",
            markdown_cell(image)
        );
    }
}

/// Vulnerabilities as a Markdown table: image, severity, CVE (linked), package, installed and fixed versions,
/// and whether the gate blocks or an allowlist entry accepts it.
pub fn findings_table<'a>(out: &mut String, findings: impl IntoIterator<Item = &'a GatedFinding>) {
    let _ = writeln!(
        out,
        "| Image | Severity | CVE | Package | Installed | Fixed in | Status |\n|---|---|---|---|---|---|---|"
    );
    for finding in findings {
        let v = &finding.vulnerability;
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            markdown_cell(&v.image),
            v.severity.as_str(),
            cve_cell(v),
            markdown_cell(&v.package),
            markdown_cell(&v.installed_version),
            markdown_cell(&fix_cell(&v.fixed)),
            status_cell(finding)
        );
    }
}

/// A vulnerability ID, linked to its advisory when the scanner gives an https URL.
pub fn cve_cell(v: &crate::images::scan::Vulnerability) -> String {
    match &v.url {
        Some(url) if url.starts_with("https://") => format!(
            "[{}]({})",
            markdown_cell(&v.cve),
            url.replace(')', "%29").replace(' ', "%20")
        ),
        _ => markdown_cell(&v.cve),
    }
}

/// Left-aligned columns, two spaces apart, indented by two.
pub(crate) fn table<const N: usize>(out: &mut String, header: &[&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut line = |cells: Vec<&str>| {
        let mut text = String::from("  ");
        for (index, cell) in cells.iter().enumerate() {
            if index + 1 == N {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[index]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
