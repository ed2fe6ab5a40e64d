//! `GitHubApi` with octocrab: the token, the API root (a GitHub Enterprise path prefix is kept), TLS and timeouts
//! come from octocrab; the requests go through its raw `execute` so that this file sees every status and header.
//!
//! Why not octocrab's typed calls: a rate limit is only recognisable from the response headers
//! (`x-ratelimit-remaining`, `x-ratelimit-reset`, `retry-after`), which octocrab's typed errors drop, and the
//! pages of a listing must stay on the API host, where octocrab sends the token. Retries are done here rather than
//! by octocrab's retry layer, which can sleep until a rate limit resets (up to an hour) without a word: transport
//! errors and 5xx answers are retried with backoff (not for `POST`, which may have taken effect), a rate limit is
//! waited out only when GitHub asks for at most `RetryPolicy::max_rate_limit_wait`, and otherwise becomes a clear
//! error with its reset time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, ACCEPT};
use http::{Method, Uri};
use octocrab::Octocrab;
use serde_json::{json, Value};

use super::error::one_line;
use super::{Comment, GitHubApi, GitHubError, GitHubSettings, Issue, Problem, Repository};

/// What a workflow job needs for comments: they live on pull requests or on issues.
const COMMENT_PERMISSIONS: &str =
    "`pull-requests: write` (pull-request comments) or `issues: write` (issue comments)";
/// What a workflow job needs for drift issues.
const ISSUE_PERMISSIONS: &str = "`issues: write`";
/// GitHub's largest page.
const PER_PAGE: u32 = 100;
/// A bound on the pages of one listing, in case a server keeps pointing at a next page.
const MAX_PAGES: usize = 1000;

/// How hard to try before a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (transport errors and 5xx answers; not for `POST`).
    pub attempts: u32,
    /// The wait before the second attempt; it doubles after each further one.
    pub first_delay: Duration,
    /// The longest rate-limit wait that is sat out; a longer one fails at once, saying when it resets.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_secs(1),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

/// `GitHubApi` over octocrab for one repository.
#[derive(Clone)]
pub struct OctocrabGitHub {
    client: Octocrab,
    repository: Repository,
    base: Uri,
    retry: RetryPolicy,
}

impl std::fmt::Debug for OctocrabGitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OctocrabGitHub")
            .field("repository", &self.repository)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn settings_error(message: String) -> GitHubError {
    GitHubError {
        operation: "connect to GitHub".to_owned(),
        problem: Problem::Settings { message },
    }
}

/// Builds the client. Fails, rather than panicking as octocrab would, on an API URL that is not an `http(s)` URL,
/// on a token with characters no token has (octocrab parses it into a header value with `unwrap`), and outside a
/// Tokio runtime (octocrab spawns its request buffer on the current one): call it inside `block_on`.
pub fn connect(settings: &GitHubSettings) -> Result<OctocrabGitHub, GitHubError> {
    let url = settings.api_url.trim();
    let base: Uri = url
        .parse()
        .ok()
        .filter(|uri: &Uri| {
            matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some()
        })
        .ok_or_else(|| {
            settings_error(format!(
                "`--github-api-url` `{url}` is not an http(s) URL; pass GitHub's API root, for example `https://api.github.com` or `https://HOST/api/v3`"
            ))
        })?;
    let token = settings.token.expose().trim();
    if token.is_empty() {
        return Err(settings_error(
            "no GitHub token; set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`) or pass `--github-token`".to_owned(),
        ));
    }
    if !token.bytes().all(|byte| (0x21..=0x7e).contains(&byte)) {
        return Err(settings_error(
            "the GitHub token holds characters no token has (spaces, line breaks or non-ASCII); check GITHUB_TOKEN".to_owned(),
        ));
    }
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(settings_error(
            "the GitHub client was built outside the async runtime; this is a bug in omrs-gitops, please report it with the command you ran".to_owned(),
        ));
    }
    let client = Octocrab::builder()
        .base_uri(base.clone())
        .map_err(|error| settings_error(format!("`--github-api-url` `{url}`: {error}")))?
        .personal_token(token.to_owned())
        .set_connect_timeout(Some(Duration::from_secs(30)))
        .set_read_timeout(Some(Duration::from_secs(60)))
        .set_write_timeout(Some(Duration::from_secs(60)))
        .build()
        .map_err(|error| GitHubError {
            operation: "set up the connection to GitHub".to_owned(),
            problem: Problem::Transport {
                message: format!(
                    "{}; install the system's CA certificates",
                    one_line(&error.to_string())
                ),
            },
        })?;
    Ok(OctocrabGitHub {
        client,
        repository: settings.repository.clone(),
        base,
        retry: settings.retry,
    })
}

