//! `omrs-gitops drift [ENV...] [--issue]`: detect drift of every stack, filter known drift, exit 1 when real drift
//! remains; with `--issue`, keep one GitHub issue per drifted stack; in GitHub Actions, append the Markdown report
//! to the job summary.

use std::io::Write;

use super::{unsupported, write_out, Out};
use crate::cli::{DriftArgs, Format, GlobalArgs};
use crate::cloud::AwsSettings;
use crate::exit::{ExitStatus, Failure};
use crate::github::actions::{append_step_summary, ActionsContext};
use crate::github::drift_issue::{open_drift_issues, sync_drift_issues};
use crate::github::{connect, GitHubError};
use crate::pipeline::drift::online_drift;
use crate::report::deploy;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    global: &GlobalArgs,
    args: &DriftArgs,
    out: Out<'_>,
    err: &mut dyn Write,
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
    let context = ActionsContext::from_process(&args.github)?;
    // GitHub first: a bad token or a missing permission fails in seconds, not after the detection.
    let github = if args.issue {
        let settings = context.settings(&global.github_api_url, "drift --issue")?;
        let runtime = crate::pipeline::online::runtime()?;
        let (api, open) = runtime.block_on(async {
            let api = connect(&settings)?;
            let open = open_drift_issues(&api).await?;
            Ok::<_, GitHubError>((api, open))
        })?;
        Some((runtime, api, open))
    } else {
        None
    };
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
    if let Some(path) = &context.step_summary {
        append_step_summary(path, &deploy::drift(&report, Format::Markdown))?;
    }
    if let Some((runtime, api, open)) = github {
        let sync = runtime.block_on(sync_drift_issues(&api, &open, &report));
        for outcome in &sync.outcomes {
            let _ = writeln!(err, "{outcome}");
        }
        if let Some(error) = sync.failure {
            return Err(error.into());
        }
    }
    Ok(report.status())
}
