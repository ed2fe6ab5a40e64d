//! The GitHub Actions environment: which pull request, repository, commit and token a run is about, and the job
//! summary file.
//!
//! Everything comes from the variables the runner sets (GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_SHA,
//! GITHUB_TOKEN, GITHUB_STEP_SUMMARY, GITHUB_ACTIONS, GITHUB_EVENT_NAME), each overridable by a flag of
//! `cli::GitHubArgs` (clap reads the variables that have a flag; this file reads the event file and the rest).
//! On `pull_request` events GITHUB_SHA is the merge commit GitHub made, not the pull request's head, so the head
//! comes from the event's `pull_request.head.sha`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{GitHubSettings, Repository, RetryPolicy, Token};
use crate::cli::GitHubArgs;
use crate::exit::Failure;

/// GitHub's limit on the job summary a step writes, in bytes.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// What ends a step summary that had to be cut.
const TRUNCATED: &str = "\n\n> [!WARNING]\n> omrs-gitops cut this report here: GitHub keeps at most 1 MiB of job summary per step. The whole report is in the step's log.\n";

/// Whether this process runs as a GitHub Actions step (`GITHUB_ACTIONS=true`): annotations and masks are written
/// only then.
pub fn in_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true")
}

/// Writes workflow commands (annotations, from `report::workflow`) to stderr in one locked write, where the
/// runner reads them as it reads stdout; stdout stays the data `--format` asked for. Call it only when
/// `in_actions()`.
pub fn write_workflow_commands(commands: &str) -> Result<(), Failure> {
    let mut stderr = std::io::stderr().lock();
    stderr
        .write_all(commands.as_bytes())
        .and_then(|()| stderr.flush())
        .map_err(|error| Failure::service(format!("cannot write annotations to stderr: {error}")))
}

