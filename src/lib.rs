//! omrs-gitops: GitOps for OpenMRS on AWS ECS Fargate.
//!
//! Each subcommand is a thin wrapper (in `commands`) around the core modules: `config` reads environment files,
//! `render` turns them into CloudFormation, `diff` compares rendered templates, `pipeline` composes these into
//! the plan stages, and `report` writes every output format.
//!
//! # File overview
//!
//! - `pipelines/*.yaml` is read by `config` (through `workspace` and a `source::Source`).
//! - `templates/<set>/*.json.j2` and `templates/<set>/lambda/*.py` are read by `render`.
//! - Git objects at a base reference are read by `source::GitSource` for `diff` and `plan`; the work tree is
//!   never modified.
//! - `GITHUB_EVENT_PATH` (the pull request number and head commit) is read by `github::actions`, which also
//!   appends to `GITHUB_STEP_SUMMARY`; `GITHUB_ACTIONS=true` turns on annotations and `::add-mask::` lines.
//! - Nothing else is read; no network connection is opened by the offline commands.

pub mod cli;
pub mod cloud;
pub mod commands;
pub mod config;
pub mod diff;
pub mod exit;
pub mod github;
pub mod images;
pub mod import;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod rules;
pub mod source;
pub mod template;
pub mod workspace;

use std::io::Write;

use cli::{Cli, Command};
use exit::{ExitStatus, Failure};
use source::DiskSource;

/// Runs a parsed command line, writing data to `out` and errors to `err`. Returns the exit status.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    match dispatch(cli, out, err) {
        Ok(status) => status,
        Err(failure) => {
            for line in failure.message.lines() {
                let _ = writeln!(err, "error: {line}");
            }
            failure.status
        }
    }
}

fn dispatch(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitStatus, Failure> {
    let root = &cli.global.root;
    let source = DiskSource::new(root);
    match &cli.command {
        Command::Validate(args) => commands::validate::run(&source, args, out),
        Command::Render(args) => commands::render::run(&source, args, out),
        Command::Diff(args) => commands::diff::run(&source, root, args, out),
        Command::Changed(args) => commands::changed::run(&source, root, args, out),
        Command::Plan(args) => commands::plan::run(&source, root, &cli.global, args, out),
        Command::Check(args) => commands::check::run(&source, args, out),
        Command::Images(args) => commands::images::run(&source, &cli.global, args, out),
        Command::Drift(args) => commands::drift::run(&source, root, &cli.global, args, out, err),
        Command::Apply(args) => commands::apply::run(&source, root, &cli.global, args, out),
        Command::Schema => commands::schema::run(out),
        Command::ImportCdkJson(args) => commands::import_cdk_json::run(args, out),
    }
}
