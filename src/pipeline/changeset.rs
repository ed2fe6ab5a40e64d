//! The `plan` stage against AWS (upload, change set, wait, read, flag) and the `apply` stage (find the reviewed
//! change set, guard, execute, stream events).
//!
//! Generic over `cloud::CloudFormationApi` and `cloud::ArtifactStore`; every value that leaves this module has
//! been through the `Redactor`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::redact::Redactor;
use crate::cloud::{
    ArtifactStore, ChangeSetInfo, ChangeSetRequest, ChangeSetType, CloudError, CloudFormationApi,
    StackEvent, StackInfo,
};
use crate::exit::{ExitStatus, Failure};

/// Resource types that hold data: replacing or removing them loses it.
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::EFS::FileSystem",
    "AWS::KMS::Key",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::DynamoDB::Table",
];

/// Capabilities every change set is created with: the templates create named IAM roles and may use macros.
pub const CAPABILITIES: &[&str] = &[
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "CAPABILITY_AUTO_EXPAND",
];

/// How to wait for CloudFormation: exponential backoff from `first` up to `max`, giving up after `timeout`.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    pub first: Duration,
    pub max: Duration,
    pub timeout: Duration,
}

impl Poll {
    /// Production pacing: 2 s doubling up to 20 s, for at most `minutes`.
    pub fn minutes(minutes: u32) -> Poll {
        Poll {
            first: Duration::from_secs(2),
            max: Duration::from_secs(20),
            timeout: Duration::from_secs(u64::from(minutes) * 60),
        }
    }

    fn next(&self, current: Duration) -> Duration {
        (current * 2).min(self.max)
    }
}

/// The change-set name binding a plan to a commit and a template: `omrs-<commit>-<template SHA-256>`.
pub fn change_set_name(commit: &str, sha256: &str) -> String {
    let commit: String = commit
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    format!("omrs-{commit}-{}", &sha256[..sha256.len().min(64)])
}

/// The change-set description, which repeats the binding in a readable form.
pub fn change_set_description(commit: &str, sha256: &str) -> String {
    format!("omrs-gitops plan; commit={commit}; template-sha256={sha256}")
}

/// The template SHA-256 a change set was created from, read back from its description.
pub fn described_sha256(description: &str) -> Option<&str> {
    description
        .split("; ")
        .find_map(|part| part.strip_prefix("template-sha256="))
}

/// The S3 key of a rendered template.
pub fn artifact_key(stack: &str, sha256: &str) -> String {
    format!("{stack}/{sha256}.template.json")
}

fn aws(error: CloudError) -> Failure {
    Failure::service(format!(
        "{error}; check the credentials, the region and the message above, then run again"
    ))
}

/// What one environment's plan needs.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub environment: String,
    pub stack: String,
    pub region: String,
    pub bucket: String,
    pub tags: BTreeMap<String, String>,
    pub template: String,
    pub sha256: String,
    pub commit: String,
    pub redactor: Redactor,
    pub allow_replacement: Vec<String>,
    /// The stack's service role (`deploy.cloudformation_role_arn`).
    pub role_arn: Option<String>,
    pub poll: Poll,
}

/// A stateful resource a change set would replace or remove.
#[derive(Debug, Clone, PartialEq)]
pub struct StatefulFlag {
    pub logical_id: String,
    pub resource_type: String,
    /// `removal`, `replacement` or `conditional replacement`.
    pub what: &'static str,
    /// The environment file lists it in `deploy.allow_replacement`.
    pub allowed: bool,
}

/// One environment's change set, or the news that there is nothing to change.
#[derive(Debug, Clone)]
pub struct ChangeSetPlan {
    pub change_set_name: String,
    pub change_set_type: ChangeSetType,
    pub template_url: String,
    /// `None` when the template changes nothing (the empty change set was deleted).
    pub change_set: Option<ChangeSetInfo>,
    pub flags: Vec<StatefulFlag>,
}

impl ChangeSetPlan {
    /// Counts of (add, modify, remove, replacement True, replacement Conditional).
    pub fn counts(&self) -> (usize, usize, usize, usize, usize) {
        let changes = self
            .change_set
            .as_ref()
            .map(|set| set.changes.as_slice())
            .unwrap_or_default();
        let count = |predicate: &dyn Fn(&crate::cloud::ResourceChange) -> bool| {
            changes.iter().filter(|change| predicate(change)).count()
        };
        (
            count(&|change| change.action == "Add"),
            count(&|change| change.action == "Modify"),
            count(&|change| change.action == "Remove"),
            count(&|change| change.replacement.as_deref() == Some("True")),
            count(&|change| change.replacement.as_deref() == Some("Conditional")),
        )
    }
}

