//! The stages that reach AWS, run on one tokio runtime: `plan` for every environment in parallel (one failure does
//! not hide the others), `apply` for one environment.

use std::path::Path;

use super::changeset::{
    apply_change_set, plan_change_set, ApplyInput, ApplyOutcome, ChangeSetPlan, PlanInput, Poll,
};
use super::redact::Redactor;
use crate::cloud::{connect, AwsSettings, StackEvent};
use crate::exit::{ExitStatus, Failure};
use crate::source::{GitSource, Source};
use crate::workspace::{load_all, render_all, resolve, RenderedEnvironment};

/// One environment's result of `plan`.
#[derive(Debug)]
pub struct EnvironmentChangeSet {
    pub name: String,
    pub stack: String,
    pub region: String,
    pub sha256: String,
    pub result: Result<ChangeSetPlan, Failure>,
}

/// The online plan of every environment.
#[derive(Debug)]
pub struct OnlinePlan {
    pub commit: String,
    pub environments: Vec<EnvironmentChangeSet>,
}

impl OnlinePlan {
    /// Success, or the most severe failure: a service failure, then bad input, then a refusal.
    pub fn status(&self) -> ExitStatus {
        let statuses: Vec<ExitStatus> = self
            .environments
            .iter()
            .filter_map(|item| item.result.as_ref().err().map(|failure| failure.status))
            .collect();
        [
            ExitStatus::ServiceFailed,
            ExitStatus::BadInput,
            ExitStatus::GateFailed,
        ]
        .into_iter()
        .find(|status| statuses.contains(status))
        .unwrap_or(ExitStatus::Success)
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .map_err(|error| Failure::service(format!("cannot start the async runtime: {error}")))
}

/// The commit to bind to: the flag (or `GITHUB_SHA`), else the repository's HEAD.
pub fn resolve_commit(root: &Path, given: Option<&str>) -> Result<String, Failure> {
    if let Some(commit) = given.filter(|commit| !commit.trim().is_empty()) {
        return Ok(commit.trim().to_owned());
    }
    GitSource::open(root, "HEAD")
        .map(|source| source.commit().to_owned())
        .map_err(|error| {
            Failure::bad_input(format!(
                "{error}; pass `--commit SHA` (or set GITHUB_SHA) to name the commit the change set is bound to"
            ))
        })
}

fn poll_for(item: &RenderedEnvironment) -> Poll {
    Poll::minutes(item.environment.environment.deploy.timeout_minutes)
}

fn bucket_of(item: &RenderedEnvironment) -> Result<String, Failure> {
    item.environment
        .environment
        .deploy
        .artifact_bucket
        .clone()
        .ok_or_else(|| {
            Failure::bad_input(format!(
                "{}: `deploy.artifact_bucket` is not set; name an S3 bucket in {} that the deploy role can write, for the templates change sets are created from (or run `plan --offline`)",
                item.environment.path, item.environment.environment.stack.region
            ))
        })
}

/// Renders the work tree and plans a change set for every environment, in parallel.
pub fn online_plan(
    source: &dyn Source,
    root: &Path,
    arguments: &[String],
    commit: Option<&str>,
    settings: &AwsSettings,
) -> Result<OnlinePlan, Failure> {
    let refs = resolve(source, arguments)?;
    let rendered = render_all(source, load_all(source, &refs)?)?;
    let commit = resolve_commit(root, commit)?;
    let runtime = runtime()?;
    let environments = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        let mut results: Vec<Option<EnvironmentChangeSet>> = Vec::new();
        for (index, item) in rendered.iter().enumerate() {
            let stack = &item.environment.environment.stack;
            results.push(Some(EnvironmentChangeSet {
                name: item.environment.name.clone(),
                stack: stack.name.clone(),
                region: stack.region.clone(),
                sha256: item.rendered.sha256.clone(),
                result: Err(Failure::service("not planned")),
            }));
            let bucket = match bucket_of(item) {
                Ok(bucket) => bucket,
                Err(failure) => {
                    if let Some(Some(slot)) = results.get_mut(index) {
                        slot.result = Err(failure);
                    }
                    continue;
                }
            };
            let input = PlanInput {
                environment: item.environment.name.clone(),
                stack: stack.name.clone(),
                region: stack.region.clone(),
                bucket,
                tags: stack.tags.clone(),
                template: item.rendered.json.clone(),
                sha256: item.rendered.sha256.clone(),
                commit: commit.clone(),
                redactor: Redactor::for_template(&item.rendered.document),
                allow_replacement: item
                    .environment
                    .environment
                    .deploy
                    .allow_replacement
                    .clone(),
                poll: poll_for(item),
            };
            let settings = settings.clone();
            tasks.spawn(async move {
                let clients = connect(&settings, &input.region).await;
                let result =
                    plan_change_set(&clients.cloudformation, &clients.artifacts, input).await;
                (index, result)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, result)) => {
                    if let Some(Some(slot)) = results.get_mut(index) {
                        slot.result = result;
                    }
                }
                Err(error) => tracing::error!(%error, "a plan task panicked"),
            }
        }
        results.into_iter().flatten().collect::<Vec<_>>()
    });
    Ok(OnlinePlan {
        commit,
        environments,
    })
}

/// The result of `apply` for one environment.
#[derive(Debug)]
pub struct ApplyReport {
    pub name: String,
    pub stack: String,
    pub commit: String,
    pub sha256: String,
    pub outcome: ApplyOutcome,
}

/// Renders `argument` at `commit` (from git when the commit is in the repository, else the work tree), finds
/// the reviewed change set and applies it. `on_event` sees events as they happen.
pub fn online_apply(
    work_tree: &dyn Source,
    root: &Path,
    argument: &str,
    commit: Option<&str>,
    delete_rolled_back_stack: bool,
    settings: &AwsSettings,
    on_event: &mut (dyn FnMut(&StackEvent) + Send),
) -> Result<ApplyReport, Failure> {
    let commit = resolve_commit(root, commit)?;
    let at_commit = GitSource::open(root, &commit).ok();
    let source: &dyn Source = match &at_commit {
        Some(git) => git,
        None => work_tree,
    };
    let refs = resolve(source, &[argument.to_owned()])?;
    let mut rendered = render_all(source, load_all(source, &refs)?)?;
    if rendered.len() != 1 {
        return Err(Failure::bad_input(
            "`apply` takes exactly one environment; name it",
        ));
    }
    let item = rendered.remove(0);
    let stack = item.environment.environment.stack.clone();
    let input = ApplyInput {
        environment: item.environment.name.clone(),
        stack: stack.name.clone(),
        commit: commit.clone(),
        sha256: item.rendered.sha256.clone(),
        redactor: Redactor::for_template(&item.rendered.document),
        allow_replacement: item
            .environment
            .environment
            .deploy
            .allow_replacement
            .clone(),
        delete_rolled_back_stack,
        poll: poll_for(&item),
    };
    let runtime = runtime()?;
    let outcome = runtime.block_on(async {
        let clients = connect(settings, &stack.region).await;
        apply_change_set(&clients.cloudformation, input, on_event).await
    })?;
    Ok(ApplyReport {
        name: item.environment.name,
        stack: stack.name,
        commit,
        sha256: item.rendered.sha256,
        outcome,
    })
}
