//! Every output shape lives here: text, Markdown and JSON writers for plans and diffs, and the GitHub Actions
//! workflow commands (annotations, masks) in `workflow`. Core types carry no
//! `Serialize` for output's sake; the writers build their own shapes so a core change cannot silently change
//! `--format json`.

pub mod changed;
pub mod check;
pub mod deploy;
pub mod diff;
pub mod images;
pub mod plan;
pub mod workflow;

/// Renders a JSON value compactly on one line, cut at `limit` characters.
pub fn compact(value: &serde_json::Value, limit: usize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    if text.chars().count() <= limit {
        text
    } else {
        let mut cut: String = text.chars().take(limit).collect();
        cut.push('…');
        cut
    }
}

/// Makes text safe inside a Markdown table cell and code span.
pub fn markdown_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

/// The URI of the official SARIF 2.1.0 schema, named by every SARIF document we write.
pub(crate) const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF 2.1.0 log with one run of omrs-gitops: the envelope every SARIF writer shares, around its `rules`
/// (reporting descriptors) and `results`. Pretty JSON with a trailing newline.
pub(crate) fn sarif_log(rules: Vec<serde_json::Value>, results: Vec<serde_json::Value>) -> String {
    let document = serde_json::json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "omrs-gitops",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://openmrs.org",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}
