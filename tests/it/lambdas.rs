//! The Lambda sources under `templates/openmrs-fargate/lambda/`: their Python unit tests pass, each is
//! inlined by some template, and each fits CloudFormation's inline limit.

use std::process::Command;

use omrs_gitops::render::INLINE_LAMBDA_LIMIT;

use crate::support::{root, venv_tool};

fn lambda_dir() -> std::path::PathBuf {
    root().join("templates/openmrs-fargate/lambda")
}

fn sources() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(lambda_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".py"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn python_unit_tests_pass() {
    let python = venv_tool("python");
    let output = Command::new(&python)
        .args(["-m", "unittest", "discover", "-s", "tests", "-v"])
        .current_dir(lambda_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Lambda unit tests failed:\n{log}");
    let ran = log
        .lines()
        .find_map(|line| {
            line.strip_prefix("Ran ")
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
        })
        .unwrap_or(0);
    assert!(
        ran >= sources().len(),
        "expected at least one Python test per Lambda source, ran {ran}:\n{log}"
    );
}

#[test]
fn every_lambda_source_is_inlined_and_fits() {
    let all_on = crate::support::render_env(
        "all-on",
        &crate::support::load("tests/fixtures/environments/all-on.yaml"),
    );
    assert!(!sources().is_empty());
    for name in sources() {
        let text = std::fs::read_to_string(lambda_dir().join(&name)).unwrap_or_default();
        let inlined = serde_json::to_string(&text).unwrap_or_default();
        assert!(
            all_on.json.contains(&inlined),
            "lambda/{name} is not inlined by any template (all toggles on)"
        );
        assert!(
            text.len() <= INLINE_LAMBDA_LIMIT,
            "lambda/{name} is {} bytes, over {INLINE_LAMBDA_LIMIT}",
            text.len()
        );
    }
}

#[test]
fn render_refuses_a_lambda_source_over_the_inline_limit() {
    let mut set = crate::support::template_set();
    let (name, _) = set
        .files
        .iter()
        .find(|(path, _)| path.starts_with("lambda/") && path.ends_with(".py"))
        .map(|(path, text)| (path.clone(), text.clone()))
        .unwrap_or_default();
    set.files
        .insert(name.clone(), "#".repeat(INLINE_LAMBDA_LIMIT + 1));
    let environment = crate::support::load("tests/fixtures/environments/all-on.yaml");
    let error = omrs_gitops::render::render("all-on", &environment, &set)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(error.contains(&format!("{name}` is 4097 bytes")), "{error}");
    assert!(
        error.contains("CloudFormation inlines at most 4096 bytes"),
        "{error}"
    );
}
