//! Drift issues: one open issue per stack while it drifts.
//!
//! An issue is ours when it carries the label `omrs-gitops-drift` AND its body starts with the marker of its
//! environment and stack (`<!-- omrs-gitops:drift:prod%2Fomrs-prod part 1/1 -->`): the label finds candidates in
//! one listing, the marker tells them apart and keeps issues that merely carry the label out of it. When drift
//! appears the issue is opened (title `Drift: <stack> (<env>)`, the label passed on creation so GitHub creates it
//! if the repository has none); while drift lasts its body is updated (only when it changed); when the stack is
//! back in sync it gets a comment and is closed. A failed detection leaves the issue as it is: the failure is in
//! the report, and nothing is known about the stack.
//!
//! `plan_issues` decides (pure); `sync_drift_issues` does it. Bodies come from `report::deploy`, whose values the
//! pipeline redacted.

use super::sticky::{marker, parse_marker, split, COMMENT_LIMIT};
use super::{GitHubApi, GitHubError, Issue};
use crate::pipeline::drift::{DriftReport, EnvironmentDrift};
use crate::report::deploy::drift_environment_markdown;

/// The label every drift issue carries.
pub const DRIFT_LABEL: &str = "omrs-gitops-drift";
/// The marker kind of drift issues.
const KIND: &str = "drift";
/// Ends an issue body that had to be cut to GitHub's limit.
const TRUNCATED: &str = "\n\n> [!WARNING]\n> This report was cut to GitHub's 65,536-character limit; the whole report is in the drift run's log and job summary.\n";

/// The marker key of an environment's stack.
fn key(item: &EnvironmentDrift) -> String {
    format!("{}/{}", item.name, item.stack)
}

/// The body of the drift issue of an environment: the marker, then its drift Markdown, cut to GitHub's limit.
pub fn issue_body(item: &EnvironmentDrift) -> String {
    let head = format!("{}\n", marker(KIND, &key(item), 1, 1));
    let markdown = drift_environment_markdown(item);
    let room = COMMENT_LIMIT - head.chars().count();
    if markdown.chars().count() <= room {
        return head + &markdown;
    }
    let first = split(&markdown, room - TRUNCATED.chars().count())
        .into_iter()
        .next()
        .unwrap_or_default();
    head + &first + TRUNCATED
}

/// The title of the drift issue of an environment.
pub fn issue_title(item: &EnvironmentDrift) -> String {
    format!("Drift: {} ({})", item.stack, item.name)
}

/// What to do about one environment's issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuePlan {
    /// Drift and no open issue.
    Open { title: String, body: String },
    /// Drift and an open issue saying something else.
    Update { number: u64, body: String },
    /// Drift and an open issue saying exactly this.
    Unchanged { number: u64 },
    /// In sync, with open issues (normally one) to close with `comment`.
    Close { numbers: Vec<u64>, comment: String },
    /// In sync and no open issue.
    InSync,
    /// The detection failed: the issue is left untouched.
    Untouched { reason: String },
}

/// Decides, for every environment of `report` (in order), what its issue needs; `open` are the open issues
/// carrying `DRIFT_LABEL`. When several open issues carry the same marker, the oldest is the one updated.
pub fn plan_issues(open: &[Issue], report: &DriftReport) -> Vec<(String, IssuePlan)> {
    report
        .environments
        .iter()
        .map(|item| {
            let key = key(item);
            let mut numbers: Vec<u64> = open
                .iter()
                .filter(|issue| parse_marker(&issue.body).is_some_and(|found| found.is_for(KIND, &key)))
                .map(|issue| issue.number)
                .collect();
            numbers.sort_unstable();
            let plan = match &item.result {
                Err(failure) => IssuePlan::Untouched {
                    reason: failure.message.lines().next().unwrap_or_default().to_owned(),
                },
                Ok(drift) if drift.drifted.is_empty() => {
                    if numbers.is_empty() {
                        IssuePlan::InSync
                    } else {
                        IssuePlan::Close {
                            numbers,
                            comment: format!(
                                "Stack `{}` ({}) is back in sync with the repository: omrs-gitops closes this issue.",
                                item.stack, item.name
                            ),
                        }
                    }
                }
                Ok(_) => {
                    let body = issue_body(item);
                    match numbers.first() {
                        None => IssuePlan::Open {
                            title: issue_title(item),
                            body,
                        },
                        Some(number) => {
                            let current = open.iter().find(|issue| issue.number == *number);
                            if current.is_some_and(|issue| issue.body == body) {
                                IssuePlan::Unchanged { number: *number }
                            } else {
                                IssuePlan::Update {
                                    number: *number,
                                    body,
                                }
                            }
                        }
                    }
                }
            };
            (item.name.clone(), plan)
        })
        .collect()
}

