//! The GitHub side against a wiremock fake of the REST API, which records every request: sticky comments
//! (created, updated in place, read across pages, split and shrunk, others' comments untouched), drift issues
//! (opened, updated, closed), retries, and 401/403/rate limits as one-line errors with exit code 3 through the
//! binary; annotations and `::add-mask::` lines in GitHub Actions.
//! Response shapes follow GitHub's REST API reference (issue comments, issues).

use std::time::Duration;

use omrs_gitops::cloud::{PropertyDifference, ResourceDrift};
use omrs_gitops::exit::{ExitStatus, Failure};
use omrs_gitops::github::drift_issue::{
    issue_body, open_drift_issues, sync_drift_issues, IssueOutcome, DRIFT_LABEL,
};
use omrs_gitops::github::sticky::{
    comment_bodies, marker, sync_sticky, SyncSummary, COMMENT_LIMIT,
};
use omrs_gitops::github::{
    connect, GitHubApi, GitHubSettings, OctocrabGitHub, Problem, RetryPolicy, Token,
};
use omrs_gitops::pipeline::drift::{DriftReport, EnvironmentDrift, StackDrift};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{command_in, root};

const TOKEN: &str = "ghs_FakeToken0123456789";
const REPO: &str = "/repos/openmrs/omrs-gitops";

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

/// A client of the fake, retrying fast.
fn api(server: &MockServer) -> OctocrabGitHub {
    connect(&GitHubSettings {
        api_url: server.uri(),
        token: Token::new(TOKEN),
        repository: "openmrs/omrs-gitops".parse().unwrap(),
        retry: RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(1),
            max_rate_limit_wait: Duration::from_secs(5),
        },
    })
    .expect("the client builds")
}

/// Every request the fake received since its last reset: method, path with query, JSON body.
async fn requests(server: &MockServer) -> Vec<(String, String, Option<Value>)> {
    let received = server.received_requests().await.expect("recording is on");
    for request in &received {
        assert_eq!(
            request
                .headers
                .get("authorization")
                .map(|value| value.to_str().unwrap()),
            Some(format!("Bearer {TOKEN}").as_str()),
            "every request carries the token"
        );
    }
    received
        .iter()
        .map(|request| {
            let query = request
                .url
                .query()
                .map(|query| format!("?{query}"))
                .unwrap_or_default();
            (
                request.method.to_string(),
                format!("{}{query}", request.url.path()),
                serde_json::from_slice(&request.body).ok(),
            )
        })
        .collect()
}

fn comment(id: u64, body: &str, login: &str) -> Value {
    json!({"id": id, "body": body, "user": {"login": login, "type": "Bot"},
           "html_url": format!("https://github.com/openmrs/omrs-gitops/pull/7#issuecomment-{id}")})
}

async fn serve_comments(server: &MockServer, comments: Value) {
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues/7/comments")))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments))
        .mount(server)
        .await;
}