/// The resolved GitHub context of a run.
#[derive(Debug, Clone, Default)]
pub struct ActionsContext {
    /// `GITHUB_ACTIONS=true`.
    pub in_actions: bool,
    /// `GITHUB_EVENT_NAME`: `pull_request`, `push`, `schedule`...
    pub event_name: Option<String>,
    pub repository: Option<Repository>,
    pub pull_request: Option<u64>,
    /// The pull request's head commit, else GITHUB_SHA.
    pub head_sha: Option<String>,
    pub token: Option<Token>,
    pub step_summary: Option<PathBuf>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

impl ActionsContext {
    /// Resolves the flags (which clap already filled from their variables) with the event file and the
    /// variables in `lookup`. Announces the token to the log masker before anything else can print it.
    pub fn resolve(
        args: &GitHubArgs,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ActionsContext, Failure> {
        let event = match args
            .event_path
            .as_ref()
            .filter(|path| !path.as_os_str().is_empty())
        {
            Some(path) => Some(read_event(path)?),
            None => None,
        };
        let pull_request = event.as_ref().and_then(|event| event.get("pull_request"));
        let repository = match non_empty(args.repository.clone()) {
            Some(text) => Some(text.parse::<Repository>().map_err(Failure::bad_input)?),
            None => None,
        };
        let token = args
            .github_token
            .as_ref()
            .filter(|token| !token.expose().trim().is_empty())
            .cloned();
        if let Some(token) = &token {
            super::mask::secret(token.expose());
        }
        Ok(ActionsContext {
            in_actions: lookup("GITHUB_ACTIONS").is_some_and(|value| value == "true"),
            event_name: non_empty(lookup("GITHUB_EVENT_NAME")),
            repository,
            pull_request: args.pull_request.or_else(|| {
                pull_request
                    .and_then(|pull| pull.get("number"))
                    .and_then(Value::as_u64)
            }),
            head_sha: non_empty(args.head_sha.clone())
                .or_else(|| {
                    pull_request
                        .and_then(|pull| pull.pointer("/head/sha"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .or_else(|| non_empty(lookup("GITHUB_SHA"))),
            token,
            step_summary: args
                .step_summary
                .clone()
                .filter(|path| !path.as_os_str().is_empty()),
        })
    }

    /// `resolve` with the process environment.
    pub fn from_process(args: &GitHubArgs) -> Result<ActionsContext, Failure> {
        ActionsContext::resolve(args, &|name| std::env::var(name).ok())
    }

    /// The repository, or a bad-input failure naming `command` and how to say it.
    pub fn repository(&self, command: &str) -> Result<&Repository, Failure> {
        self.repository.as_ref().ok_or_else(|| {
            Failure::bad_input(format!(
                "`{command}` needs the GitHub repository; run it in GitHub Actions (GITHUB_REPOSITORY) or pass `--repository OWNER/NAME`"
            ))
        })
    }

    /// The pull request number, or a bad-input failure that says why there is none.
    pub fn pull_request(&self, command: &str) -> Result<u64, Failure> {
        self.pull_request.ok_or_else(|| {
            let why = match &self.event_name {
                Some(event) if event != "pull_request" && event != "pull_request_target" => {
                    format!("this run is a `{event}` event, not a pull request")
                }
                _ => "no pull request event was found (GITHUB_EVENT_PATH)".to_owned(),
            };
            Failure::bad_input(format!(
                "`{command}` needs a pull request: {why}; run it on `pull_request` or pass `--pr N`"
            ))
        })
    }

    /// The settings `github::connect` takes, or a bad-input failure for what is missing.
    pub fn settings(&self, api_url: &str, command: &str) -> Result<GitHubSettings, Failure> {
        let repository = self.repository(command)?.clone();
        let token = self.token.clone().ok_or_else(|| {
            Failure::bad_input(format!(
                "`{command}` needs a GitHub token; set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{{{ github.token }}}}`) or pass `--github-token`"
            ))
        })?;
        Ok(GitHubSettings {
            api_url: api_url.to_owned(),
            token,
            repository,
            retry: RetryPolicy::default(),
        })
    }
}

fn read_event(path: &Path) -> Result<Value, Failure> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::bad_input(format!(
            "cannot read the event file `{shown}` (GITHUB_EVENT_PATH): {error}; pass `--pr N` and `--head-sha SHA` instead"
        ))
    })?;
    serde_json::from_str(&text).map_err(|error| {
        Failure::bad_input(format!(
            "the event file `{shown}` (GITHUB_EVENT_PATH) is not JSON: {error}; pass `--pr N` and `--head-sha SHA` instead"
        ))
    })
}

/// `markdown` cut to fit `budget` bytes with a visible note at the cut (between top-level blocks where possible,
/// never inside an open code fence or `<details>` block); `None` when not even the note fits.
pub fn fit_step_summary(markdown: &str, budget: usize) -> Option<String> {
    if markdown.len() <= budget {
        return Some(markdown.to_owned());
    }
    let mut room = budget.checked_sub(TRUNCATED.len())?;
    loop {
        let first = super::sticky::split(markdown, room.max(1))
            .into_iter()
            .next()
            .unwrap_or_default();
        let size = first.len() + TRUNCATED.len();
        if size <= budget || room <= 1 {
            return (size <= budget).then(|| first + TRUNCATED);
        }
        room = room.saturating_sub(size - budget).max(1);
    }
}

/// Appends `markdown` to the job summary file, cut with a visible note to GitHub's 1 MiB per step (counting what
/// the step already wrote there).
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<(), Failure> {
    let failed = |error: std::io::Error| {
        Failure::service(format!(
            "cannot write the job summary `{}` (GITHUB_STEP_SUMMARY): {error}; check the runner's disk",
            path.display()
        ))
    };
    let written = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
    let budget = STEP_SUMMARY_LIMIT.saturating_sub(usize::try_from(written).unwrap_or(usize::MAX));
    let Some(text) = fit_step_summary(markdown, budget) else {
        tracing::warn!(
            path = %path.display(),
            "the job summary is full (1 MiB per step); the report is only in the log"
        );
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    if !text.ends_with('\n') {
        file.write_all(b"\n").map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn resolve(args: &GitHubArgs, variables: &[(&str, &str)]) -> Result<ActionsContext, Failure> {
        let map: BTreeMap<String, String> = variables
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        ActionsContext::resolve(args, &|name| map.get(name).cloned())
    }

    fn event_file(json: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(json.as_bytes()).unwrap();
        file
    }

    #[test]
    fn a_pull_request_event_gives_the_number_and_the_head_not_the_merge_commit() {
        let event = event_file(
            r#"{"action":"synchronize","number":42,"pull_request":{"number":42,"head":{"sha":"headsha"}}}"#,
        );
        let args = GitHubArgs {
            repository: Some("openmrs/omrs-gitops".into()),
            event_path: Some(event.path().to_owned()),
            github_token: Some(Token::new("ghs_token")),
            ..GitHubArgs::default()
        };
        let context = resolve(
            &args,
            &[
                ("GITHUB_SHA", "mergesha"),
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_EVENT_NAME", "pull_request"),
            ],
        )
        .unwrap();
        assert!(context.in_actions);
        assert_eq!(context.pull_request, Some(42));
        assert_eq!(context.head_sha.as_deref(), Some("headsha"));
        assert_eq!(
            context.repository.unwrap().to_string(),
            "openmrs/omrs-gitops"
        );
        let settings = resolve(&args, &[])
            .unwrap()
            .settings("https://ghe.example/api/v3", "plan --comment")
            .unwrap();
        assert_eq!(settings.api_url, "https://ghe.example/api/v3");
    }

    #[test]
    fn flags_override_the_environment() {
        let event = event_file(r#"{"pull_request":{"number":42,"head":{"sha":"headsha"}}}"#);
        let args = GitHubArgs {
            pull_request: Some(7),
            head_sha: Some("flagsha".into()),
            event_path: Some(event.path().to_owned()),
            ..GitHubArgs::default()
        };
        let context = resolve(&args, &[("GITHUB_SHA", "mergesha")]).unwrap();
        assert_eq!(context.pull_request, Some(7));
        assert_eq!(context.head_sha.as_deref(), Some("flagsha"));
        let push = resolve(&GitHubArgs::default(), &[("GITHUB_SHA", "pushsha")]).unwrap();
        assert_eq!(push.head_sha.as_deref(), Some("pushsha"));
    }

    #[test]
    fn what_is_missing_is_bad_input_that_says_what_to_pass() {
        let event = event_file(r#"{"schedule":"0 3 * * *"}"#);
        let args = GitHubArgs {
            event_path: Some(event.path().to_owned()),
            ..GitHubArgs::default()
        };
        let context = resolve(&args, &[("GITHUB_EVENT_NAME", "schedule")]).unwrap();
        let failure = context.pull_request("plan --comment").unwrap_err();
        assert_eq!(failure.status, crate::exit::ExitStatus::BadInput);
        assert_eq!(
            failure.message,
            "`plan --comment` needs a pull request: this run is a `schedule` event, not a pull request; run it on `pull_request` or pass `--pr N`"
        );
        let failure = context
            .settings(crate::github::DEFAULT_API_URL, "drift --issue")
            .unwrap_err();
        assert!(
            failure.message.contains("pass `--repository OWNER/NAME`"),
            "{}",
            failure.message
        );
        let with_repository = ActionsContext {
            repository: Some("o/r".parse().unwrap()),
            ..context
        };
        let failure = with_repository
            .settings(crate::github::DEFAULT_API_URL, "drift --issue")
            .unwrap_err();
        assert!(
            failure
                .message
                .contains("`env: GITHUB_TOKEN: ${{ github.token }}`"),
            "{}",
            failure.message
        );
        let bad = GitHubArgs {
            repository: Some("not a repository".into()),
            ..GitHubArgs::default()
        };
        assert_eq!(
            resolve(&bad, &[]).unwrap_err().status,
            crate::exit::ExitStatus::BadInput
        );
        let missing = GitHubArgs {
            event_path: Some("/nonexistent/event.json".into()),
            ..GitHubArgs::default()
        };
        assert!(resolve(&missing, &[])
            .unwrap_err()
            .message
            .contains("GITHUB_EVENT_PATH"));
    }

    #[test]
    fn the_step_summary_is_cut_with_a_visible_note() {
        let rows: String = (0..1000)
            .map(|n| format!("| `R{n}` | Modify |\n"))
            .collect();
        let markdown =
            format!("## plan\n\n<details><summary>rows</summary>\n\n{rows}\n</details>\n");
        assert_eq!(
            fit_step_summary(&markdown, markdown.len()).unwrap(),
            markdown
        );
        let cut = fit_step_summary(&markdown, 5_000).unwrap();
        assert!(cut.len() <= 5_000);
        assert!(cut.ends_with(TRUNCATED));
        assert!(cut.starts_with("## plan\n"));
        assert_eq!(fit_step_summary(&markdown, 10), None);
    }

    #[test]
    fn appending_counts_what_the_step_already_wrote() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "x".repeat(STEP_SUMMARY_LIMIT - 1_000)).unwrap();
        let markdown = "y\n".repeat(2_000);
        append_step_summary(file.path(), &markdown).unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(text.len() <= STEP_SUMMARY_LIMIT, "{}", text.len());
        assert!(text.ends_with(TRUNCATED));
    }
}