/// What happened to one environment's issue, as a line for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    Opened { environment: String, number: u64 },
    Updated { environment: String, number: u64 },
    Unchanged { environment: String, number: u64 },
    Closed { environment: String, number: u64 },
    InSync { environment: String },
    Untouched { environment: String, reason: String },
}

impl std::fmt::Display for IssueOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssueOutcome::Opened {
                environment,
                number,
            } => {
                write!(f, "drift issue: {environment}: opened #{number}")
            }
            IssueOutcome::Updated {
                environment,
                number,
            } => {
                write!(f, "drift issue: {environment}: updated #{number}")
            }
            IssueOutcome::Unchanged {
                environment,
                number,
            } => {
                write!(f, "drift issue: {environment}: #{number} is up to date")
            }
            IssueOutcome::Closed {
                environment,
                number,
            } => {
                write!(
                    f,
                    "drift issue: {environment}: back in sync, closed #{number}"
                )
            }
            IssueOutcome::InSync { environment } => {
                write!(f, "drift issue: {environment}: in sync, no issue")
            }
            IssueOutcome::Untouched {
                environment,
                reason,
            } => write!(
                f,
                "drift issue: {environment}: left as it is, the detection failed: {reason}"
            ),
        }
    }
}

/// The open issues carrying `DRIFT_LABEL`: read once, before the (long) detection, so that a missing permission
/// or a bad token fails in seconds rather than after it.
pub async fn open_drift_issues<A: GitHubApi>(api: &A) -> Result<Vec<Issue>, GitHubError> {
    api.list_open_issues(DRIFT_LABEL).await
}

/// What `sync_drift_issues` did, and the GitHub failure that stopped it, if one did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssueSync {
    pub outcomes: Vec<IssueOutcome>,
    pub failure: Option<GitHubError>,
}

/// Opens, updates and closes drift issues as `plan_issues` says; stops at the first failed call.
pub async fn sync_drift_issues<A: GitHubApi>(
    api: &A,
    open: &[Issue],
    report: &DriftReport,
) -> IssueSync {
    let mut sync = IssueSync::default();
    for (environment, plan) in plan_issues(open, report) {
        let result = apply(api, &environment, plan, &mut sync.outcomes).await;
        if let Err(error) = result {
            sync.failure = Some(error);
            break;
        }
    }
    sync
}