async fn accept_writes(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/issues/7/comments")))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            101,
            "",
            "github-actions[bot]",
        )))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(wiremock::matchers::path_regex(format!(
            r"^{REPO}/issues/comments/\d+$"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(
            101,
            "",
            "github-actions[bot]",
        )))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(wiremock::matchers::path_regex(format!(
            r"^{REPO}/issues/comments/\d+$"
        )))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

fn list_comments_request(page: Option<u32>) -> (String, String, Option<Value>) {
    let page = page.map(|page| format!("&page={page}")).unwrap_or_default();
    (
        "GET".into(),
        format!("{REPO}/issues/7/comments?per_page=100{page}"),
        None,
    )
}

/// One run of the sticky comment of `prod` on pull request 7, against the fake reset to serve `existing`: what
/// `sync_sticky` reports and every request it sent.
async fn sync_once(
    server: &MockServer,
    existing: Value,
    body: &str,
) -> (SyncSummary, Vec<(String, String, Option<Value>)>) {
    server.reset().await;
    serve_comments(server, existing).await;
    accept_writes(server).await;
    let summary = sync_sticky(&api(server), 7, "plan", "prod", body)
        .await
        .unwrap();
    (summary, requests(server).await)
}

fn counts(created: usize, updated: usize, deleted: usize, unchanged: usize) -> SyncSummary {
    SyncSummary {
        created,
        updated,
        deleted,
        unchanged,
    }
}

#[tokio::test]
async fn the_first_run_creates_the_comment_and_later_runs_update_it_in_place() {
    let server = MockServer::start().await;
    let others = comment(55, "Looks good to me", "reviewer");
    let first = "## prod\n\n1 resource to modify\n";
    let posted = format!("<!-- omrs-gitops:plan:prod part 1/1 -->\n{first}");
    let create = (
        "POST".into(),
        format!("{REPO}/issues/7/comments"),
        Some(json!({"body": posted})),
    );
    assert_eq!(
        sync_once(&server, json!([others]), first).await,
        (
            counts(1, 0, 0, 0),
            vec![list_comments_request(None), create]
        )
    );
    // The next push: the comment is found by its marker and edited, never a second one.
    let second = "## prod\n\n2 resources to modify\n";
    let edited = format!("<!-- omrs-gitops:plan:prod part 1/1 -->\n{second}");
    let edit = (
        "PATCH".into(),
        format!("{REPO}/issues/comments/101"),
        Some(json!({"body": edited})),
    );
    let ours = comment(101, &posted, "github-actions[bot]");
    assert_eq!(
        sync_once(&server, json!([others, ours]), second).await,
        (counts(0, 1, 0, 0), vec![list_comments_request(None), edit])
    );
    // Nothing changed: nothing written.
    let ours = comment(101, &edited, "github-actions[bot]");
    assert_eq!(
        sync_once(&server, json!([others, ours]), second).await,
        (counts(0, 0, 0, 1), vec![list_comments_request(None)])
    );
}

#[tokio::test]
async fn existing_comments_are_read_across_pages() {
    let server = MockServer::start().await;
    let next = format!(
        "{}{REPO}/issues/7/comments?per_page=100&page=2",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues/7/comments")))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([comment(1, "first", "a"), comment(2, "second", "b")]))
                .insert_header(
                    "link",
                    format!(r#"<{next}>; rel="next", <{next}>; rel="last""#),
                ),
        )
        .mount(&server)
        .await;
    let ours = format!("{}\nold", marker("plan", "prod", 1, 1));
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues/7/comments")))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([comment(
            300,
            &ours,
            "github-actions[bot]"
        )])))
        .mount(&server)
        .await;
    accept_writes(&server).await;
    sync_sticky(&api(&server), 7, "plan", "prod", "new\n")
        .await
        .unwrap();
    let sent = requests(&server).await;
    assert_eq!(
        sent[..2],
        [list_comments_request(None), list_comments_request(Some(2))]
    );
    assert_eq!(
        sent[2],
        (
            "PATCH".into(),
            format!("{REPO}/issues/comments/300"),
            Some(json!({"body": "<!-- omrs-gitops:plan:prod part 1/1 -->\nnew\n"}))
        ),
        "the comment on page 2 is updated, not duplicated"
    );
    assert_eq!(sent.len(), 3);
}

/// Whether every code fence and `<details>` block opened in `text` is closed in it.
fn balanced(text: &str) -> bool {
    let fences = text
        .lines()
        .filter(|line| line.trim_start().starts_with("```"))
        .count();
    fences % 2 == 0 && text.matches("<details").count() == text.matches("</details>").count()
}

