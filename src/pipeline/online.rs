//! The stages that reach CloudFormation, run on one tokio runtime: change sets for every environment in parallel
//! (one failure does not hide the others), `apply` for one environment.

use std::path::Path;

use super::changeset::{
    apply_change_set, plan_change_set, ApplyInput, ApplyOutcome, ChangeSetPlan, PlanInput, Poll,
};
use super::changeset::{artifact_key, change_set_name, described_sha256};
use super::images::reviewed_digests;
use super::redact::Redactor;
use crate::cloud::{connect, ArtifactStore, AwsSettings, CloudFormationApi, StackEvent};
use crate::config::NamedEnvironment;
use crate::exit::Failure;
use crate::images::collect;
use crate::render::{render_pinned, sha256_hex, Rendered};
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

fn bucket_of(environment: &NamedEnvironment) -> Result<String, Failure> {
    environment
        .environment
        .deploy
        .artifact_bucket
        .clone()
        .ok_or_else(|| {
            Failure::bad_input(format!(
                "{}: `deploy.artifact_bucket` is not set; name an S3 bucket in {} that the deploy role can write, for the templates change sets are created from (or run `plan --offline`)",
                environment.path, environment.environment.stack.region
            ))
        })
}

/// Plans a change set for every `(environment, template)` pair in parallel, bound to `commit`: one
/// environment's failure is its own result and does not hide the others'. The results are in input order.
pub fn plan_change_sets(
    items: &[(&NamedEnvironment, &Rendered)],
    commit: &str,
    settings: &AwsSettings,
) -> Result<Vec<EnvironmentChangeSet>, Failure> {
    let mut results: Vec<EnvironmentChangeSet> = items
        .iter()
        .map(|(environment, rendered)| EnvironmentChangeSet {
            name: environment.name.clone(),
            stack: environment.environment.stack.name.clone(),
            region: environment.environment.stack.region.clone(),
            sha256: rendered.sha256.clone(),
            result: Err(Failure::service("not planned")),
        })
        .collect();
    let runtime = runtime()?;
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (environment, rendered)) in items.iter().enumerate() {
            let stack = &environment.environment.stack;
            let bucket = match bucket_of(environment) {
                Ok(bucket) => bucket,
                Err(failure) => {
                    if let Some(slot) = results.get_mut(index) {
                        slot.result = Err(failure);
                    }
                    continue;
                }
            };
            let input = PlanInput {
                environment: environment.name.clone(),
                stack: stack.name.clone(),
                region: stack.region.clone(),
                bucket,
                tags: stack.tags.clone(),
                template: rendered.json.clone(),
                sha256: rendered.sha256.clone(),
                commit: commit.to_owned(),
                redactor: Redactor::for_template(&rendered.document),
                allow_replacement: environment.environment.deploy.allow_replacement.clone(),
                role_arn: environment
                    .environment
                    .deploy
                    .cloudformation_role_arn
                    .clone(),
                poll: Poll::minutes(environment.environment.deploy.timeout_minutes),
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
                    if let Some(slot) = results.get_mut(index) {
                        slot.result = result;
                    }
                }
                Err(error) => tracing::error!(%error, "a plan task panicked"),
            }
        }
    });
    Ok(results)
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
        poll: Poll::minutes(item.environment.environment.deploy.timeout_minutes),
    };
    let runtime = runtime()?;
    let (sha256, outcome) = runtime.block_on(async {
        let clients = connect(settings, &stack.region).await;
        let mut input = input;
        let pin = item.environment.environment.images.pin;
        let mut unmatched_pin = false;
        if pin {
            match reviewed_pinned(&clients.cloudformation, &clients.artifacts, &item, &commit).await
            {
                Some(pinned) => {
                    input.sha256 = pinned.sha256;
                    input.redactor = Redactor::for_template(&pinned.document);
                }
                None => unmatched_pin = true,
            }
        }
        let sha256 = input.sha256.clone();
        apply_change_set(&clients.cloudformation, input, on_event)
            .await
            .map(|outcome| (sha256, outcome))
            .map_err(|mut failure| {
                if unmatched_pin && failure.status == crate::exit::ExitStatus::GateFailed {
                    failure.message.push_str("; with `images.pin`, apply reads the reviewed digests back from the planned template in `deploy.artifact_bucket`, and no planned template there renders at this commit");
                }
                failure
            })
    })?;
    Ok(ApplyReport {
        name: item.environment.name,
        stack: stack.name,
        commit,
        sha256,
        outcome,
    })
}

/// With `images.pin`, the planned template runs the digests resolved at plan time, which the commit does not
/// record. Reads each candidate change set's template back from the artifact bucket (the commit's change sets
/// first; the object must hash to the SHA-256 the change set names), takes its digests, and renders the
/// environment at the commit with them: the first that reproduces the planned SHA-256 is what was reviewed.
/// `None` when none does (apply then refuses, as for any template that was not planned). No registry is asked:
/// a tag that moved since the plan does not change what is applied.
async fn reviewed_pinned<C: CloudFormationApi, A: ArtifactStore>(
    cloudformation: &C,
    artifacts: &A,
    item: &RenderedEnvironment,
    commit: &str,
) -> Option<Rendered> {
    let environment = &item.environment.environment;
    let bucket = environment.deploy.artifact_bucket.as_deref()?;
    let stack = environment.stack.name.as_str();
    let unpinned = collect(&item.rendered.document).ok()?;
    let prefix = change_set_name(commit, "");
    let mut summaries = cloudformation.list_change_sets(stack).await.ok()?;
    summaries.retain(|summary| {
        summary
            .stack_name
            .as_deref()
            .is_none_or(|name| name == stack)
    });
    summaries.sort_by_key(|summary| !summary.name.starts_with(&prefix));
    for summary in summaries {
        let Some(sha256) = summary.description.as_deref().and_then(described_sha256) else {
            continue;
        };
        let Ok(Some(body)) = artifacts.get(bucket, &artifact_key(stack, sha256)).await else {
            continue;
        };
        if sha256_hex(&body) != sha256 {
            tracing::warn!(stack, sha256, "the artifact bucket's template does not hash to what its change set names; ignored");
            continue;
        }
        let Some(planned) = serde_json::from_slice(&body)
            .ok()
            .and_then(|document| collect(&document).ok())
        else {
            continue;
        };
        let digests = reviewed_digests(&unpinned, &planned);
        if let Ok(rendered) =
            render_pinned(&item.environment.name, environment, &item.set, &digests)
        {
            if rendered.sha256 == sha256 {
                return Some(rendered);
            }
        }
    }
    None
}
