//! `GitHubError`: a failed GitHub call as one line saying what failed and what to do next.
//!
//! The message never holds the token: nothing here ever sees it, and GitHub's own message is cut to its first line.

use crate::exit::Failure;

/// A GitHub call that failed after the retries `client` allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubError {
    /// What the call was doing, for example ``list the comments of `openmrs/omrs-gitops#12` ``.
    pub operation: String,
    pub problem: Problem,
}

/// Why a call failed, sorted by what the user has to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// 401: the token is missing, wrong or expired.
    Unauthorized { message: String },
    /// 403 without a rate limit: the token lacks a permission; `needs` names the workflow permissions to grant.
    Forbidden {
        message: String,
        needs: &'static str,
    },
    /// 403 or 429 with `x-ratelimit-remaining: 0` or `retry-after`: wait until it resets.
    RateLimited {
        status: u16,
        /// When the limit resets, as a UTC time of day (`14:05:00 UTC`), when GitHub said.
        resets_at: Option<String>,
        /// Seconds until then, when GitHub said.
        wait_seconds: Option<u64>,
    },
    /// 404: no such repository, issue or comment, or the token cannot see the repository.
    NotFound { message: String },
    /// Any other answer that is not a success (5xx after retries, 422...).
    Status { status: u16, message: String },
    /// No answer at all: connection refused, timeout, TLS failure.
    Transport { message: String },
    /// An answer that is not what the REST API documents.
    Unreadable { message: String },
    /// The settings cannot work (an API URL that is not a URL, a token with characters no token has): bad input.
    Settings { message: String },
}

impl std::fmt::Display for GitHubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let operation = &self.operation;
        match &self.problem {
            Problem::Unauthorized { message } => write!(
                f,
                "GitHub rejected the token when asked to {operation} (401 {message}); check that GITHUB_TOKEN (or `--github-token`) holds a valid, unexpired token"
            ),
            Problem::Forbidden { message, needs } => write!(
                f,
                "GitHub refused to {operation} (403 {message}); the token lacks a permission: give the workflow job `permissions:` {needs}, or pass a token that has it"
            ),
            Problem::RateLimited {
                status,
                resets_at,
                wait_seconds,
            } => {
                write!(f, "GitHub's rate limit stopped the request to {operation} ({status})")?;
                match (resets_at, wait_seconds) {
                    (Some(at), Some(wait)) => write!(
                        f,
                        "; it resets at {at}, in about {} min: run again after that",
                        wait.div_ceil(60)
                    ),
                    (Some(at), None) => write!(f, "; it resets at {at}: run again after that"),
                    (None, Some(wait)) => write!(
                        f,
                        "; GitHub asks to wait {wait} s: run again after that"
                    ),
                    (None, None) => write!(f, "; wait a few minutes and run again"),
                }
            }
            Problem::NotFound { message } => write!(
                f,
                "GitHub answered 404 {message} when asked to {operation}; check `--repository` and the number, and that the token can see the repository (GitHub answers 404 to a token without access)"
            ),
            Problem::Status { status, message } => write!(
                f,
                "GitHub failed to {operation}: {status} {message}; run again, and look at GitHub's status page if it keeps failing"
            ),
            Problem::Transport { message } => write!(
                f,
                "cannot reach GitHub to {operation}: {message}; check network access and `--github-api-url` (GITHUB_API_URL)"
            ),
            Problem::Unreadable { message } => write!(
                f,
                "GitHub's answer when asked to {operation} cannot be read: {message}; check that `--github-api-url` points at a GitHub REST API"
            ),
            Problem::Settings { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for GitHubError {}

impl From<GitHubError> for Failure {
    /// Settings that cannot work are bad input (2); every failed call is a service failure (3).
    fn from(error: GitHubError) -> Failure {
        match error.problem {
            Problem::Settings { .. } => Failure::bad_input(error.to_string()),
            _ => Failure::service(error.to_string()),
        }
    }
}

/// GitHub's message, made fit for a one-line error: its first line, at most 200 characters.
pub(crate) fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default().trim();
    if first.chars().count() > 200 {
        let mut cut: String = first.chars().take(200).collect();
        cut.push('…');
        cut
    } else {
        first.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::ExitStatus;

    fn error(problem: Problem) -> GitHubError {
        GitHubError {
            operation: "list the comments of `o/r#12`".to_owned(),
            problem,
        }
    }

    #[test]
    fn every_message_is_one_line_that_says_what_to_do() {
        let cases = [
            (
                Problem::Unauthorized {
                    message: "Bad credentials".into(),
                },
                "check that GITHUB_TOKEN",
            ),
            (
                Problem::Forbidden {
                    message: "Resource not accessible by integration".into(),
                    needs: "`issues: write`",
                },
                "give the workflow job `permissions:` `issues: write`",
            ),
            (
                Problem::RateLimited {
                    status: 429,
                    resets_at: Some("14:05:00 UTC".into()),
                    wait_seconds: Some(61),
                },
                "it resets at 14:05:00 UTC, in about 2 min: run again after that",
            ),
            (
                Problem::NotFound {
                    message: "Not Found".into(),
                },
                "the token can see the repository",
            ),
            (
                Problem::Transport {
                    message: "connection refused".into(),
                },
                "`--github-api-url`",
            ),
        ];
        for (problem, hint) in cases {
            let text = error(problem).to_string();
            assert!(!text.contains('\n'), "{text}");
            assert!(text.contains("list the comments of `o/r#12`"), "{text}");
            assert!(text.contains(hint), "{text}");
        }
    }

    #[test]
    fn settings_are_bad_input_and_calls_are_service_failures() {
        let settings: Failure = error(Problem::Settings {
            message: "bad".into(),
        })
        .into();
        assert_eq!(settings.status, ExitStatus::BadInput);
        let forbidden: Failure = error(Problem::NotFound {
            message: "Not Found".into(),
        })
        .into();
        assert_eq!(forbidden.status, ExitStatus::ServiceFailed);
    }

    #[test]
    fn messages_from_github_are_cut_to_one_short_line() {
        assert_eq!(one_line("first\nsecond"), "first");
        assert_eq!(one_line(&"x".repeat(300)).chars().count(), 201);
    }
}
