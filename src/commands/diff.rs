//! `omrs-gitops diff [ENV...] --base REF`: structural diff of rendered templates, base commit vs work tree.

use super::{unsupported, write_out, Out};
use crate::cli::{DiffArgs, Format};
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::compare;
use crate::report::diff as writers;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    args: &DiffArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    let result = compare(source, root, &args.envs.environments, &args.base)?;
    let text = match args.envs.format {
        Format::Text => writers::text(&result),
        Format::Json => writers::json(&result),
        Format::Markdown => writers::markdown(&result, "omrs-gitops diff"),
        other => return Err(unsupported("diff", other, "text, json, markdown")),
    };
    write_out(out, &text)?;
    Ok(ExitStatus::Success)
}
