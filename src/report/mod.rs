//! Every output shape lives here: text, Markdown and JSON writers for plans and diffs. Core types carry no
//! `Serialize` for output's sake; the writers build their own shapes so a core change cannot silently change
//! `--format json`.

pub mod check;
pub mod deploy;
pub mod images;
pub mod plan;

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
