//! `omrs-gitops plan [ENV...]`: everything a reviewer needs, per environment, compared with `--base`. With
//! `--offline`, no network: render, check, list images and diff. Without: also digests, vulnerability scans and a
//! CloudFormation change set per environment, in parallel.

use super::check::{check_options, today};
use super::images::{aws_for_images, resolver};
use super::{unsupported, write_out, Out};
use crate::cli::{CompatArg, Format, GlobalArgs, PlanArgs};
use crate::cloud::AwsSettings;
use crate::exit::{ExitStatus, Failure};
use crate::images::scan::{EcrBasic, Inspector, SystemClock};
use crate::pipeline::images::ScanSettings;
use crate::pipeline::review::{review, Online, PlanOptions};
use crate::report::plan;
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
            commit: args.commit.clone(),
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
    Ok(result.status())
}