/// Stateful resources that `info` replaces or removes.
pub fn stateful_flags(info: &ChangeSetInfo, allowed: &[String]) -> Vec<StatefulFlag> {
    info.changes
        .iter()
        .filter(|change| STATEFUL_TYPES.contains(&change.resource_type.as_str()))
        .filter_map(|change| {
            let what = if change.action == "Remove" {
                "removal"
            } else {
                match change.replacement.as_deref() {
                    Some("True") => "replacement",
                    Some("Conditional") => "conditional replacement",
                    _ => return None,
                }
            };
            Some(StatefulFlag {
                logical_id: change.logical_id.clone(),
                resource_type: change.resource_type.clone(),
                what,
                allowed: allowed.contains(&change.logical_id),
            })
        })
        .collect()
}

/// Applies the redactor to every value of a change set.
pub fn redact_change_set(info: &mut ChangeSetInfo, redactor: &mut Redactor) {
    for (key, value) in &info.parameters {
        if redactor.is_no_echo(key) {
            redactor.add_value(value);
        }
    }
    for (key, value) in &mut info.parameters {
        *value = if redactor.is_no_echo(key) || Redactor::secret_name(key) {
            super::redact::REDACTED.to_owned()
        } else {
            redactor.text(value)
        };
    }
    info.status_reason = info
        .status_reason
        .as_deref()
        .map(|text| redactor.text(text));
    for change in &mut info.changes {
        for detail in &mut change.details {
            let property = detail.name.clone();
            let entity = detail.causing_entity.clone();
            for value in [&mut detail.before, &mut detail.after]
                .into_iter()
                .flatten()
            {
                *value = redactor.value(&property, entity.as_deref(), value);
            }
        }
    }
}

fn is_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Waits until the stack has no operation in progress (REVIEW_IN_PROGRESS is not one), within the timeout.
async fn settle<C: CloudFormationApi>(
    cloudformation: &C,
    stack: &str,
    poll: Poll,
    start: Instant,
) -> Result<Option<StackInfo>, Failure> {
    let mut delay = poll.first;
    loop {
        let info = cloudformation.describe_stack(stack).await.map_err(aws)?;
        match &info {
            Some(found)
                if found.status.ends_with("_IN_PROGRESS")
                    && found.status != "REVIEW_IN_PROGRESS" =>
            {
                if start.elapsed() + delay > poll.timeout {
                    return Err(Failure {
                        status: ExitStatus::GateFailed,
                        message: format!(
                            "stack `{stack}` is still {} after {} s; wait for the running operation to end (CloudFormation console, or `aws cloudformation describe-stacks --stack-name {stack}`), then run again",
                            found.status,
                            poll.timeout.as_secs()
                        ),
                    });
                }
                tracing::info!(stack, status = %found.status, "waiting for the operation in progress");
                tokio::time::sleep(delay).await;
                delay = poll.next(delay);
            }
            _ => return Ok(info),
        }
    }
}

fn rolled_back(stack: &str, environment: &str) -> Failure {
    Failure {
        status: ExitStatus::GateFailed,
        message: format!(
            "stack `{stack}` is ROLLBACK_COMPLETE: its first creation failed and it can only be deleted; run `omrs-gitops apply {environment} --delete-rolled-back-stack` (or delete it in the console), then plan and apply again"
        ),
    }
}

/// Waits for a deleted stack to disappear.
async fn wait_deleted<C: CloudFormationApi>(
    cloudformation: &C,
    stack: &str,
    poll: Poll,
    start: Instant,
) -> Result<(), Failure> {
    let mut delay = poll.first;
    loop {
        match cloudformation.describe_stack(stack).await.map_err(aws)? {
            None => return Ok(()),
            Some(found) if found.status == "DELETE_COMPLETE" => return Ok(()),
            Some(found) if found.status == "DELETE_FAILED" => {
                return Err(Failure::service(format!(
                    "deleting stack `{stack}` failed: {}; delete it in the console, then run again",
                    found.status_reason.unwrap_or_default()
                )))
            }
            Some(found) => {
                if start.elapsed() + delay > poll.timeout {
                    return Err(Failure::service(format!(
                        "stack `{stack}` is still {} after {} s; wait for the deletion to end, then run again",
                        found.status,
                        poll.timeout.as_secs()
                    )));
                }
                tokio::time::sleep(delay).await;
                delay = poll.next(delay);
            }
        }
    }
}