async fn apply<A: GitHubApi>(
    api: &A,
    environment: &str,
    plan: IssuePlan,
    outcomes: &mut Vec<IssueOutcome>,
) -> Result<(), GitHubError> {
    let environment = environment.to_owned();
    match plan {
        IssuePlan::Open { title, body } => {
            let issue = api.create_issue(&title, &body, &[DRIFT_LABEL]).await?;
            outcomes.push(IssueOutcome::Opened {
                environment,
                number: issue.number,
            });
        }
        IssuePlan::Update { number, body } => {
            api.update_issue_body(number, &body).await?;
            outcomes.push(IssueOutcome::Updated {
                environment,
                number,
            });
        }
        IssuePlan::Unchanged { number } => outcomes.push(IssueOutcome::Unchanged {
            environment,
            number,
        }),
        IssuePlan::Close { numbers, comment } => {
            for number in numbers {
                api.create_comment(number, &comment).await?;
                api.close_issue(number).await?;
                outcomes.push(IssueOutcome::Closed {
                    environment: environment.clone(),
                    number,
                });
            }
        }
        IssuePlan::InSync => outcomes.push(IssueOutcome::InSync { environment }),
        IssuePlan::Untouched { reason } => {
            outcomes.push(IssueOutcome::Untouched {
                environment,
                reason,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use crate::cloud::{PropertyDifference, ResourceDrift};
    use crate::exit::Failure;
    use crate::pipeline::drift::StackDrift;

    fn environment(name: &str, result: Result<StackDrift, Failure>) -> EnvironmentDrift {
        EnvironmentDrift {
            name: name.to_owned(),
            stack: format!("omrs-{name}"),
            result,
        }
    }

    fn drifted() -> StackDrift {
        StackDrift {
            drifted: vec![ResourceDrift {
                logical_id: "Service".into(),
                physical_id: None,
                resource_type: "AWS::ECS::Service".into(),
                status: "MODIFIED".into(),
                differences: vec![PropertyDifference {
                    path: "/DesiredCount".into(),
                    expected: "2".into(),
                    actual: "5".into(),
                    kind: "NOT_EQUAL".into(),
                }],
            }],
            ..StackDrift::default()
        }
    }

    fn issue(number: u64, body: &str) -> Issue {
        Issue {
            number,
            title: "t".into(),
            body: body.to_owned(),
            state: "open".into(),
        }
    }

    #[test]
    fn open_update_close_and_leave_alone() {
        let report = DriftReport {
            environments: vec![
                environment("dev", Ok(drifted())),
                environment("staging", Ok(drifted())),
                environment("prod", Ok(StackDrift::default())),
                environment(
                    "qa",
                    Err(Failure::service("DetectStackDrift failed: denied\nmore")),
                ),
                environment("demo", Ok(StackDrift::default())),
            ],
        };
        let staging_body = issue_body(&report.environments[1]);
        let open = [
            issue(
                3,
                &format!("{}\nold", marker(KIND, "staging/omrs-staging", 1, 1)),
            ),
            issue(5, &format!("{}\nold", marker(KIND, "prod/omrs-prod", 1, 1))),
            issue(6, &format!("{}\nold", marker(KIND, "qa/omrs-qa", 1, 1))),
            issue(7, "carries the label, but is someone else's"),
        ];
        let plans = plan_issues(&open, &report);
        assert!(
            matches!(&plans[0].1, IssuePlan::Open { title, body } if title == "Drift: omrs-dev (dev)" && body.starts_with("<!-- omrs-gitops:drift:dev%2Fomrs-dev part 1/1 -->\n## Drift: `omrs-dev` (dev)"))
        );
        assert_eq!(
            plans[1].1,
            IssuePlan::Update {
                number: 3,
                body: staging_body.clone()
            }
        );
        assert!(
            matches!(&plans[2].1, IssuePlan::Close { numbers, comment } if numbers == &[5] && comment.contains("back in sync"))
        );
        assert_eq!(
            plans[3].1,
            IssuePlan::Untouched {
                reason: "DetectStackDrift failed: denied".into()
            }
        );
        assert_eq!(plans[4].1, IssuePlan::InSync);
        let unchanged = plan_issues(
            &[issue(3, &staging_body)],
            &DriftReport {
                environments: vec![environment("staging", Ok(drifted()))],
            },
        );
        assert_eq!(unchanged[0].1, IssuePlan::Unchanged { number: 3 });
    }

    #[test]
    fn an_issue_body_stays_under_the_limit() {
        let mut huge = drifted();
        huge.drifted[0].differences = (0..5_000)
            .map(|n| PropertyDifference {
                path: format!("/Tags/{n}/Value"),
                expected: "a".repeat(10),
                actual: "b".repeat(10),
                kind: "NOT_EQUAL".into(),
            })
            .collect();
        huge.drifted = (0..10).map(|_| huge.drifted[0].clone()).collect();
        let body = issue_body(&environment("prod", Ok(huge)));
        assert!(body.chars().count() <= COMMENT_LIMIT);
        assert!(body.ends_with(TRUNCATED));
    }
}
