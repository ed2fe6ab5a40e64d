//! The command line as typed: clap structs only. Resolution into environments happens in `workspace`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// GitOps for OpenMRS on AWS Fargate: validate environment files, render CloudFormation, and show reviewers
/// exactly what a change does.
///
/// Run from the repository root (the folder holding `pipelines/` and `templates/`), or pass `--root`.
/// Exit codes: 0 success, 1 a gate said no, 2 bad input (nothing was changed), 3 a service failed.
#[derive(Debug, Parser)]
#[command(
    name = "omrs-gitops",
    version,
    propagate_version = true,
    max_term_width = 110
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Repository root holding `pipelines/` and `templates/`.
    #[arg(long, global = true, default_value = ".", env = "OMRS_GITOPS_ROOT")]
    pub root: PathBuf,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// More logging (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Send every AWS call to this endpoint (an emulator such as moto) instead of AWS. Credentials still come
    /// from the standard chain; `AWS_ENDPOINT_URL` has the same effect.
    #[arg(long, global = true, value_name = "URL", env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint_url: Option<String>,
    /// GitHub's REST API root: `https://HOST/api/v3` for GitHub Enterprise Server (which sets `GITHUB_API_URL`),
    /// or a fake in tests.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "GITHUB_API_URL",
        default_value = crate::github::DEFAULT_API_URL
    )]
    pub github_api_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Output formats. Every command takes `--format`; each accepts the formats that make sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Sarif,
    /// cdk-nag's CSV report (`check` only).
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check environment files: types, unknown keys and cross-field rules.
    ///
    /// Every problem in every file is reported, one line each: `file:line:column: what is wrong; what to do`.
    Validate(EnvArgs),
    /// Render CloudFormation templates and print each one's SHA-256.
    ///
    /// With `--out DIR`, writes `DIR/<env>.template.json` (byte-identical across runs). Nothing is written unless
    /// every environment renders.
    Render(RenderArgs),
    /// Structural diff of rendered templates between a git reference and the work tree, by logical ID and
    /// property path. Reads the reference from the object database; the work tree is not touched.
    Diff(DiffArgs),
    /// The environments a change touches: those whose rendered template differs from the one rendered at
    /// `--base`, or that do not exist there. A workflow plans and applies only these.
    ///
    /// When `--base` cannot be read (a first push, a force push, a shallow clone), every environment is listed
    /// and a warning on stderr says why. Text: one name per line. JSON: one line (fit for `$GITHUB_OUTPUT`),
    /// `{"version":1,"base":{...},"environments":[{"environment":"dev",...}]}`; see docs/ci.md.
    Changed(ChangedArgs),
    /// Everything a reviewer needs, per environment, compared with `--base` (default `HEAD~1`).
    ///
    /// `--offline` (no network, no credentials): validate, render, check with the rule packs (findings new and
    /// fixed by the change), list the images (references changed) and diff the templates. Without it, also:
    /// resolve every image digest (and render `images.pin` environments by digest), scan the images with
    /// `images.scan` (vulnerabilities new and fixed), upload each template to `deploy.artifact_bucket` and create
    /// a CloudFormation change set bound to the commit and the template SHA-256, for every environment in
    /// parallel. Exit 1 when a gate says no (compliance, vulnerabilities, a stateful resource apply would refuse),
    /// 2 on bad input, 3 when a service fails; one environment's failure never hides the others' reports.
    Plan(PlanArgs),
    /// Compliance rules (cdk-nag's HIPAA.Security and AwsSolutions packs, and the OpenMRS pack) over rendered
    /// environments or any CloudFormation template.
    ///
    /// Exit 1 when an unsuppressed finding at or above `--fail-on` remains or a suppression has expired.
    /// Suppressions: `Metadata.cdk_nag.rules_to_suppress` in the template, then `suppressions:` in the environment
    /// file. `OMRS_GITOPS_TODAY=YYYY-MM-DD` fixes the day used to expire suppressions.
    Check(CheckArgs),
    /// Every container image the rendered templates run (the OpenMRS service and every helper task), with the
    /// digest each tag resolves to through its registry's HTTP API.
    ///
    /// Docker Hub and other public registries through their anonymous token flow; ECR private registries with
    /// GetAuthorizationToken (standard AWS credential chain). `--offline` lists without resolving.
    /// With `images.scan` in the environment file, the vulnerabilities of each ECR image from Amazon Inspector2
    /// or ECR basic scanning go through the gate (`images.fail_on`, `images.allowlist`, `--ignore-unfixed`).
    /// `OMRS_GITOPS_TODAY=YYYY-MM-DD` fixes the day used to expire allowlist entries.
    /// Exit 1 when the gate fails, 2 when a tag does not exist, 3 when a registry or scan fails or times out.
    Images(ImagesArgs),
    /// Execute the change set planned for the commit being applied, after checking it is still what was reviewed.
    ///
    /// Refuses (exit 1) when no change set matches the commit and its template SHA-256, when the stack changed
    /// since, or when a stateful resource would be replaced or removed without `deploy.allow_replacement`.
    Apply(ApplyArgs),
    /// Detect drift of every environment's stack, leave out `drift.ignore` entries, exit 1 when real drift remains.
    Drift(DriftArgs),
    /// Print the JSON Schema of environment files.
    Schema,
    /// Convert a seed-style `cdk.json` (its `context` block) into an environment file on stdout.
    ImportCdkJson(ImportArgs),
}