/// Uploads the template, creates the change set, waits for it and reads it.
pub async fn plan_change_set<C: CloudFormationApi, A: ArtifactStore>(
    cloudformation: &C,
    artifacts: &A,
    input: PlanInput,
) -> Result<ChangeSetPlan, Failure> {
    let start = Instant::now();
    let mut redactor = input.redactor.clone();
    let stack = input.stack.as_str();
    let existing = settle(cloudformation, stack, input.poll, start).await?;
    let change_set_type = match &existing {
        None => ChangeSetType::Create,
        Some(found) if found.status == "ROLLBACK_COMPLETE" => {
            return Err(rolled_back(stack, &input.environment))
        }
        Some(found) if found.status == "REVIEW_IN_PROGRESS" => {
            // Only change sets of other plans keep the stack; a re-plan of this commit starts afresh.
            let this = change_set_name(&input.commit, &input.sha256);
            let pending = cloudformation
                .list_change_sets(stack)
                .await
                .map_err(aws)?
                .into_iter()
                .filter(|summary| {
                    summary.stack_name.as_deref() == Some(stack) && summary.name != this
                })
                .count();
            if pending == 0 {
                tracing::info!(
                    stack,
                    "deleting the empty REVIEW_IN_PROGRESS stack a previous plan left"
                );
                cloudformation.delete_stack(stack).await.map_err(aws)?;
                wait_deleted(cloudformation, stack, input.poll, start).await?;
            }
            ChangeSetType::Create
        }
        Some(_) => ChangeSetType::Update,
    };
    let key = artifact_key(stack, &input.sha256);
    let template_url = artifacts
        .put(&input.bucket, &key, input.template.clone().into_bytes())
        .await
        .map_err(|error| {
            Failure::service(format!(
                "{error}; check that bucket `{}` exists in {} and the deploy role may write `{key}`",
                input.bucket, input.region
            ))
        })?;
    let name = change_set_name(&input.commit, &input.sha256);
    if existing.as_ref().is_some_and(|found| {
        found.status != "REVIEW_IN_PROGRESS" || change_set_type == ChangeSetType::Create
    }) {
        for summary in cloudformation.list_change_sets(stack).await.map_err(aws)? {
            if summary.name == name && summary.stack_name.as_deref() == Some(stack) {
                cloudformation
                    .delete_change_set(&summary.id)
                    .await
                    .map_err(aws)?;
            }
        }
    }
    let request = ChangeSetRequest {
        stack_name: stack.to_owned(),
        change_set_name: name.clone(),
        description: change_set_description(&input.commit, &input.sha256),
        template_url: template_url.clone(),
        change_set_type,
        capabilities: CAPABILITIES.iter().map(|&c| c.to_owned()).collect(),
        tags: input.tags.clone(),
        role_arn: input.role_arn.clone(),
    };
    let id = cloudformation
        .create_change_set(&request)
        .await
        .map_err(aws)?;
    let mut delay = input.poll.first;
    let mut info = loop {
        let info = cloudformation.describe_change_set(&id).await.map_err(aws)?;
        match info.status.as_str() {
            "CREATE_COMPLETE" | "FAILED" | "DELETE_COMPLETE" | "DELETE_FAILED" => break info,
            _ => {
                if start.elapsed() + delay > input.poll.timeout {
                    return Err(Failure::service(format!(
                        "change set `{name}` of stack `{stack}` is still {} after {} s; raise `deploy.timeout_minutes` or look at it in the console",
                        info.status,
                        input.poll.timeout.as_secs()
                    )));
                }
                tokio::time::sleep(delay).await;
                delay = input.poll.next(delay);
            }
        }
    };
    redact_change_set(&mut info, &mut redactor);
    if info.status == "FAILED" {
        let reason = info.status_reason.clone().unwrap_or_default();
        if is_no_changes(&reason) {
            cloudformation.delete_change_set(&id).await.map_err(aws)?;
            return Ok(ChangeSetPlan {
                change_set_name: name,
                change_set_type,
                template_url,
                change_set: None,
                flags: Vec::new(),
            });
        }
        return Err(Failure::service(format!(
            "change set `{name}` of stack `{stack}` FAILED: {reason}; fix the template or the stack, then plan again"
        )));
    }
    let flags = stateful_flags(&info, &input.allow_replacement);
    Ok(ChangeSetPlan {
        change_set_name: name,
        change_set_type,
        template_url,
        change_set: Some(info),
        flags,
    })
}

