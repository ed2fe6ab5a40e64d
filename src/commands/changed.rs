//! `omrs-gitops changed --base REF`: the environments whose rendered template differs from the one at the base,
//! for a workflow's matrix. Built on the offline plan; it renders and compares nothing itself.

use super::{unsupported, write_out, Out};
use crate::cli::{ChangedArgs, Format};
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::offline_plan;
use crate::report::changed;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    args: &ChangedArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if !matches!(args.envs.format, Format::Text | Format::Json) {
        return Err(unsupported("changed", args.envs.format, "text, json"));
    }
    let plan = offline_plan(source, root, &args.envs.environments, &args.base)?;
    if let Some(problem) = &plan.base_problem {
        tracing::warn!(
            "cannot read `{}` ({problem}): every environment is listed as changed",
            args.base
        );
    }
    let text = match args.envs.format {
        Format::Json => changed::json(&plan),
        _ => changed::text(&plan),
    };
    write_out(out, &text)?;
    Ok(ExitStatus::Success)
}