/// What a call is, for its error message and its permission hint.
struct Call {
    operation: String,
    needs: &'static str,
}

/// An error with its causes, `outer: inner: innermost`, each said once ("client error (Connect): tcp connect
/// error: Connection refused" rather than octocrab's bare "client error (Connect)").
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A time of day in UTC from seconds since the epoch: `14:05:00 UTC` (a rate limit resets within the hour).
pub(crate) fn clock_time(epoch_seconds: u64) -> String {
    let day = epoch_seconds % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        day / 3600,
        (day % 3600) / 60,
        day % 60
    )
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|entry| {
            let (target, parameters) = entry.split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let is_next = parameters.split(';').any(|parameter| {
                parameter.trim().strip_prefix("rel=").is_some_and(|rel| {
                    rel.trim_matches('"')
                        .split_whitespace()
                        .any(|r| r == "next")
                })
            });
            is_next.then(|| target.to_owned())
        })
}

/// The path and query of `link` when it is on the API host (scheme and authority of `base`); the token is only
/// ever sent there.
pub(crate) fn on_api_host(link: &str, base: &Uri) -> Option<String> {
    if link.starts_with('/') {
        return Some(link.to_owned());
    }
    let uri: Uri = link.parse().ok()?;
    (uri.scheme() == base.scheme() && uri.authority() == base.authority())
        .then(|| uri.path_and_query().map(|path| path.as_str().to_owned()))
        .flatten()
}

fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn string_field(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn comment_of(value: &Value) -> Option<Comment> {
    Some(Comment {
        id: value.get("id")?.as_u64()?,
        body: string_field(value, "body"),
        author: value
            .get("user")
            .and_then(|user| user.get("login"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn issue_of(value: &Value) -> Option<Issue> {
    Some(Issue {
        number: value.get("number")?.as_u64()?,
        title: string_field(value, "title"),
        body: string_field(value, "body"),
        state: string_field(value, "state"),
    })
}

fn unreadable(call: &Call, message: &str) -> GitHubError {
    GitHubError {
        operation: call.operation.clone(),
        problem: Problem::Unreadable {
            message: message.to_owned(),
        },
    }
}

/// What a non-success answer means.
fn problem_of(status: u16, headers: &HeaderMap, body: &str, call: &Call) -> Problem {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| value.get("message").and_then(Value::as_str).map(one_line))
        .unwrap_or_else(|| one_line(body));
    let retry_after = header_number(headers, "retry-after");
    let remaining = header_number(headers, "x-ratelimit-remaining");
    let reset = header_number(headers, "x-ratelimit-reset");
    let rate_limited = status == 429
        || (status == 403
            && (retry_after.is_some()
                || remaining == Some(0)
                || message.to_ascii_lowercase().contains("rate limit")));
    if rate_limited {
        let now = now();
        let wait_seconds = retry_after.or_else(|| reset.map(|reset| reset.saturating_sub(now)));
        let resets_at = reset
            .or_else(|| retry_after.map(|wait| now + wait))
            .map(clock_time);
        return Problem::RateLimited {
            status,
            resets_at,
            wait_seconds,
        };
    }
    match status {
        401 => Problem::Unauthorized { message },
        403 => Problem::Forbidden {
            message,
            needs: call.needs,
        },
        404 => Problem::NotFound { message },
        _ => Problem::Status { status, message },
    }
}

impl OctocrabGitHub {
    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", self.repository.owner, self.repository.name)
    }

    fn call(&self, operation: String, needs: &'static str) -> Call {
        Call { operation, needs }
    }

    /// One request with the retries of `RetryPolicy`; the JSON answer and its headers on success.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        call: &Call,
    ) -> Result<(HeaderMap, Value), GitHubError> {
        let mut attempt = 1;
        loop {
            let builder = http::Request::builder()
                .method(method.clone())
                .uri(path)
                .header(ACCEPT, "application/vnd.github+json");
            let request = self
                .client
                .build_request(builder, body)
                .map_err(|error| unreadable(call, &one_line(&error.to_string())))?;
            let retryable = method != Method::POST && attempt < self.retry.attempts;
            let delay = self.retry.first_delay * 2u32.saturating_pow(attempt - 1);
            let response = match self.client.execute(request).await {
                Ok(response) => response,
                Err(error) if retryable => {
                    tracing::debug!(%method, path, %error, attempt, "GitHub unreachable; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    continue;
                }
                Err(error) => {
                    return Err(GitHubError {
                        operation: call.operation.clone(),
                        problem: Problem::Transport {
                            message: one_line(&causes(&error)),
                        },
                    })
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            tracing::debug!(%method, path, status, attempt, "GitHub answered");
            let text = self
                .client
                .body_to_string(response)
                .await
                .map_err(|error| unreadable(call, &one_line(&error.to_string())))?;
            if (200..300).contains(&status) {
                if text.trim().is_empty() {
                    return Ok((headers, Value::Null));
                }
                let value = serde_json::from_str(&text)
                    .map_err(|error| unreadable(call, &format!("not JSON ({error})")))?;
                return Ok((headers, value));
            }
            let problem = problem_of(status, &headers, &text, call);
            match &problem {
                Problem::RateLimited {
                    wait_seconds: Some(wait),
                    ..
                } if Duration::from_secs(*wait) <= self.retry.max_rate_limit_wait
                    && attempt < self.retry.attempts =>
                {
                    tracing::warn!(
                        path,
                        wait,
                        "GitHub rate limit reached; waiting as GitHub asks"
                    );
                    tokio::time::sleep(Duration::from_secs(*wait)).await;
                }
                Problem::Status { status, .. } if *status >= 500 && retryable => {
                    tracing::debug!(%method, path, status, attempt, "GitHub failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                _ => {
                    return Err(GitHubError {
                        operation: call.operation.clone(),
                        problem,
                    })
                }
            }
            attempt += 1;
        }
    }

    /// A write whose answer is a comment.
    async fn comment_call(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        call: &Call,
    ) -> Result<Comment, GitHubError> {
        let (_, value) = self.send(method, path, Some(body), call).await?;
        comment_of(&value).ok_or_else(|| unreadable(call, "a comment without an id"))
    }

    /// A write whose answer is an issue.
    async fn issue_call(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        call: &Call,
    ) -> Result<Issue, GitHubError> {
        let (_, value) = self.send(method, path, Some(body), call).await?;
        issue_of(&value).ok_or_else(|| unreadable(call, "an issue without a number"))
    }

    /// Every item of every page of a listing, following `Link: <...>; rel="next"` on the API host.
    async fn list(&self, first: String, call: &Call) -> Result<Vec<Value>, GitHubError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(unreadable(call, &format!("more than {MAX_PAGES} pages")));
            }
            let (headers, value) = self.send(Method::GET, &path, None, call).await?;
            let Value::Array(page) = value else {
                return Err(unreadable(call, "a page that is not a JSON array"));
            };
            items.extend(page);
            next = match next_link(&headers) {
                Some(link) => Some(on_api_host(&link, &self.base).ok_or_else(|| {
                    unreadable(
                        call,
                        "the next page is on another host; the token is not sent there",
                    )
                })?),
                None => None,
            };
        }
        Ok(items)
    }
}

impl GitHubApi for OctocrabGitHub {
    async fn list_comments(&self, number: u64) -> Result<Vec<Comment>, GitHubError> {
        let call = self.call(
            format!("list the comments of `{}#{number}`", self.repository),
            COMMENT_PERMISSIONS,
        );
        let path = format!(
            "{}/issues/{number}/comments?per_page={PER_PAGE}",
            self.repo_path()
        );
        self.list(path, &call)
            .await?
            .iter()
            .map(|value| {
                comment_of(value).ok_or_else(|| unreadable(&call, "a comment without an id"))
            })
            .collect()
    }

    async fn create_comment(&self, number: u64, body: &str) -> Result<Comment, GitHubError> {
        let call = self.call(
            format!("comment on `{}#{number}`", self.repository),
            COMMENT_PERMISSIONS,
        );
        let path = format!("{}/issues/{number}/comments", self.repo_path());
        self.comment_call(Method::POST, &path, &json!({ "body": body }), &call)
            .await
    }

    async fn update_comment(&self, id: u64, body: &str) -> Result<Comment, GitHubError> {
        let call = self.call(
            format!("update comment {id} in `{}`", self.repository),
            COMMENT_PERMISSIONS,
        );
        let path = format!("{}/issues/comments/{id}", self.repo_path());
        self.comment_call(Method::PATCH, &path, &json!({ "body": body }), &call)
            .await
    }

    async fn delete_comment(&self, id: u64) -> Result<(), GitHubError> {
        let call = self.call(
            format!("delete comment {id} in `{}`", self.repository),
            COMMENT_PERMISSIONS,
        );
        let path = format!("{}/issues/comments/{id}", self.repo_path());
        self.send(Method::DELETE, &path, None, &call).await?;
        Ok(())
    }

    async fn list_open_issues(&self, label: &str) -> Result<Vec<Issue>, GitHubError> {
        let call = self.call(
            format!(
                "list the open issues labelled `{label}` in `{}`",
                self.repository
            ),
            ISSUE_PERMISSIONS,
        );
        let path = format!(
            "{}/issues?state=open&labels={}&per_page={PER_PAGE}",
            self.repo_path(),
            query_escape(label)
        );
        let mut issues = Vec::new();
        for value in self.list(path, &call).await? {
            // The issues API lists pull requests too; they carry a `pull_request` key.
            if value.get("pull_request").is_some() {
                continue;
            }
            issues.push(
                issue_of(&value).ok_or_else(|| unreadable(&call, "an issue without a number"))?,
            );
        }
        Ok(issues)
    }

    async fn create_issue(
        &self,
        title: &str,
        body: &str,
        labels: &[&str],
    ) -> Result<Issue, GitHubError> {
        let call = self.call(
            format!("open an issue in `{}`", self.repository),
            ISSUE_PERMISSIONS,
        );
        let path = format!("{}/issues", self.repo_path());
        let request = json!({ "title": title, "body": body, "labels": labels });
        self.issue_call(Method::POST, &path, &request, &call).await
    }

    async fn update_issue_body(&self, number: u64, body: &str) -> Result<Issue, GitHubError> {
        let call = self.call(
            format!("update issue `{}#{number}`", self.repository),
            ISSUE_PERMISSIONS,
        );
        let path = format!("{}/issues/{number}", self.repo_path());
        self.issue_call(Method::PATCH, &path, &json!({ "body": body }), &call)
            .await
    }

    async fn close_issue(&self, number: u64) -> Result<Issue, GitHubError> {
        let call = self.call(
            format!("close issue `{}#{number}`", self.repository),
            ISSUE_PERMISSIONS,
        );
        let path = format!("{}/issues/{number}", self.repo_path());
        let request = json!({ "state": "closed", "state_reason": "completed" });
        self.issue_call(Method::PATCH, &path, &request, &call).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use crate::github::{Token, DEFAULT_API_URL};

    fn settings(api_url: &str, token: &str) -> GitHubSettings {
        GitHubSettings {
            api_url: api_url.to_owned(),
            token: Token::new(token),
            repository: "openmrs/omrs-gitops".parse().unwrap(),
            retry: RetryPolicy::default(),
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn building_the_client_never_panics() {
        // Both rustls providers (ring through ureq, aws-lc-rs through the AWS SDK) are compiled in: octocrab must
        // be handed one explicitly, or building a TLS configuration would panic here.
        let client =
            runtime().block_on(async { connect(&settings(DEFAULT_API_URL, "ghs_abc123")) });
        let client = client.unwrap();
        assert_eq!(client.base.to_string(), "https://api.github.com/");
        assert!(!format!("{client:?}").contains("ghs_abc123"));
        // Outside a runtime, octocrab would panic spawning its buffer: an error instead.
        let outside = connect(&settings(DEFAULT_API_URL, "ghs_abc123")).unwrap_err();
        assert!(matches!(outside.problem, Problem::Settings { .. }));
    }

    #[test]
    fn settings_that_cannot_work_are_refused_before_any_call() {
        let refused = |api_url: &str, token: &str| {
            runtime()
                .block_on(async { connect(&settings(api_url, token)) })
                .unwrap_err()
                .to_string()
        };
        assert!(refused("not a url", "t0ken").contains("is not an http(s) URL"));
        assert!(refused("ftp://example.com", "t0ken").contains("is not an http(s) URL"));
        assert!(refused(DEFAULT_API_URL, "  ").contains("no GitHub token"));
        let bad = refused(DEFAULT_API_URL, "ghs_abc\ndef");
        assert!(bad.contains("characters no token has"), "{bad}");
        assert!(!bad.contains("ghs_abc"), "{bad}");
    }

    #[test]
    fn next_links_and_the_api_host() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            r#"<https://ghe.example/api/v3/repositories/1/issues/2/comments?page=3>; rel="last", <https://ghe.example/api/v3/repositories/1/issues/2/comments?page=2>; rel="next""#
                .parse()
                .unwrap(),
        );
        let link = next_link(&headers).unwrap();
        assert_eq!(
            link,
            "https://ghe.example/api/v3/repositories/1/issues/2/comments?page=2"
        );
        let base: Uri = "https://ghe.example/api/v3".parse().unwrap();
        assert_eq!(
            on_api_host(&link, &base).unwrap(),
            "/api/v3/repositories/1/issues/2/comments?page=2"
        );
        assert_eq!(
            on_api_host("https://elsewhere.example/x?page=2", &base),
            None
        );
        assert_eq!(on_api_host("http://ghe.example/x", &base), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn rate_limits_are_told_apart_from_missing_permissions() {
        let call = Call {
            operation: "comment".into(),
            needs: COMMENT_PERMISSIONS,
        };
        let mut headers = HeaderMap::new();
        let forbidden = problem_of(
            403,
            &headers,
            r#"{"message":"Resource not accessible by integration"}"#,
            &call,
        );
        assert_eq!(
            forbidden,
            Problem::Forbidden {
                message: "Resource not accessible by integration".into(),
                needs: COMMENT_PERMISSIONS
            }
        );
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        headers.insert(
            "x-ratelimit-reset",
            (now() + 600).to_string().parse().unwrap(),
        );
        let limited = problem_of(403, &headers, "{}", &call);
        assert!(
            matches!(limited, Problem::RateLimited { status: 403, wait_seconds: Some(wait), resets_at: Some(_) } if (595..=600).contains(&wait)),
            "{limited:?}"
        );
        let mut retry = HeaderMap::new();
        retry.insert("retry-after", "30".parse().unwrap());
        assert!(matches!(
            problem_of(429, &retry, "", &call),
            Problem::RateLimited {
                status: 429,
                wait_seconds: Some(30),
                ..
            }
        ));
        assert!(matches!(
            problem_of(401, &HeaderMap::new(), "", &call),
            Problem::Unauthorized { .. }
        ));
        assert!(matches!(
            problem_of(404, &HeaderMap::new(), "", &call),
            Problem::NotFound { .. }
        ));
        assert!(matches!(
            problem_of(502, &HeaderMap::new(), "<html>\nBad gateway", &call),
            Problem::Status { status: 502, .. }
        ));
    }

    #[test]
    fn clock_times_are_utc_times_of_day() {
        assert_eq!(clock_time(0), "00:00:00 UTC");
        assert_eq!(clock_time(1_700_000_000), "22:13:20 UTC");
    }
}