/// Which environments to act on.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Environment names (`prod`) or paths (`pipelines/prod.yaml`). None: every file in `pipelines/`.
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// Write `<env>.template.json` files into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// Git reference to compare against: a branch, tag, SHA or expression such as `HEAD~1` or `origin/main`.
    #[arg(long, value_name = "REF")]
    pub base: String,
}

#[derive(Debug, Args)]
pub struct ChangedArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// Git reference the work tree is compared with: `origin/main` on a pull request, the previous commit
    /// (`github.event.before`) on a push.
    #[arg(long, value_name = "REF")]
    pub base: String,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Environment names or paths. None: every file in `pipelines/`.
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Output format; Markdown is what a pull request gets.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Validate, render and diff locally without contacting AWS or GitHub.
    #[arg(long)]
    pub offline: bool,
    /// Git reference the change is compared with.
    #[arg(long, value_name = "REF", default_value = "HEAD~1")]
    pub base: String,
    /// Commit the change set is bound to (default: the pull request's head commit in GitHub Actions, else
    /// `GITHUB_SHA`, else the repository's HEAD).
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Rule pack to run (repeatable). Default: every pack.
    #[arg(long = "pack", value_enum)]
    pub packs: Vec<PackArg>,
    /// The lowest level of unsuppressed compliance finding that blocks the plan (UNKNOWN counts as a warning).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Drop vulnerabilities the scanner says have no fixed version yet before the vulnerability gate.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Speak to a registry at another base URL (repeatable): `REGISTRY=URL` (see `images --help`).
    #[arg(long = "registry-endpoint", value_name = "REGISTRY=URL")]
    pub registry_endpoints: Vec<String>,
    /// Post each environment's report as one comment on the pull request, updated in place on every later run
    /// (found by a hidden marker). Needs the pull request, the repository and a token with `pull-requests: write`
    /// (GitHub Actions provides all three).
    #[arg(long)]
    pub comment: bool,
    #[command(flatten)]
    pub github: GitHubArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// Keep one GitHub issue per stack (label `omrs-gitops-drift`): opened when drift appears, updated while it
    /// lasts, closed with a comment once the stack is back in sync. Needs the repository and a token with
    /// `issues: write`.
    #[arg(long)]
    pub issue: bool,
    #[command(flatten)]
    pub github: GitHubArgs,
}

