//! `omrs-gitops plan [ENV...]`: everything a reviewer needs, per environment, compared with `--base`. With
//! `--offline`, no network: render, check, list images and diff. Without: also digests, vulnerability scans and a
//! CloudFormation change set per environment, in parallel. With `--comment`, one sticky pull-request comment per
//! environment; in GitHub Actions, the report in the job summary and annotations for the findings.

use super::check::{check_options, today};
use super::images::{aws_for_images, resolver};
use super::{unsupported, write_out, Out};
use crate::cli::{CompatArg, Format, GlobalArgs, PlanArgs};
use crate::cloud::AwsSettings;
use crate::exit::{ExitStatus, Failure};
use crate::github::actions::{append_step_summary, write_workflow_commands, ActionsContext};
use crate::github::sticky::sync_sticky;
use crate::github::{connect, GitHubError};
use crate::images::scan::{EcrBasic, Inspector, SystemClock};
use crate::pipeline::check::CheckReport;
use crate::pipeline::images::ScanSettings;
use crate::pipeline::review::{review, Online, PlanOptions};
use crate::report::plan;
use crate::report::workflow::check_annotations;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    global: &GlobalArgs,
    args: &PlanArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if !matches!(args.format, Format::Markdown | Format::Json | Format::Text) {
        return Err(unsupported("plan", args.format, "markdown, json, text"));
    }
    let context = ActionsContext::from_process(&args.github)?;
    // GitHub first: a missing pull request, a bad token or a missing permission fails before any AWS work.
    let github = if args.comment {
        let number = context.pull_request("plan --comment")?;
        let settings = context.settings(&global.github_api_url, "plan --comment")?;
        let runtime = crate::pipeline::online::runtime()?;
        let api = runtime.block_on(async { connect(&settings) })?;
        Some((runtime, api, number))
    } else {
        None
    };
    let options = PlanOptions {
        base: &args.base,
        check: check_options(&args.packs, CompatArg::Improved, args.fail_on)?,
    };
    let result = if args.offline {
        review(source, root, &args.environments, &options, None)?
    } else {
        let aws = aws_for_images(global)?;
        let resolver = resolver(&aws, &args.registry_endpoints)?;
        let inspector = Inspector {
            ecr: &aws,
            api: &aws,
        };
        let ecr_basic = EcrBasic { api: &aws };
        let mut clock = SystemClock::start();
        let online = Online {
            commit: args.commit.clone().or_else(|| context.head_sha.clone()),
            aws: AwsSettings {
                endpoint_url: global.aws_endpoint_url.clone(),
            },
            resolver: &resolver,
            scan: ScanSettings {
                inspector: &inspector,
                ecr_basic: &ecr_basic,
                ignore_unfixed: args.ignore_unfixed,
                today: today()?,
            },
            clock: &mut clock,
        };
        review(source, root, &args.environments, &options, Some(online))?
    };
    let text = match args.format {
        Format::Json => plan::json(&result),
        Format::Text => plan::text(&result),
        _ => plan::markdown(&result),
    };
    write_out(out, &text)?;
    if context.in_actions {
        let checks = CheckReport {
            templates: result
                .environments
                .iter()
                .map(|item| item.compliance.checked.clone())
                .collect(),
            fail_on: options.check.fail_on,
        };
        write_workflow_commands(&check_annotations(&checks))?;
    }
    if let Some(path) = &context.step_summary {
        append_step_summary(path, &plan::markdown(&result))?;
    }
    if let Some((runtime, api, number)) = github {
        runtime.block_on(async {
            for item in &result.environments {
                let body = plan::environment_markdown(&result, item);
                sync_sticky(&api, number, "plan", item.name(), &body).await?;
            }
            Ok::<_, GitHubError>(())
        })?;
    }
    Ok(result.status())
}
