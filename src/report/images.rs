//! Writers for `images` results.
//!
//! # JSON wire format (`--format json`, version 1)
//!
//! ```text
//! {"version": 1,
//!  "environments": [{"name", "path", "pinned_template": {"sha256"}|null (with `images.pin`, once resolved),
//!    "images": [{"image", "registry", "repository", "tag"|null,
//!                "digest"|null (written or resolved; null with `--offline` when the reference has none),
//!                "uses": [{"task_definition", "container"}]}]}]}
//! ```
//! Images are in order of first use in the template. Fields are only ever added within a version.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::pipeline::images::ImagesReport;

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
    let document = json!({"version": 1, "environments": environments});
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
    }
    out
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