/// Where on GitHub a report goes. Each flag overrides what the GitHub Actions environment says; outside Actions,
/// pass them by hand.
#[derive(Debug, Clone, Default, Args)]
pub struct GitHubArgs {
    /// Pull request to comment on (default: the pull request of a `pull_request` event, from GITHUB_EVENT_PATH).
    #[arg(long = "pr", value_name = "N")]
    pub pull_request: Option<u64>,
    /// Repository as OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME", env = "GITHUB_REPOSITORY")]
    pub repository: Option<String>,
    /// Head commit of the pull request (default: the event's `pull_request.head.sha`, else GITHUB_SHA, which is
    /// the merge commit on `pull_request` events).
    #[arg(long, value_name = "SHA")]
    pub head_sha: Option<String>,
    /// Token for the GitHub API. Never printed; masked in the Actions log.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GITHUB_TOKEN",
        hide_env_values = true
    )]
    pub github_token: Option<crate::github::Token>,
    /// Append the Markdown report to this file (GitHub Actions' job summary).
    #[arg(long, value_name = "FILE", env = "GITHUB_STEP_SUMMARY")]
    pub step_summary: Option<PathBuf>,
    /// The webhook event that started the workflow, as JSON.
    #[arg(long, value_name = "FILE", env = "GITHUB_EVENT_PATH")]
    pub event_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The environment to apply (a name or a path).
    #[arg(value_name = "ENV")]
    pub environment: String,
    /// The commit being applied (default: `GITHUB_SHA`, else the repository's HEAD). Its template is rendered
    /// from the repository at that commit.
    #[arg(long, value_name = "SHA", env = "GITHUB_SHA")]
    pub commit: Option<String>,
    /// Delete the stack when it is ROLLBACK_COMPLETE after a failed first creation (nothing else is applied).
    #[arg(long)]
    pub delete_rolled_back_stack: bool,
    /// Output format of the final report (events stream to stderr as they happen).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Rule packs on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PackArg {
    HipaaSecurity,
    AwsSolutions,
    Openmrs,
}

/// Verdict mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompatArg {
    /// Resolve the pseudo parameters and parameter defaults the environment fixes before checking.
    Improved,
    /// Reproduce cdk-nag 2.27.223's verdicts exactly, UNKNOWN included.
    CdkNag,
}

/// The lowest level that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Environment names or paths to render and check. None (and no `--template`): every file in `pipelines/`.
    #[arg(value_name = "ENV", conflicts_with = "template")]
    pub environments: Vec<String>,
    /// Check this CloudFormation template (JSON or YAML, short-form tags understood) instead of environments.
    #[arg(long, value_name = "FILE")]
    pub template: Option<std::path::PathBuf>,
    /// Rule pack to run (repeatable). Default: every pack.
    #[arg(long = "pack", value_enum)]
    pub packs: Vec<PackArg>,
    /// Verdict mode.
    #[arg(long, value_enum, default_value_t = CompatArg::Improved)]
    pub compat: CompatArg,
    /// The lowest level of unsuppressed finding that fails the gate (UNKNOWN counts as a warning).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Output format: text (grouped by resource), json, sarif, markdown or csv (cdk-nag's report, one template).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print the rule registry (text or json) and exit.
    #[arg(long)]
    pub list_rules: bool,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Environment names or paths. None: every file in `pipelines/`.
    #[arg(value_name = "ENV")]
    pub environments: Vec<String>,
    /// Output format: text (tables per environment), json, sarif (vulnerabilities, one rule per CVE) or
    /// markdown (for the pull request).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only list the images: resolve no digest, contact no registry and no AWS service (no scan either).
    #[arg(long)]
    pub offline: bool,
    /// Drop vulnerabilities the scanner says have no fixed version yet before the gate.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Write `<env>.template.json` into this folder: rendered with digests for environments with `images.pin`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Speak to a registry at another base URL (repeatable): `REGISTRY=URL`, for example a mirror of an ECR
    /// registry, or a local registry in tests (`123456789012.dkr.ecr.us-east-1.amazonaws.com=http://127.0.0.1:5000`).
    #[arg(long = "registry-endpoint", value_name = "REGISTRY=URL")]
    pub registry_endpoints: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Path of the seed's `cdk.json`.
    #[arg(value_name = "CDK_JSON")]
    pub cdk_json: PathBuf,
    /// Stack name to write (a placeholder otherwise).
    #[arg(long)]
    pub stack_name: Option<String>,
    /// AWS account ID to write (a placeholder otherwise).
    #[arg(long)]
    pub account: Option<String>,
    /// AWS region to write.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}