#[tokio::test]
async fn a_long_report_is_split_into_balanced_parts_and_a_shorter_one_deletes_the_leftovers() {
    let lines: String = (0..3_000)
        .map(|n| format!("+    \"Resource{n:04}\": {{\"Type\": \"AWS::S3::Bucket\"}},\n"))
        .collect();
    let long = format!(
        "## prod\n\n| Add | Modify |\n|--:|--:|\n| 3000 | 0 |\n\n<details><summary>Template diff</summary>\n\n```diff\n{lines}```\n\n</details>\n"
    );
    assert!(long.chars().count() > COMMENT_LIMIT);
    let server = MockServer::start().await;
    let (summary, sent) = sync_once(&server, json!([]), &long).await;
    let posts: Vec<String> = sent
        .iter()
        .filter(|(verb, _, _)| verb == "POST")
        .map(|(_, _, body)| body.as_ref().unwrap()["body"].as_str().unwrap().to_owned())
        .collect();
    let count = posts.len();
    assert!(count >= 2, "{count} parts");
    assert_eq!(summary.created, count);
    for (index, body) in posts.iter().enumerate() {
        assert!(
            body.chars().count() <= COMMENT_LIMIT,
            "part {index} is too long"
        );
        assert!(
            body.starts_with(&format!(
                "{}\n<sub>Part {} of {count}</sub>",
                marker("plan", "prod", index + 1, count),
                index + 1
            )),
            "part {index}"
        );
        assert!(
            balanced(body),
            "part {index} leaves a fence or details open"
        );
        if index > 0 {
            assert!(
                body.contains("<details><summary>Template diff (continued)</summary>\n\n```diff\n")
            );
        }
    }
    assert_eq!(posts, comment_bodies("plan", "prod", &long));

    // A shorter report: part 1 is edited, the other parts deleted; a reviewer's quote and another environment's
    // comment are left alone.
    let mut existing: Vec<Value> = posts
        .iter()
        .enumerate()
        .map(|(index, body)| comment(201 + index as u64, body, "github-actions[bot]"))
        .collect();
    existing.insert(
        1,
        comment(
            900,
            &format!("> {}\n> quoted", marker("plan", "prod", 1, 1)),
            "reviewer",
        ),
    );
    existing.push(comment(
        901,
        &format!("{}\nstaging", marker("plan", "staging", 1, 1)),
        "github-actions[bot]",
    ));
    let (summary, sent) =
        sync_once(&server, Value::Array(existing), "## prod\n\nno changes\n").await;
    assert_eq!(summary, counts(0, 1, count - 1, 0));
    let mut expected = vec![
        list_comments_request(None),
        (
            "PATCH".into(),
            format!("{REPO}/issues/comments/201"),
            Some(
                json!({"body": "<!-- omrs-gitops:plan:prod part 1/1 -->\n## prod\n\nno changes\n"}),
            ),
        ),
    ];
    for index in 1..count {
        expected.push((
            "DELETE".into(),
            format!("{REPO}/issues/comments/{}", 201 + index),
            None,
        ));
    }
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn transient_failures_and_short_rate_limits_are_retried_but_a_post_is_not_repeated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    serve_comments(&server, json!([])).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>\nBad gateway</html>"))
        .mount(&server)
        .await;
    let client = api(&server);
    assert_eq!(client.list_comments(7).await.unwrap(), vec![]);
    let error = client.create_comment(7, "hello").await.unwrap_err();
    assert_eq!(
        error.problem,
        Problem::Status {
            status: 502,
            message: "<html>".into()
        }
    );
    let sent: Vec<String> = requests(&server)
        .await
        .into_iter()
        .map(|(verb, _, _)| verb)
        .collect();
    assert_eq!(
        sent,
        ["GET", "GET", "GET", "POST"],
        "502 and 429 retried; the POST sent once"
    );
}

fn environment(name: &str, result: Result<StackDrift, Failure>) -> EnvironmentDrift {
    EnvironmentDrift {
        name: name.to_owned(),
        stack: format!("omrs-{name}"),
        result,
    }
}

fn drifted(actual: &str) -> StackDrift {
    StackDrift {
        drifted: vec![ResourceDrift {
            logical_id: "Service".into(),
            physical_id: Some("arn:aws:ecs:eu-west-1:123456789012:service/omrs/openmrs".into()),
            resource_type: "AWS::ECS::Service".into(),
            status: "MODIFIED".into(),
            differences: vec![PropertyDifference {
                path: "/DesiredCount".into(),
                expected: "2".into(),
                actual: actual.into(),
                kind: "NOT_EQUAL".into(),
            }],
        }],
        ..StackDrift::default()
    }
}

fn issue(number: u64, body: &str) -> Value {
    json!({"number": number, "title": "Drift: omrs-prod (prod)", "body": body, "state": "open",
           "labels": [{"name": DRIFT_LABEL}]})
}

async fn serve_issues(server: &MockServer, issues: Value) {
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues")))
        .and(query_param("state", "open"))
        .and(query_param("labels", DRIFT_LABEL))
        .respond_with(ResponseTemplate::new(200).set_body_json(issues))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/issues")))
        .respond_with(ResponseTemplate::new(201).set_body_json(issue(12, "")))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{REPO}/issues/12")))
        .respond_with(ResponseTemplate::new(200).set_body_json(issue(12, "")))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/issues/12/comments")))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            700,
            "",
            "github-actions[bot]",
        )))
        .mount(server)
        .await;
}

