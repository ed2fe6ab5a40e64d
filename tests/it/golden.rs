//! Golden files of the shipped environments' rendered templates (insta snapshots under `tests/it/snapshots/`).
//! Review a change with `cargo insta review`, or accept with `INSTA_UPDATE=always cargo test`. On CI nothing is
//! written and a difference fails.

use crate::support::{load, render_env, shipped};

#[test]
fn shipped_environments_render_to_their_golden_templates() {
    for path in shipped() {
        let name = path
            .trim_start_matches("pipelines/")
            .trim_end_matches(".yaml")
            .to_owned();
        let rendered = render_env(&name, &load(&path));
        insta::assert_snapshot!(format!("template-{name}"), rendered.json);
    }
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let environment = load("tests/fixtures/environments/all-on.yaml");
    let first = render_env("all-on", &environment);
    let second = render_env("all-on", &environment);
    assert_eq!(first.json, second.json);
    assert_eq!(first.sha256, second.sha256);
}
