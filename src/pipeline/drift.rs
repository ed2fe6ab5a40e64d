//! The `drift` stage: DetectStackDrift, wait, read drifted resources, filter the environment's `drift.ignore`.

use std::path::Path;
use std::time::Instant;

use super::changeset::Poll;
use super::redact::Redactor;
use crate::cloud::{connect, AwsSettings, CloudFormationApi, ResourceDrift};
use crate::config::{parse_date, DriftIgnore};
use crate::exit::{ExitStatus, Failure};
use crate::source::Source;
use crate::workspace::{load_all, render_all, resolve};

/// Drift of one stack after filtering.
#[derive(Debug, Clone, Default)]
pub struct StackDrift {
    /// Resources with drift that no entry ignores (only their remaining differences).
    pub drifted: Vec<ResourceDrift>,
    /// Ignored drifts, each with the entry's reason.
    pub ignored: Vec<(ResourceDrift, String)>,
    /// Ignore entries that matched but have expired, as notes.
    pub expired: Vec<String>,
}

#[derive(Debug)]
pub struct EnvironmentDrift {
    pub name: String,
    pub stack: String,
    pub result: Result<StackDrift, Failure>,
}

#[derive(Debug)]
pub struct DriftReport {
    pub environments: Vec<EnvironmentDrift>,
}

impl DriftReport {
    /// 3 when a detection failed, 1 when real drift remains, else 0.
    pub fn status(&self) -> ExitStatus {
        if self.environments.iter().any(|item| item.result.is_err()) {
            ExitStatus::ServiceFailed
        } else if self.environments.iter().any(|item| {
            item.result
                .as_ref()
                .is_ok_and(|drift| !drift.drifted.is_empty())
        }) {
            ExitStatus::GateFailed
        } else {
            ExitStatus::Success
        }
    }
}

fn path_matches(entry: &str, path: &str) -> bool {
    let entry = entry.trim_end_matches('/');
    path == entry || path.starts_with(&format!("{entry}/"))
}

/// Splits drifts into kept and ignored with `ignore` as of `today`.
pub fn filter(
    drifts: Vec<ResourceDrift>,
    ignore: &[DriftIgnore],
    today: (i32, u32, u32),
) -> StackDrift {
    let mut result = StackDrift::default();
    let live = |entry: &DriftIgnore| {
        entry
            .expires
            .as_deref()
            .and_then(parse_date)
            .is_none_or(|expires| expires >= today)
    };
    for mut drift in drifts {
        let entries: Vec<&DriftIgnore> = ignore
            .iter()
            .filter(|entry| entry.resource == drift.logical_id)
            .collect();
        for entry in entries.iter().filter(|entry| !live(entry)) {
            result.expired.push(format!(
                "the drift.ignore entry for {}{} expired on {}; it no longer applies",
                entry.resource,
                entry.property.as_deref().unwrap_or_default(),
                entry.expires.as_deref().unwrap_or_default()
            ));
        }
        let active: Vec<&&DriftIgnore> = entries.iter().filter(|entry| live(entry)).collect();
        if let Some(whole) = active.iter().find(|entry| entry.property.is_none()) {
            result.ignored.push((drift, whole.reason.clone()));
            continue;
        }
        let mut kept = Vec::new();
        for difference in std::mem::take(&mut drift.differences) {
            match active.iter().find(|entry| {
                entry
                    .property
                    .as_deref()
                    .is_some_and(|property| path_matches(property, &difference.path))
            }) {
                Some(entry) => result.ignored.push((
                    ResourceDrift {
                        differences: vec![difference],
                        ..drift.clone()
                    },
                    entry.reason.clone(),
                )),
                None => kept.push(difference),
            }
        }
        // A DELETED resource has no differences and is real drift unless ignored whole.
        if !kept.is_empty() || drift.status == "DELETED" {
            drift.differences = kept;
            result.drifted.push(drift);
        }
    }
    result
}

/// Detects drift of one stack, waits within `poll`, and filters it.
pub async fn detect<C: CloudFormationApi>(
    cloudformation: &C,
    stack: &str,
    ignore: &[DriftIgnore],
    today: (i32, u32, u32),
    redactor: &Redactor,
    poll: Poll,
) -> Result<StackDrift, Failure> {
    let start = Instant::now();
    let aws = |error: crate::cloud::CloudError| {
        Failure::service(format!(
            "{error}; check that stack `{stack}` exists and the role may detect drift, then run again"
        ))
    };
    let id = cloudformation.detect_drift(stack).await.map_err(aws)?;
    let mut delay = poll.first;
    loop {
        let status = cloudformation.drift_detection(&id).await.map_err(aws)?;
        match status.status.as_str() {
            "DETECTION_COMPLETE" => break,
            "DETECTION_FAILED" => {
                // A partial detection still lists what it could check; report it, but say so.
                tracing::warn!(stack, reason = ?status.reason, "drift detection failed for some resources");
                if status.stack_drift_status.is_none() {
                    return Err(Failure::service(format!(
                        "drift detection of `{stack}` failed: {}; look at the stack in the console, then run again",
                        redactor.text(status.reason.as_deref().unwrap_or("no reason given"))
                    )));
                }
                break;
            }
            _ => {
                if start.elapsed() + delay > poll.timeout {
                    return Err(Failure::service(format!(
                        "drift detection of `{stack}` is still running after {} s; raise `deploy.timeout_minutes` and run again",
                        poll.timeout.as_secs()
                    )));
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(poll.max);
            }
        }
    }
    let mut drifts = cloudformation.resource_drifts(stack).await.map_err(aws)?;
    for drift in &mut drifts {
        for difference in &mut drift.differences {
            difference.expected = redactor.value(&difference.path, None, &difference.expected);
            difference.actual = redactor.value(&difference.path, None, &difference.actual);
        }
    }
    Ok(filter(drifts, ignore, today))
}

/// `drift [ENV...]`: every environment in parallel.
pub fn online_drift(
    source: &dyn Source,
    _root: &Path,
    arguments: &[String],
    settings: &AwsSettings,
    today: (i32, u32, u32),
) -> Result<DriftReport, Failure> {
    let refs = resolve(source, arguments)?;
    let rendered = render_all(source, load_all(source, &refs)?)?;
    let runtime = super::online::runtime()?;
    let environments = runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, item) in rendered.iter().enumerate() {
            let stack = item.environment.environment.stack.clone();
            let ignore = item.environment.environment.drift.ignore.clone();
            let redactor = Redactor::for_template(&item.rendered.document);
            let poll = Poll::minutes(item.environment.environment.deploy.timeout_minutes);
            let settings = settings.clone();
            tasks.spawn(async move {
                let clients = connect(&settings, &stack.region).await;
                let result = detect(
                    &clients.cloudformation,
                    &stack.name,
                    &ignore,
                    today,
                    &redactor,
                    poll,
                )
                .await;
                (index, result)
            });
        }
        let mut results: Vec<EnvironmentDrift> = rendered
            .iter()
            .map(|item| EnvironmentDrift {
                name: item.environment.name.clone(),
                stack: item.environment.environment.stack.name.clone(),
                result: Err(Failure::service("drift detection did not run")),
            })
            .collect();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, result)) = joined {
                if let Some(slot) = results.get_mut(index) {
                    slot.result = result;
                }
            }
        }
        results
    });
    Ok(DriftReport { environments })
}
