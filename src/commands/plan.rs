//! `omrs-gitops plan [ENV...] --offline`: validate, render and diff against the base, as a pull-request report.

use super::{unsupported, write_out, Out};
use crate::cli::{Format, PlanArgs};
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::offline_plan;
use crate::report::plan;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    args: &PlanArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if !args.offline {
        return Err(Failure::bad_input(
            "`plan` against AWS is not available yet; run `plan --offline` (validate, render and diff without network)",
        ));
    }
    let result = offline_plan(source, root, &args.environments, &args.base)?;
    let text = match args.format {
        Format::Markdown => plan::markdown(&result, "omrs-gitops plan (offline)"),
        Format::Json => plan::json(&result),
        Format::Text => plan::text(&result),
        other => return Err(unsupported("plan", other, "markdown, json, text")),
    };
    write_out(out, &text)?;
    Ok(ExitStatus::Success)
}
