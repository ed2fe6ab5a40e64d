//! Everything that talks to GitHub: the REST calls behind one small trait, and what the pipeline does with them.
//!
//! - `GitHubApi` (this file) is the seam, in this module's plain types (`Comment`, `Issue`), so the pipeline and
//!   the tests never see an octocrab type; `client` implements it with octocrab (`connect`).
//! - `error`: every failed call becomes a `GitHubError`, one line saying what failed and what to do; it maps to
//!   exit code 3.
//! - `sticky`: one comment per (kind, key) per pull request, found again by a hidden marker, split under GitHub's
//!   size limit without breaking code fences or `<details>` blocks (pure planning, then `sync_sticky`).
//! - `drift_issue`: one open issue per stack while it drifts, closed with a comment once it is back in sync.
//! - `actions`: the GitHub Actions environment (`ActionsContext`) and the step summary file.
//! - `mask`: the process-wide sink that announces every secret the program learns with `::add-mask::`.
//!
//! Invariant: only `client` depends on octocrab. Invariant: the token is a `Token`, whose `Debug` and `Display`
//! print `****`; it leaves this module only inside the `Authorization` header octocrab sends to the API host.

pub mod actions;
mod client;
pub mod drift_issue;
mod error;
pub mod mask;
pub mod sticky;

use std::future::Future;

pub use client::{connect, OctocrabGitHub, RetryPolicy};
pub use error::{GitHubError, Problem};

/// The API root of github.com; GitHub Enterprise Server sets `GITHUB_API_URL` to its own (`https://HOST/api/v3`).
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// A secret such as the GitHub token. `Debug` and `Display` print `****`, so neither a log line, an error nor a
/// `{:?}` of the parsed command line can show it; `expose` is for the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The secret itself, for the `Authorization` header and for `::add-mask::`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Token {
    fn from(value: String) -> Token {
        Token(value)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

/// `OWNER/NAME`, checked so that it can be placed in an API path without escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub owner: String,
    pub name: String,
}

impl std::str::FromStr for Repository {
    type Err = String;

    fn from_str(text: &str) -> Result<Repository, String> {
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && part != "."
                && part != ".."
        };
        match text.trim().split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Repository {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(format!(
                "`{text}` is not a GitHub repository; pass `--repository OWNER/NAME` (letters, digits, `-`, `_`, `.`)"
            )),
        }
    }
}

impl std::fmt::Display for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// How to reach GitHub: the API root (github.com's or a GitHub Enterprise Server's), the token and the repository
/// every call is about.
#[derive(Debug, Clone)]
pub struct GitHubSettings {
    /// `https://api.github.com`, `https://HOST/api/v3`, or a fake in tests; a path prefix is kept.
    pub api_url: String,
    pub token: Token,
    pub repository: Repository,
    /// Retries of transient failures and how long a rate limit may be waited out.
    pub retry: RetryPolicy,
}

/// A comment on a pull request or an issue (GitHub's "issue comment").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    /// The login of who wrote it, when GitHub says.
    pub author: Option<String>,
}

/// An issue (never a pull request: those are filtered out of issue listings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
}

/// The GitHub calls the pipeline needs, all about the repository the implementation was built for. Pull requests
/// are issues to this API: `number` is either. Every listing reads every page.
pub trait GitHubApi: Send + Sync {
    /// Every comment of an issue or pull request, oldest first.
    fn list_comments(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Vec<Comment>, GitHubError>> + Send;
    /// Adds a comment to an issue or pull request.
    fn create_comment(
        &self,
        number: u64,
        body: &str,
    ) -> impl Future<Output = Result<Comment, GitHubError>> + Send;
    /// Replaces a comment's body in place.
    fn update_comment(
        &self,
        id: u64,
        body: &str,
    ) -> impl Future<Output = Result<Comment, GitHubError>> + Send;
    fn delete_comment(&self, id: u64) -> impl Future<Output = Result<(), GitHubError>> + Send;
    /// Every open issue carrying `label`, oldest first.
    fn list_open_issues(
        &self,
        label: &str,
    ) -> impl Future<Output = Result<Vec<Issue>, GitHubError>> + Send;
    /// Opens an issue; labels that do not exist yet are created by GitHub.
    fn create_issue(
        &self,
        title: &str,
        body: &str,
        labels: &[&str],
    ) -> impl Future<Output = Result<Issue, GitHubError>> + Send;
    fn update_issue_body(
        &self,
        number: u64,
        body: &str,
    ) -> impl Future<Output = Result<Issue, GitHubError>> + Send;
    /// Closes an issue as completed.
    fn close_issue(&self, number: u64) -> impl Future<Output = Result<Issue, GitHubError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_prints() {
        let token = Token::new("ghs_0123456789abcdef");
        assert_eq!(format!("{token} {token:?}"), "**** ****");
        assert_eq!(token.expose(), "ghs_0123456789abcdef");
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        let repository: Repository = "openmrs/omrs-gitops".parse().unwrap();
        assert_eq!(repository.owner, "openmrs");
        assert_eq!(repository.to_string(), "openmrs/omrs-gitops");
        for bad in [
            "", "openmrs", "a/b/c", "/x", "x/", "a b/c", "a/../b", "o/..", "o/n?x=1",
        ] {
            assert!(bad.parse::<Repository>().is_err(), "{bad}");
        }
    }
}
