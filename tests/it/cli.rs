//! The binary as a user runs it: exit codes, stdout/stderr, byte-identical output, no side effects on bad
//! input, git-based diff and the offline plan.

use std::path::Path;
use std::process::Command;

use omrs_gitops::exit::ExitStatus;

use crate::support::{root, run_in};

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const MINI_FRAGMENT: &str = r#"{
  "Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {{ env.stack.name }}, }},
    {% if env.features.analytics %}
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {{ env.service.min_capacity }}, }},
    {% endif %}
  },
}
"#;

const MINI_ENV: &str = "stack:\n  name: mini\n  account: \"123456789012\"\n  region: us-east-1\n  template_set: mini\n";

/// A git repository in a temp dir with one environment and a one-file template set, committed once.
fn mini_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    write(dir.path(), "pipelines/mini.yaml", MINI_ENV);
    write(dir.path(), "templates/mini/main.json.j2", MINI_FRAGMENT);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit_all(dir.path(), "first");
    dir
}

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{error}"));
    }
    std::fs::write(full, text).unwrap_or_else(|error| panic!("{error}"));
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("git: {error}"));
    assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
    stdout(&output)
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

#[test]
fn validate_shipped_environments() {
    let output = run_in(&root(), &["validate"]);
    assert_eq!(
        output.status.code(),
        code(ExitStatus::Success),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "ok dev (pipelines/dev.yaml)\nok prod (pipelines/prod.yaml)\nok staging (pipelines/staging.yaml)\n");
}