/// What `apply` needs.
#[derive(Debug, Clone)]
pub struct ApplyInput {
    pub environment: String,
    pub stack: String,
    /// The commit being applied.
    pub commit: String,
    /// The SHA-256 of the template rendered at that commit.
    pub sha256: String,
    pub redactor: Redactor,
    pub allow_replacement: Vec<String>,
    pub delete_rolled_back_stack: bool,
    pub poll: Poll,
}

/// How an apply ended (refusals and failures are `Err`).
#[derive(Debug, Clone)]
pub struct ApplyOutcome {
    pub change_set_name: String,
    pub final_status: String,
    pub events: Vec<StackEvent>,
    /// The first failed event's reason, when the stack did not reach a `_COMPLETE` success state.
    pub root_cause: Option<StackEvent>,
    /// The stateful changes that were allowed by `deploy.allow_replacement`.
    pub allowed: Vec<StatefulFlag>,
    /// Whether the ROLLBACK_COMPLETE stack was deleted instead (nothing was applied).
    pub deleted_rolled_back_stack: bool,
}

impl ApplyOutcome {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.final_status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
        )
    }
}

fn refuse(message: String) -> Failure {
    Failure {
        status: ExitStatus::GateFailed,
        message,
    }
}

/// Finds the reviewed change set, guards it, executes it and follows the stack's events until the operation ends.
/// `on_event` sees each event as it arrives, already redacted.
pub async fn apply_change_set<C: CloudFormationApi>(
    cloudformation: &C,
    input: ApplyInput,
    on_event: &mut (dyn FnMut(&StackEvent) + Send),
) -> Result<ApplyOutcome, Failure> {
    let start = Instant::now();
    let mut redactor = input.redactor.clone();
    let stack = input.stack.as_str();
    let Some(found) = settle(cloudformation, stack, input.poll, start).await? else {
        return Err(refuse(format!(
            "stack `{stack}` does not exist and has no change set; run `omrs-gitops plan {}` for commit {} first",
            input.environment, input.commit
        )));
    };
    if found.status == "ROLLBACK_COMPLETE" {
        if !input.delete_rolled_back_stack {
            return Err(rolled_back(stack, &input.environment));
        }
        cloudformation.delete_stack(stack).await.map_err(aws)?;
        wait_deleted(cloudformation, stack, input.poll, start).await?;
        return Ok(ApplyOutcome {
            change_set_name: String::new(),
            final_status: "DELETE_COMPLETE".to_owned(),
            events: Vec::new(),
            root_cause: None,
            allowed: Vec::new(),
            deleted_rolled_back_stack: true,
        });
    }
    let wanted = change_set_name(&input.commit, &input.sha256);
    let summaries: Vec<_> = cloudformation
        .list_change_sets(stack)
        .await
        .map_err(aws)?
        .into_iter()
        .filter(|summary| {
            summary
                .stack_name
                .as_deref()
                .is_none_or(|name| name == stack)
        })
        .collect();
    let commit_prefix = change_set_name(&input.commit, "");
    let chosen = summaries
        .iter()
        .find(|summary| summary.name == wanted)
        .or_else(|| {
            summaries.iter().find(|summary| {
                summary
                    .description
                    .as_deref()
                    .and_then(described_sha256)
                    .is_some_and(|sha| sha == input.sha256)
            })
        });
    let Some(chosen) = chosen else {
        let for_commit: Vec<&str> = summaries
            .iter()
            .filter(|summary| summary.name.starts_with(&commit_prefix))
            .map(|summary| summary.name.as_str())
            .collect();
        return Err(refuse(if for_commit.is_empty() {
            format!(
                "no change set of stack `{stack}` was planned for commit {} or for template sha256 {}; run `omrs-gitops plan {}` at this commit, review it, then apply",
                input.commit, input.sha256, input.environment
            )
        } else {
            format!(
                "change set `{}` was planned for commit {} from a different template than the one rendered at that commit (sha256 {}); it is not what was reviewed: plan again at this commit",
                for_commit.join("`, `"),
                input.commit,
                input.sha256
            )
        }));
    };
    let mut info = cloudformation
        .describe_change_set(&chosen.id)
        .await
        .map_err(aws)?;
    redact_change_set(&mut info, &mut redactor);
    if info.description.as_deref().and_then(described_sha256) != Some(input.sha256.as_str()) {
        return Err(refuse(format!(
            "change set `{}` was created from template sha256 {}, not {} rendered at commit {}; plan again",
            info.name,
            info.description.as_deref().and_then(described_sha256).unwrap_or("(unknown)"),
            input.sha256,
            input.commit
        )));
    }
    if info.status != "CREATE_COMPLETE" || info.execution_status.as_deref() != Some("AVAILABLE") {
        return Err(refuse(format!(
            "change set `{}` is {} / {}{}; it cannot be executed: plan again",
            info.name,
            info.status,
            info.execution_status.as_deref().unwrap_or("-"),
            info.status_reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default()
        )));
    }
    if let (Some(changed), Some(created)) = (found.last_changed, info.created) {
        if changed > created && found.status != "REVIEW_IN_PROGRESS" {
            return Err(refuse(format!(
                "stack `{stack}` changed after change set `{}` was created; what was reviewed is stale: plan again",
                info.name
            )));
        }
    }
    let flags = stateful_flags(&info, &input.allow_replacement);
    let refused: Vec<String> = flags
        .iter()
        .filter(|flag| !flag.allowed)
        .map(|flag| {
            format!(
                "{} of {} ({})",
                flag.what, flag.logical_id, flag.resource_type
            )
        })
        .collect();
    if !refused.is_empty() {
        return Err(refuse(format!(
            "change set `{}` would do {} and that loses data; if that is intended, list the logical ID under `deploy.allow_replacement` in the environment file, merge, and apply again",
            info.name,
            refused.join(", ")
        )));
    }
    let seen: std::collections::HashSet<String> = cloudformation
        .stack_events(stack)
        .await
        .map_err(aws)?
        .into_iter()
        .map(|event| event.id)
        .collect();
    let mut seen = seen;
    cloudformation
        .execute_change_set(&info.id)
        .await
        .map_err(aws)?;
    let mut events = Vec::new();
    let mut delay = input.poll.first;
    let final_status = loop {
        let mut fresh: Vec<StackEvent> = cloudformation
            .stack_events(stack)
            .await
            .map_err(aws)?
            .into_iter()
            .filter(|event| !seen.contains(&event.id))
            .collect();
        fresh.reverse();
        for mut event in fresh {
            seen.insert(event.id.clone());
            event.reason = event.reason.as_deref().map(|reason| redactor.text(reason));
            on_event(&event);
            events.push(event);
        }
        let status = cloudformation
            .describe_stack(stack)
            .await
            .map_err(aws)?
            .map(|stack| stack.status)
            .unwrap_or_else(|| "DELETE_COMPLETE".to_owned());
        if !status.ends_with("_IN_PROGRESS") {
            break status;
        }
        if start.elapsed() + delay > input.poll.timeout {
            return Err(Failure::service(format!(
                "stack `{stack}` is still {status} after {} s; CloudFormation continues: follow it in the console and raise `deploy.timeout_minutes`",
                input.poll.timeout.as_secs()
            )));
        }
        tokio::time::sleep(delay).await;
        delay = input.poll.next(delay);
    };
    let root_cause = events
        .iter()
        .find(|event| {
            event.status.ends_with("_FAILED")
                && event.reason.as_deref().is_some_and(|reason| {
                    !reason.contains("Resource creation cancelled")
                        && !reason.contains("Resource update cancelled")
                        && !reason.starts_with("The following resource(s) failed")
                })
        })
        .or_else(|| {
            events
                .iter()
                .find(|event| event.status.ends_with("_FAILED"))
        })
        .cloned();
    Ok(ApplyOutcome {
        change_set_name: info.name,
        final_status,
        events,
        root_cause,
        allowed: flags,
        deleted_rolled_back_stack: false,
    })
}
