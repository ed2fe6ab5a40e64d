//! `omrs-gitops apply ENV`: execute the reviewed change set, streaming stack events to stderr.

use super::{unsupported, write_out, Out};
use crate::cli::{ApplyArgs, Format, GlobalArgs};
use crate::cloud::AwsSettings;
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::online::online_apply;
use crate::report::deploy;
use crate::source::Source;

pub fn run(
    source: &dyn Source,
    root: &std::path::Path,
    global: &GlobalArgs,
    args: &ApplyArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if !matches!(args.format, Format::Markdown | Format::Json | Format::Text) {
        return Err(unsupported("apply", args.format, "text, json, markdown"));
    }
    let settings = AwsSettings {
        endpoint_url: global.aws_endpoint_url.clone(),
    };
    let quiet = global.quiet;
    let mut stream = |event: &crate::cloud::StackEvent| {
        if !quiet {
            #[allow(
                clippy::print_stderr,
                reason = "stack events stream to stderr as they happen"
            )]
            {
                eprintln!("{}", deploy::event_line(event));
            }
        }
    };
    let report = online_apply(
        source,
        root,
        &args.environment,
        args.commit.as_deref(),
        args.delete_rolled_back_stack,
        &settings,
        &mut stream,
    )?;
    write_out(out, &deploy::apply(&report, args.format))?;
    Ok(if report.outcome.succeeded() {
        ExitStatus::Success
    } else if report.outcome.deleted_rolled_back_stack {
        ExitStatus::GateFailed
    } else {
        ExitStatus::ServiceFailed
    })
}
