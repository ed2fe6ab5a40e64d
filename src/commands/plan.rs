//! `omrs-gitops plan [ENV...]`: with `--offline`, validate, render and diff against the base; without, a
//! CloudFormation change set per environment (in parallel) as a pull-request report.

use super::{unsupported, write_out, Out};
use crate::cli::{Format, GlobalArgs, PlanArgs};
use crate::cloud::AwsSettings;
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::offline_plan;
use crate::pipeline::online::online_plan;
use crate::report::{deploy, plan};
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    global: &GlobalArgs,
    args: &PlanArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if !args.offline {
        if !matches!(args.format, Format::Markdown | Format::Json | Format::Text) {
            return Err(unsupported("plan", args.format, "markdown, json, text"));
        }
        let settings = AwsSettings {
            endpoint_url: global.aws_endpoint_url.clone(),
        };
        let result = online_plan(
            source,
            root,
            &args.environments,
            args.commit.as_deref(),
            &settings,
        )?;
        let text = match args.format {
            Format::Json => deploy::plan_json(&result),
            Format::Text => deploy::plan_text(&result),
            _ => deploy::plan_markdown(&result),
        };
        write_out(out, &text)?;
        return Ok(result.status());
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
