//! cfn-lint over every rendered template: the shipped environments, the fixtures, and each toggle on its own.
//! Zero errors; every warning rule that remains is listed with its reason in `tests/cfn-lint-warnings.txt`.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::{load, render_env, root, shipped, venv_tool};
use crate::toggles::variants;

/// Warning rules allowed to remain, read from `tests/cfn-lint-warnings.txt` (`W1234 reason`).
fn allowed_warnings() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(root().join("tests/cfn-lint-warnings.txt")).unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(' '))
        .map(|(rule, reason)| (rule.to_owned(), reason.trim().to_owned()))
        .collect()
}

#[test]
fn every_rendered_template_passes_cfn_lint() {
    let cfn_lint = venv_tool("cfn-lint");
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let mut files = Vec::new();
    let mut environments: Vec<(String, omrs_gitops::config::Environment)> = shipped()
        .iter()
        .chain(
            [
                "tests/fixtures/environments/all-on.yaml".to_owned(),
                "tests/fixtures/environments/cert-only.yaml".to_owned(),
            ]
            .iter(),
        )
        .map(|path| {
            (
                path.rsplit('/')
                    .next()
                    .unwrap_or(path)
                    .trim_end_matches(".yaml")
                    .to_owned(),
                load(path),
            )
        })
        .collect();
    environments.extend(variants());
    for (name, environment) in &environments {
        let rendered = render_env(name, environment);
        let path = dir.path().join(format!("{name}.template.json"));
        std::fs::write(&path, &rendered.json).unwrap_or_else(|error| panic!("{error}"));
        files.push(path);
    }
    let output = Command::new(&cfn_lint)
        .arg("--format")
        .arg("parseable")
        .args(&files)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", cfn_lint.display()));
    let report = String::from_utf8_lossy(&output.stdout);
    let allowed = allowed_warnings();
    let mut problems = Vec::new();
    for line in report.lines() {
        // file:line:column:end-line:end-column:RULE:message
        let rule = line.split(':').nth(5).unwrap_or_default();
        let acceptable =
            rule.starts_with('I') || (rule.starts_with('W') && allowed.contains_key(rule));
        if !acceptable {
            problems.push(line.replace(&format!("{}/", dir.path().display()), ""));
        }
    }
    assert!(
        problems.is_empty(),
        "cfn-lint found {} problem(s) in {} templates:\n{}\n(stderr: {})",
        problems.len(),
        files.len(),
        problems.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success()
            || !report.is_empty()
            || output.status.code() == Some(4)
            || output.status.code() == Some(8),
        "cfn-lint failed to run: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