async fn drift_run(server: &MockServer, report: &DriftReport) -> Vec<IssueOutcome> {
    let client = api(server);
    let open = open_drift_issues(&client).await.unwrap();
    let sync = sync_drift_issues(&client, &open, report).await;
    assert_eq!(sync.failure, None);
    sync.outcomes
}

#[tokio::test]
async fn a_drift_issue_is_opened_updated_while_drift_lasts_and_closed_when_back_in_sync() {
    let list = (
        "GET".to_owned(),
        format!("{REPO}/issues?state=open&labels={DRIFT_LABEL}&per_page=100"),
        None,
    );
    let server = MockServer::start().await;
    // A pull request carrying the marker (the issues API lists pull requests too) and an issue that only carries
    // the label are not ours.
    let prod_marker = marker("drift", "prod/omrs-prod", 1, 1);
    let mut pull = issue(3, &format!("{prod_marker}\n"));
    pull["pull_request"] =
        json!({"url": "https://api.github.com/repos/openmrs/omrs-gitops/pulls/3"});
    serve_issues(&server, json!([pull, issue(4, "someone else's")])).await;
    let first = DriftReport {
        environments: vec![
            environment("prod", Ok(drifted("5"))),
            environment(
                "qa",
                Err(Failure::service("DetectStackDrift failed: AccessDenied")),
            ),
        ],
    };
    let outcomes = drift_run(&server, &first).await;
    let opened_body = issue_body(&first.environments[0]);
    assert!(opened_body.starts_with(&format!("{prod_marker}\n## Drift: `omrs-prod` (prod)\n")));
    assert!(opened_body.contains("| `Service` | AWS::ECS::Service | MODIFIED | NOT_EQUAL /DesiredCount: expected 2 actual 5 |"));
    assert_eq!(
        requests(&server).await,
        [
            list.clone(),
            (
                "POST".into(),
                format!("{REPO}/issues"),
                Some(
                    json!({"title": "Drift: omrs-prod (prod)", "body": opened_body, "labels": [DRIFT_LABEL]})
                )
            ),
        ]
    );
    assert_eq!(
        outcomes[0],
        IssueOutcome::Opened {
            environment: "prod".into(),
            number: 12
        }
    );
    assert!(
        matches!(&outcomes[1], IssueOutcome::Untouched { environment, reason } if environment == "qa" && reason.contains("AccessDenied"))
    );

    // The drift changes: the same issue's body is updated.
    server.reset().await;
    let qa_issue = issue(
        13,
        &format!("{}\nqa drift", marker("drift", "qa/omrs-qa", 1, 1)),
    );
    serve_issues(&server, json!([issue(12, &opened_body), qa_issue])).await;
    let second = DriftReport {
        environments: vec![
            environment("prod", Ok(drifted("7"))),
            environment(
                "qa",
                Err(Failure::service("DetectStackDrift failed: Throttling")),
            ),
        ],
    };
    let outcomes = drift_run(&server, &second).await;
    assert_eq!(
        requests(&server).await,
        [
            list.clone(),
            (
                "PATCH".into(),
                format!("{REPO}/issues/12"),
                Some(json!({"body": issue_body(&second.environments[0])}))
            ),
        ],
        "the failed environment's issue #13 is left untouched"
    );
    assert_eq!(
        outcomes[0],
        IssueOutcome::Updated {
            environment: "prod".into(),
            number: 12
        }
    );

    // Back in sync: a comment, then the issue is closed.
    server.reset().await;
    serve_issues(
        &server,
        json!([issue(12, &issue_body(&second.environments[0]))]),
    )
    .await;
    let third = DriftReport {
        environments: vec![environment("prod", Ok(StackDrift::default()))],
    };
    let outcomes = drift_run(&server, &third).await;
    assert_eq!(
        requests(&server).await,
        [
            list,
            (
                "POST".into(),
                format!("{REPO}/issues/12/comments"),
                Some(
                    json!({"body": "Stack `omrs-prod` (prod) is back in sync with the repository: omrs-gitops closes this issue."})
                )
            ),
            (
                "PATCH".into(),
                format!("{REPO}/issues/12"),
                Some(json!({"state": "closed", "state_reason": "completed"}))
            ),
        ]
    );
    assert_eq!(
        outcomes,
        [IssueOutcome::Closed {
            environment: "prod".into(),
            number: 12
        }]
    );
}

