//! Shared test plumbing: the repository root, loading shipped environments, rendering, running the binary and
//! locating the tools `scripts/test-tools` installs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use omrs_gitops::config::{load_str, Environment};
use omrs_gitops::render::{render, Rendered, TemplateSet};
use omrs_gitops::source::DiskSource;

/// The repository root (where Cargo.toml, pipelines/ and templates/ are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads an environment file relative to the root, panicking with the errors if it does not validate.
pub fn load(path: &str) -> Environment {
    let text = std::fs::read_to_string(root().join(path))
        .unwrap_or_else(|error| panic!("read {path}: {error}"));
    load_str(path, &text).unwrap_or_else(|errors| panic!("{errors}"))
}

/// The shipped template set.
pub fn template_set() -> TemplateSet {
    TemplateSet::load(&DiskSource::new(root()), "openmrs-fargate")
        .unwrap_or_else(|error| panic!("{error}"))
}

/// Renders an environment with the shipped template set.
pub fn render_env(name: &str, environment: &Environment) -> Rendered {
    render(name, environment, &template_set())
        .unwrap_or_else(|error| panic!("render {name}: {error}"))
}

/// The shipped environments' paths, sorted.
pub fn shipped() -> Vec<String> {
    let mut paths: Vec<String> = std::fs::read_dir(root().join("pipelines"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| format!("pipelines/{}", entry.file_name().to_string_lossy()))
                .filter(|path| path.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

/// The GitHub Actions variables the binary reads: removed from every run, so that tests behave the same on a
/// laptop and inside a workflow (where the runner sets them all).
const ACTIONS_VARIABLES: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_API_URL",
    "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_TOKEN",
];

/// The binary with `args` in `dir`, without the caller's GitHub Actions variables.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_omrs-gitops"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("OMRS_GITOPS_ROOT")
        .env("NO_COLOR", "1");
    for variable in ACTIONS_VARIABLES {
        command.env_remove(variable);
    }
    command
}

/// Runs the binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    command_in(dir, args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run omrs-gitops: {error}"))
}

/// A tool installed by `scripts/test-tools` into the test virtualenv. A missing tool fails the test with the
/// command that installs it: no test is skipped because a tool is missing.
pub fn venv_tool(name: &str) -> PathBuf {
    let path = root().join("target/test-tools/venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `scripts/test` (or `scripts/test-tools`), which installs the test tools",
        path.display()
    );
    path
}

/// Resource logical IDs of a rendered template with the given type, sorted.
pub fn ids_of_type(rendered: &Rendered, resource_type: &str) -> Vec<String> {
    resources(rendered)
        .iter()
        .filter(|(_, resource)| {
            resource.get("Type").and_then(serde_json::Value::as_str) == Some(resource_type)
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// The `Resources` map of a rendered template.
pub fn resources(rendered: &Rendered) -> serde_json::Map<String, serde_json::Value> {
    rendered
        .document
        .get("Resources")
        .and_then(serde_json::Value::as_object)
        .cloned()
        .unwrap_or_default()
}
