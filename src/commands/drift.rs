//! `omrs-gitops drift [ENV...]`: detect drift of every stack, filter known drift, exit 1 when real drift remains.

use super::{unsupported, write_out, Out};
use crate::cli::{DriftArgs, Format, GlobalArgs};
use crate::cloud::AwsSettings;
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::drift::online_drift;
use crate::report::deploy;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    global: &GlobalArgs,
    args: &DriftArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if !matches!(
        args.envs.format,
        Format::Markdown | Format::Json | Format::Text
    ) {
        return Err(unsupported(
            "drift",
            args.envs.format,
            "text, json, markdown",
        ));
    }
    let settings = AwsSettings {
        endpoint_url: global.aws_endpoint_url.clone(),
    };
    let report = online_drift(
        source,
        root,
        &args.envs.environments,
        &settings,
        super::check::today()?,
    )?;
    write_out(out, &deploy::drift(&report, args.envs.format))?;
    Ok(report.status())
}