/// `drift dev --issue` against the fake: GitHub is asked first, so its failures come before any AWS call.
fn drift_issue(server: &MockServer, actions: bool) -> std::process::Output {
    let uri = server.uri();
    let mut command = command_in(
        &root(),
        &[
            "drift",
            "dev",
            "--issue",
            "--github-api-url",
            &uri,
            "--repository",
            "openmrs/omrs-gitops",
        ],
    );
    command
        .env("GITHUB_TOKEN", TOKEN)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if actions {
        command.env("GITHUB_ACTIONS", "true");
    }
    command.output().expect("the binary runs")
}

async fn answer_issue_listing(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn in_an_hour() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now + 3_600).to_string()
}

#[tokio::test]
async fn github_refusals_are_one_line_errors_with_exit_code_3() {
    let forbidden = ResponseTemplate::new(403).set_body_json(json!({
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/issues/issues#list-repository-issues"
    }));
    let cases = [
        (
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
            "error: GitHub rejected the token when asked to list the open issues labelled `omrs-gitops-drift` in `openmrs/omrs-gitops` (401 Bad credentials); check that GITHUB_TOKEN (or `--github-token`) holds a valid, unexpired token",
        ),
        (
            forbidden,
            "error: GitHub refused to list the open issues labelled `omrs-gitops-drift` in `openmrs/omrs-gitops` (403 Resource not accessible by integration); the token lacks a permission: give the workflow job `permissions:` `issues: write`, or pass a token that has it",
        ),
        (
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-limit", "1000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", in_an_hour().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded for installation ID 1."})),
            "error: GitHub's rate limit stopped the request to list the open issues labelled `omrs-gitops-drift` in `openmrs/omrs-gitops` (403); it resets at ",
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit."})),
            "error: GitHub's rate limit stopped the request to list the open issues labelled `omrs-gitops-drift` in `openmrs/omrs-gitops` (429); it resets at ",
        ),
        (
            ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
            "error: GitHub answered 404 Not Found when asked to list the open issues labelled `omrs-gitops-drift` in `openmrs/omrs-gitops`; check `--repository`",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        answer_issue_listing(&server, response).await;
        let output = drift_issue(&server, false);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            code(ExitStatus::ServiceFailed),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
        if expected.contains("rate limit") {
            assert!(
                stderr.contains(" UTC, in about 60 min: run again after that"),
                "{stderr}"
            );
        }
        assert!(!stderr.contains(TOKEN) && output.stdout.is_empty());
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "refusals and long rate limits are not retried: {stderr}"
        );
    }
}

#[tokio::test]
async fn in_actions_the_token_is_masked_once_before_anything_else() {
    let server = MockServer::start().await;
    answer_issue_listing(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
    )
    .await;
    let output = drift_issue(&server, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), code(ExitStatus::ServiceFailed));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], format!("::add-mask::{TOKEN}"), "{stderr}");
    assert!(
        lines[1].starts_with("error: GitHub rejected the token"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches(TOKEN).count(),
        1,
        "only in the mask line: {stderr}"
    );
}