#[test]
fn validate_reports_every_error_with_exit_2_and_nothing_on_stdout() {
    let repo = mini_repo();
    write(repo.path(), "pipelines/bad.yaml", "stack:\n  name: x\n  account: \"1\"\n  region: us-east-1\nservice:\n  cpu: 2048\n  memory: 1\n");
    let output = run_in(repo.path(), &["validate", "bad", "mini"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert_eq!(stdout(&output), "");
    let errors = stderr(&output);
    assert!(
        errors.contains("error: pipelines/bad.yaml:3:12: `stack.account`"),
        "{errors}"
    );
    assert!(
        errors.contains("error: pipelines/bad.yaml:7:11: `service.memory`"),
        "{errors}"
    );
}

#[test]
fn unknown_environment_is_bad_input() {
    let output = run_in(mini_repo().path(), &["validate", "nope"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        stderr(&output).contains("pipelines/nope.yaml: no such environment file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn render_is_byte_identical_and_prints_the_hash_of_the_written_bytes() {
    let repo = mini_repo();
    let first = run_in(repo.path(), &["render", "--out", "a"]);
    let second = run_in(repo.path(), &["render", "--out", "b"]);
    assert_eq!(
        first.status.code(),
        code(ExitStatus::Success),
        "{}",
        stderr(&first)
    );
    let a = std::fs::read(repo.path().join("a/mini.template.json")).unwrap_or_default();
    let b = std::fs::read(repo.path().join("b/mini.template.json")).unwrap_or_default();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let hash = omrs_gitops::render::sha256_hex(&a);
    assert!(
        stdout(&first).starts_with(&format!("{hash}  mini  1 resources")),
        "{}",
        stdout(&first)
    );
    assert_eq!(stdout(&first).replace("-> a/", "-> b/"), stdout(&second));
}

#[test]
fn render_writes_nothing_when_any_environment_is_bad() {
    let repo = mini_repo();
    write(repo.path(), "pipelines/zbad.yaml", "stack: {}\n");
    let output = run_in(repo.path(), &["render", "--out", "out"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        !repo.path().join("out").exists(),
        "bad input must leave no output directory"
    );
}

#[test]
fn render_template_error_names_the_template_file() {
    let repo = mini_repo();
    write(
        repo.path(),
        "templates/mini/main.json.j2",
        "{\"Resources\": {{ env.nope }}}",
    );
    let output = run_in(repo.path(), &["render"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        stderr(&output).contains("templates/mini/main.json.j2"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn render_json_format() {
    let output = run_in(mini_repo().path(), &["render", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(value["templates"][0]["name"], "mini");
    assert_eq!(value["templates"][0]["resources"], 1);
}

#[test]
fn schema_command_matches_the_shipped_schema_file() {
    let output = run_in(&root(), &["schema"]);
    assert_eq!(output.status.code(), code(ExitStatus::Success));
    let shipped = root().join("schema/environment.schema.json");
    if std::env::var_os("OMRS_GITOPS_BLESS").is_some() {
        std::fs::write(&shipped, &output.stdout).unwrap_or_else(|error| panic!("{error}"));
    }
    let current = std::fs::read(&shipped).unwrap_or_default();
    assert!(
        current == output.stdout,
        "schema/environment.schema.json is stale: run `OMRS_GITOPS_BLESS=1 cargo test` to regenerate it"
    );
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    assert_eq!(schema["required"], serde_json::json!(["stack"]));
}

#[test]
fn shipped_files_carry_the_schema_modeline() {
    for path in crate::support::shipped() {
        let text = std::fs::read_to_string(root().join(&path)).unwrap_or_default();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/environment.schema.json\n"),
            "{path} lacks the modeline"
        );
    }
}

#[test]
fn import_cdk_json_of_the_seed_defaults_validates_as_is() {
    let output = run_in(
        &root(),
        &["import-cdk-json", "tests/fixtures/seed-cdk.json"],
    );
    assert_eq!(
        output.status.code(),
        code(ExitStatus::Success),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("# Placeholders to replace before deploying: stack.name, stack.account."),
        "{text}"
    );
    assert!(text.contains("`aliases`") || !text.contains("aliases:"));
    let environment = omrs_gitops::config::load_str("imported.yaml", &text)
        .unwrap_or_else(|errors| panic!("{errors}\n{text}"));
    let shipped_dev = crate::support::load("pipelines/dev.yaml");
    assert_eq!(environment.service, shipped_dev.service);
    assert_eq!(environment.features, shipped_dev.features);
    assert_eq!(environment.database, shipped_dev.database);
    assert_eq!(environment.images, shipped_dev.images);
}

#[test]
fn import_cdk_json_reads_string_booleans_as_the_seed_does() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let seed =
        std::fs::read_to_string(root().join("tests/fixtures/seed-cdk.json")).unwrap_or_default();
    let all_on = seed
        .replace(
            "\"enable_ecs_exec\": \"false\"",
            "\"enable_ecs_exec\": \"true\"",
        )
        .replace(
            "\"enable_data_api\": \"false\"",
            "\"enable_data_api\": \"True\"",
        )
        .replace(
            "\"route53_domain\": null",
            "\"route53_domain\": \"example.org\"",
        )
        .replace(
            "\"configure_ses\": \"false\"",
            "\"configure_ses\": \"true\"",
        )
        .replace(
            "\"email_forwarding_address\": null",
            "\"email_forwarding_address\": \"x@example.org\"",
        )
        .replace(
            "\"openmrs_service_fargate_cpu_per_task\": 2048",
            "\"openmrs_service_fargate_cpu_per_task\": \"4096\"",
        )
        .replace(
            "\"openmrs_service_fargate_ram_per_task\": 4096",
            "\"openmrs_service_fargate_ram_per_task\": 8192",
        );
    write(dir.path(), "cdk.json", &all_on);
    let output = run_in(
        dir.path(),
        &[
            "import-cdk-json",
            "cdk.json",
            "--stack-name",
            "clinic",
            "--account",
            "210987654321",
        ],
    );
    assert_eq!(
        output.status.code(),
        code(ExitStatus::Success),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    let environment = omrs_gitops::config::load_str("imported.yaml", &text)
        .unwrap_or_else(|errors| panic!("{errors}\n{text}"));
    assert!(environment.features.ecs_exec);
    assert!(
        !environment.features.data_api,
        "the seed compares with the exact string \"true\""
    );
    assert!(
        text.contains("`enable_data_api` was \"True\", which the seed reads as false"),
        "{text}"
    );
    assert_eq!(environment.service.cpu, 4096);
    assert_eq!(environment.stack.name, "clinic");
    assert_eq!(
        environment.email.forwarding_address.as_deref(),
        Some("x@example.org")
    );
    assert!(
        text.contains("dns.hosted_zone_id"),
        "the zone placeholder is called out: {text}"
    );
}

#[test]
fn import_cdk_json_refuses_what_the_seed_crashes_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let seed =
        std::fs::read_to_string(root().join("tests/fixtures/seed-cdk.json")).unwrap_or_default();
    write(
        dir.path(),
        "cdk.json",
        &seed.replace(
            "\"configure_ses\": \"false\"",
            "\"configure_ses\": \"true\"",
        ),
    );
    let output = run_in(dir.path(), &["import-cdk-json", "cdk.json"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output)
            .contains("cdk.json:18:5: `configure_ses` is \"true\" without `route53_domain`"),
        "{}",
        stderr(&output)
    );
    write(dir.path(), "broken.json", "{\"context\": {\n  \"x\": }");
    let output = run_in(dir.path(), &["import-cdk-json", "broken.json"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        stderr(&output).contains("broken.json:2:8: not JSON"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn diff_against_a_commit_reads_git_objects_and_leaves_the_work_tree_alone() {
    let repo = mini_repo();
    write(
        repo.path(),
        "pipelines/mini.yaml",
        &format!("{MINI_ENV}features:\n  analytics: true\n"),
    );
    write(
        repo.path(),
        "templates/mini/main.json.j2",
        &MINI_FRAGMENT.replace("DisplayName", "TopicName"),
    );
    let status_before = git(repo.path(), &["status", "--porcelain"]);
    let output = run_in(repo.path(), &["diff", "--base", "HEAD"]);
    assert_eq!(
        output.status.code(),
        code(ExitStatus::Success),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("1 to add, 1 to modify, 0 to remove"),
        "{text}"
    );
    assert!(
        text.contains("  + Resources.Queue (AWS::SQS::Queue)"),
        "{text}"
    );
    assert!(
        text.contains("  ~ Resources.Topic (AWS::SNS::Topic)"),
        "{text}"
    );
    assert!(
        text.contains("      Properties.DisplayName: \"mini\" -> (none)"),
        "{text}"
    );
    assert!(
        text.contains("      Properties.TopicName: (none) -> \"mini\""),
        "{text}"
    );
    assert_eq!(git(repo.path(), &["status", "--porcelain"]), status_before);
    let json: serde_json::Value = serde_json::from_slice(
        &run_in(repo.path(), &["diff", "--base", "HEAD", "--format", "json"]).stdout,
    )
    .unwrap_or_default();
    assert_eq!(json["environments"][0]["counts"]["added"], 1);
    assert_eq!(json["environments"][0]["changes"][0]["action"], "add");
}

#[test]
fn diff_with_an_unknown_base_is_bad_input() {
    let output = run_in(mini_repo().path(), &["diff", "--base", "no-such-branch"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        stderr(&output).contains("cannot resolve `no-such-branch`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn diff_of_a_new_environment_shows_everything_added() {
    let repo = mini_repo();
    write(
        repo.path(),
        "pipelines/second.yaml",
        &MINI_ENV.replace("name: mini", "name: second"),
    );
    let output = run_in(repo.path(), &["diff", "second", "--base", "HEAD"]);
    assert!(
        stdout(&output).contains("`pipelines/second.yaml` is new"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("+ Resources.Topic"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn plan_without_offline_and_without_artifact_bucket_says_what_to_do() {
    let output = run_in(
        mini_repo().path(),
        &["plan", "--commit", "abc", "--format", "text"],
    );
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        stdout(&output).contains("`deploy.artifact_bucket` is not set"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("`plan --offline`"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn environment_reference_is_current_and_documents_every_field() {
    let generated = omrs_gitops::config::environment_reference();
    let shipped = root().join("docs/environment.md");
    if std::env::var_os("OMRS_GITOPS_BLESS").is_some() {
        std::fs::write(&shipped, &generated).unwrap_or_else(|error| panic!("{error}"));
    }
    let current = std::fs::read_to_string(&shipped).unwrap_or_default();
    assert!(
        current == generated,
        "docs/environment.md is stale: run `OMRS_GITOPS_BLESS=1 cargo test`"
    );
    // Every leaf of a fully populated environment appears in the reference.
    let all_on = serde_json::to_value(crate::support::load(
        "tests/fixtures/environments/all-on.yaml",
    ))
    .unwrap_or_default();
    for (section, fields) in all_on.as_object().into_iter().flatten() {
        for field in fields.as_object().into_iter().flat_map(|map| map.keys()) {
            assert!(
                generated.contains(&format!("| `{section}.{field}` |")),
                "`{section}.{field}` is not documented"
            );
        }
    }
}

/// Runs `changed --base REF --format FORMAT` in `dir`, asserts that it succeeds, and returns stdout and stderr.
fn changed(dir: &Path, base: &str, format: &str) -> (String, String) {
    let output = run_in(dir, &["changed", "--base", base, "--format", format]);
    assert_eq!(
        output.status.code(),
        code(ExitStatus::Success),
        "{}",
        stderr(&output)
    );
    (stdout(&output), stderr(&output))
}

/// Two environments (`mini`, `other`) on the mini template set, committed.
fn two_environment_repo() -> tempfile::TempDir {
    let repo = mini_repo();
    write(
        repo.path(),
        "pipelines/other.yaml",
        &MINI_ENV.replace("name: mini", "name: other"),
    );
    commit_all(repo.path(), "second environment");
    repo
}

/// Commits `files` on top of the two-environment repository and checks the names `changed --base HEAD~1` prints.
fn check_changed(files: &[(&str, &str)], expected: &[&str]) -> tempfile::TempDir {
    let repo = two_environment_repo();
    for (path, text) in files {
        write(repo.path(), path, text);
    }
    commit_all(repo.path(), "change");
    let (names, _) = changed(repo.path(), "HEAD~1", "text");
    assert_eq!(names.lines().collect::<Vec<_>>(), expected, "{files:?}");
    repo
}

#[test]
fn changed_lists_every_environment_when_the_template_changes() {
    check_changed(
        &[(
            "templates/mini/main.json.j2",
            &MINI_FRAGMENT.replace("DisplayName", "TopicName"),
        )],
        &["mini", "other"],
    );
}

#[test]
fn changed_lists_only_the_environment_whose_file_changed() {
    let analytics = "features:\n  analytics: true\n";
    let other = format!(
        "{}{analytics}",
        MINI_ENV.replace("name: mini", "name: other")
    );
    let repo = check_changed(&[("pipelines/other.yaml", &other)], &["other"]);
    // The work tree is compared, not HEAD: an uncommitted edit of `mini` counts too.
    write(
        repo.path(),
        "pipelines/mini.yaml",
        &format!("{MINI_ENV}{analytics}"),
    );
    assert_eq!(changed(repo.path(), "HEAD~1", "text").0, "mini\nother\n");
}

#[test]
fn changed_lists_nothing_when_no_template_changes() {
    // An edit that renders the same template (a comment) is no change.
    let comment = format!("{MINI_ENV}# a comment changes no template\n");
    let repo = check_changed(&[("pipelines/mini.yaml", &comment)], &[]);
    let (json, _) = changed(repo.path(), "HEAD~1", "json");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(json["environments"], serde_json::json!([]));
}

#[test]
fn changed_lists_a_new_environment() {
    let second = MINI_ENV.replace("name: mini", "name: second");
    check_changed(&[("pipelines/second.yaml", &second)], &["second"]);
}

#[test]
fn changed_lists_every_environment_with_a_warning_when_the_base_is_unreadable() {
    let repo = two_environment_repo();
    // A first push's `github.event.before`, and a force push's old head that is not in the clone.
    for base in [
        "0000000000000000000000000000000000000000",
        "1234567890abcdef1234567890abcdef12345678",
    ] {
        let (names, warning) = changed(repo.path(), base, "text");
        assert_eq!(names, "mini\nother\n", "base {base}");
        assert!(
            warning.contains(&format!(
                "cannot read `{base}` (git: cannot resolve `{base}`"
            )) && warning.contains("every environment is listed as changed"),
            "{warning}"
        );
    }
}

#[test]
fn changed_json_is_one_line_a_matrix_can_include() {
    let repo = two_environment_repo();
    write(
        repo.path(),
        "pipelines/other.yaml",
        &format!(
            "{}features:\n  analytics: true\n",
            MINI_ENV
                .replace("name: mini", "name: other")
                .replace("us-east-1", "eu-west-1")
        ),
    );
    let (text, _) = changed(repo.path(), "HEAD", "json");
    assert_eq!(text.lines().count(), 1, "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(json["version"], 1);
    assert_eq!(json["base"]["reference"], "HEAD");
    assert_eq!(json["base"]["commit"], head.trim());
    assert_eq!(json["base"]["problem"], serde_json::Value::Null);
    let environments = json["environments"].as_array().cloned().unwrap_or_default();
    assert_eq!(environments.len(), 1, "{text}");
    let other = &environments[0];
    assert_eq!(other["environment"], "other");
    assert_eq!(other["path"], "pipelines/other.yaml");
    assert_eq!(other["stack"], "other");
    assert_eq!(other["region"], "eu-west-1");
    assert_ne!(other["sha256"], other["base_sha256"]);
    assert!(other["base_sha256"].is_string(), "{text}");
}

#[test]
fn changed_with_bad_input_exits_2() {
    let repo = two_environment_repo();
    write(repo.path(), "pipelines/zbad.yaml", "stack: {}\n");
    let output = run_in(repo.path(), &["changed", "--base", "HEAD"]);
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output).contains("pipelines/zbad.yaml"),
        "{}",
        stderr(&output)
    );
    let output = run_in(
        two_environment_repo().path(),
        &["changed", "--base", "HEAD", "--format", "markdown"],
    );
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    assert!(
        stderr(&output)
            .contains("`changed` cannot write `--format markdown`; use one of: text, json"),
        "{}",
        stderr(&output)
    );
}
