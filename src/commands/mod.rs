//! One file per subcommand. Each turns parsed flags into calls on the core modules and writes the result; none
//! holds logic of its own beyond that.

pub mod apply;
pub mod changed;
pub mod check;
pub mod diff;
pub mod drift;
pub mod images;
pub mod import_cdk_json;
pub mod plan;
pub mod render;
pub mod schema;
pub mod validate;

use std::io::Write;

use crate::cli::Format;
use crate::exit::Failure;

/// Where a command writes its data (stdout in the binary, a buffer in tests).
pub type Out<'a> = &'a mut dyn Write;

pub(crate) fn write_out(out: Out<'_>, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .map_err(|error| Failure::service(format!("cannot write output: {error}")))
}

pub(crate) fn unsupported(command: &str, format: Format, supported: &str) -> Failure {
    Failure::bad_input(format!(
        "`{command}` cannot write `--format {}`; use one of: {supported}",
        format_name(format)
    ))
}

pub(crate) fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Json => "json",
        Format::Markdown => "markdown",
        Format::Sarif => "sarif",
        Format::Csv => "csv",
    }
}