#[test]
fn drift_issue_without_a_repository_or_token_is_bad_input() {
    let output = command_in(&root(), &["drift", "dev", "--issue"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: `drift --issue` needs the GitHub repository; run it in GitHub Actions (GITHUB_REPOSITORY) or pass `--repository OWNER/NAME`\n"
    );
    let output = command_in(
        &root(),
        &[
            "drift",
            "dev",
            "--issue",
            "--repository",
            "openmrs/omrs-gitops",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(String::from_utf8_lossy(&output.stderr)
        .starts_with("error: `drift --issue` needs a GitHub token; set GITHUB_TOKEN"));
}

#[test]
fn in_actions_check_annotates_the_template_lines_on_stderr_and_keeps_stdout_data() {
    let output = command_in(
        &root(),
        &["check", "--format", "json", "--fail-on", "warning"],
    )
    .env("GITHUB_ACTIONS", "true")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), code(ExitStatus::GateFailed));
    let report: Value =
        serde_json::from_slice(&output.stdout).expect("stdout is still the JSON report");
    assert_eq!(report["passed"], false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let annotations: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("::"))
        .collect();
    assert!(!annotations.is_empty(), "{stderr}");
    let mut places = std::collections::BTreeSet::new();
    for line in &annotations {
        let rest = line
            .strip_prefix("::error file=")
            .expect("every finding fails the gate at warning level");
        let (file, rest) = rest.split_once(",line=").unwrap();
        let (line_number, rest) = rest.split_once(",title=").unwrap();
        assert!(root().join(file).is_file(), "{file}");
        assert!(line_number.parse::<usize>().unwrap() >= 1);
        let (title, message) = rest.split_once("::").unwrap();
        assert!(
            places.insert((file, line_number, title.split(' ').next().unwrap(), message)),
            "one annotation per template line, rule and resource: {line}"
        );
    }
    assert!(
        annotations
            .iter()
            .any(|line| line.contains(" (dev%2C prod%2C staging)::")),
        "a line shared by every environment is annotated once, naming them: {stderr}"
    );
    // Outside Actions: no workflow commands at all.
    let output = command_in(
        &root(),
        &["check", "--format", "json", "--fail-on", "warning"],
    )
    .output()
    .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("::"));
}

#[tokio::test]
async fn in_actions_a_registry_token_is_masked_once_before_the_report() {
    const BEARER: &str = "registry-Bearer-Token-42";
    let server = MockServer::start().await;
    let host = server.address().to_string();
    Mock::given(method("HEAD"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {BEARER}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).insert_header(
            "docker-content-digest",
            format!("sha256:{}", "ab".repeat(32)).as_str(),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .respond_with(
            ResponseTemplate::new(401).insert_header(
                "www-authenticate",
                format!(
                    r#"Bearer realm="{}/token",service="fake-registry""#,
                    server.uri()
                )
                .as_str(),
            ),
        )
        .with_priority(5)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": BEARER})))
        .mount(&server)
        .await;
    let dir = crate::images::mini_root(&host, "1.0", "");
    // stdout and stderr into one file (one shared offset), in the order they were written.
    let combined = tempfile::NamedTempFile::new().unwrap();
    let shared = combined.reopen().unwrap();
    let output = command_in(dir.path(), &["images", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .stdout(shared.try_clone().unwrap())
        .stderr(shared)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(combined.path()).unwrap();
    assert_eq!(output.status.code(), code(ExitStatus::Success), "{text}");
    assert_eq!(
        text.lines().next(),
        Some(format!("::add-mask::{BEARER}").as_str()),
        "the mask comes first: {text}"
    );
    assert_eq!(
        text.matches(BEARER).count(),
        1,
        "one mask line for three tokens: {text}"
    );
    let tokens_served = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == "/token")
        .count();
    assert_eq!(tokens_served, 3, "one token per repository");
    // On its own, stdout is the JSON report, untouched by workflow commands.
    let output = command_in(dir.path(), &["images", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["version"], 1);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("::add-mask::{BEARER}\n")
    );
}

#[test]
fn an_unreachable_github_is_a_service_failure_with_the_cause() {
    let port = crate::peers::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let output = command_in(
        &root(),
        &[
            "drift",
            "dev",
            "--issue",
            "--github-api-url",
            &url,
            "--repository",
            "openmrs/omrs-gitops",
        ],
    )
    .env("GITHUB_TOKEN", TOKEN)
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        code(ExitStatus::ServiceFailed),
        "{stderr}"
    );
    assert!(
        stderr.starts_with("error: cannot reach GitHub to list the open issues labelled `omrs-gitops-drift` in `openmrs/omrs-gitops`: ")
            && stderr.contains("Connection refused")
            && stderr.trim_end().ends_with("; check network access and `--github-api-url` (GITHUB_API_URL)"),
        "{stderr}"
    );
}

/// `plan --offline --comment` in GitHub Actions for pull request 7 of a repository with a changed environment
/// (`alpha`) and an unchanged one (`beta`), against the fake: every request it sent, and the process output.
async fn plan_comment(
    server: &MockServer,
    dir: &std::path::Path,
    existing: Value,
    summary: &std::path::Path,
) -> (std::process::Output, Vec<(String, String, Option<Value>)>) {
    server.reset().await;
    serve_comments(server, existing).await;
    accept_writes(server).await;
    let uri = server.uri();
    let output = command_in(
        dir,
        &[
            "plan",
            "--offline",
            "--pack",
            "openmrs",
            "--comment",
            "--pr",
            "7",
            "--repository",
            "openmrs/omrs-gitops",
            "--github-api-url",
            &uri,
        ],
    )
    .env("GITHUB_TOKEN", TOKEN)
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_STEP_SUMMARY", summary)
    .output()
    .expect("the binary runs");
    (output, requests(server).await)
}

#[tokio::test]
async fn plan_comment_keeps_one_comment_per_environment_summary_first_and_updates_it_in_place() {
    let server = MockServer::start().await;
    let repo = crate::plan::repository();
    crate::plan::change(repo.path());
    let summary = repo.path().join("summary.md");
    let (output, sent) = plan_comment(&server, repo.path(), json!([]), &summary).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), code(ExitStatus::Success), "{stderr}");
    let posts: Vec<&Value> = sent
        .iter()
        .filter(|(verb, path, _)| verb == "POST" && path == &format!("{REPO}/issues/7/comments"))
        .filter_map(|(_, _, body)| body.as_ref())
        .collect();
    assert_eq!(posts.len(), 2, "{sent:#?}");
    assert!(sent
        .iter()
        .all(|(verb, _, _)| verb == "GET" || verb == "POST"));
    let alpha = posts[0]["body"].as_str().unwrap();
    let beta = posts[1]["body"].as_str().unwrap();
    assert!(alpha.starts_with(&marker("plan", "alpha", 1, 1)), "{alpha}");
    assert!(beta.starts_with(&marker("plan", "beta", 1, 1)), "{beta}");
    // Summary first, then the details folded.
    let heading = alpha
        .find("### `alpha`: :white_check_mark:")
        .expect("verdict heading");
    let table = alpha.find("| Compliance |").expect("summary table");
    let details = alpha.find("<details>").expect("details");
    assert!(heading < table && table < details, "{alpha}");
    assert!(
        alpha.contains("| Images | 1 images, 1 changed |"),
        "{alpha}"
    );
    // The unchanged environment gets one line.
    let report: Vec<&str> = beta
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("<!--"))
        .collect();
    assert_eq!(report.len(), 1, "{beta}");
    assert!(report[0].starts_with("**`beta`**"), "{beta}");
    // The same report in the job summary; findings annotated on stderr; stdout is the report.
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.contains("## omrs-gitops plan (offline)"),
        "{written}"
    );
    assert!(
        stderr.contains("::warning file=templates/mini/main.json.j2,line="),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("## omrs-gitops plan (offline)"));

    // The next push changes alpha again: its comment is updated in place; beta's is left as it is.
    let existing = json!([
        comment(201, alpha, "github-actions[bot]"),
        comment(202, beta, "github-actions[bot]"),
    ]);
    std::fs::write(
        repo.path().join("pipelines/alpha.yaml"),
        crate::plan::environment(
            "alpha",
            "3.3.0",
            "features:\n  analytics: true\nservice:\n  min_capacity: 2\n  max_capacity: 3\n",
        ),
    )
    .unwrap();
    let (output, sent) = plan_comment(&server, repo.path(), existing, &summary).await;
    assert_eq!(output.status.code(), code(ExitStatus::Success));
    let writes: Vec<(&str, &str)> = sent
        .iter()
        .filter(|(verb, _, _)| verb != "GET")
        .map(|(verb, path, _)| (verb.as_str(), path.as_str()))
        .collect();
    assert_eq!(
        writes,
        [("PATCH", format!("{REPO}/issues/comments/201").as_str())],
        "{sent:#?}"
    );
    let patched = sent
        .iter()
        .find(|(verb, _, _)| verb == "PATCH")
        .and_then(|(_, _, body)| body.as_ref())
        .unwrap();
    assert!(
        patched["body"].as_str().unwrap().contains(":3.3.0"),
        "{patched}"
    );
}

#[test]
fn plan_comment_outside_a_pull_request_is_bad_input_before_any_work() {
    let repo = crate::plan::repository();
    let output = command_in(
        repo.path(),
        &[
            "plan",
            "--offline",
            "--comment",
            "--repository",
            "openmrs/omrs-gitops",
        ],
    )
    .env("GITHUB_TOKEN", TOKEN)
    .output()
    .expect("the binary runs");
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--pr"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
