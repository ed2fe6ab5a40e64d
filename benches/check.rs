//! `cargo bench --bench check`: in-process `check` of the all-on template (about 200 resources) and of a
//! generated 10,000-resource template. Also writes both templates to `target/bench/` so `scripts/bench` can time
//! the whole `omrs-gitops check --template` process and its peak memory.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::time::{Duration, Instant};

use omrs_gitops::pipeline::check::{check_file, CheckOptions};
use omrs_gitops::rules::{Compat, Level, Pack};
use omrs_gitops::source::DiskSource;
use omrs_gitops::workspace::{load_all, render_all};

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let source = DiskSource::new(root);
    let refs = vec![omrs_gitops::config::EnvironmentRef::parse(
        "tests/fixtures/environments/all-on.yaml",
    )];
    let rendered =
        match load_all(&source, &refs).and_then(|environments| render_all(&source, environments)) {
            Ok(mut rendered) => rendered.remove(0).rendered,
            Err(failure) => panic!("{}", failure.message),
        };
    let base = rendered.document;
    let resources = base["Resources"].as_object().cloned().unwrap_or_default();
    let mut large = serde_json::Map::new();
    let mut copy = 0;
    while large.len() < 10_000 {
        for (id, resource) in &resources {
            if large.len() == 10_000 {
                break;
            }
            large.insert(format!("{id}C{copy}"), resource.clone());
        }
        copy += 1;
    }
    let large = serde_json::json!({"Resources": large});
    let dir = std::path::Path::new(root).join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let small_text = serde_json::to_string_pretty(&base).unwrap_or_default();
    let large_text = serde_json::to_string_pretty(&large).unwrap_or_default();
    let _ = std::fs::write(dir.join("check-all-on.template.json"), &small_text);
    let _ = std::fs::write(dir.join("check-10000.template.json"), &large_text);
    for (label, packs) in [
        ("hipaa-security", vec![Pack::HipaaSecurity]),
        ("all packs", Pack::ALL.to_vec()),
    ] {
        let options = CheckOptions {
            packs,
            compat: Compat::Improved,
            fail_on: Level::Error,
            today: (2026, 1, 1),
        };
        for (name, text, runs) in [("all-on", &small_text, 50), ("generated", &large_text, 7)] {
            let mut samples: Vec<Duration> = Vec::new();
            let mut count = 0;
            for _ in 0..runs {
                let start = Instant::now();
                let checked = match check_file(name, text, &options) {
                    Ok(checked) => checked,
                    Err(failure) => panic!("{}", failure.message),
                };
                samples.push(start.elapsed());
                count = checked.resources;
            }
            samples.sort();
            println!(
                "check {name} ({label}): {count} resources, parse + evaluate + suppress: median {:.2} ms (min {:.2}, max {:.2}) over {runs} runs",
                samples[samples.len() / 2].as_secs_f64() * 1000.0,
                samples[0].as_secs_f64() * 1000.0,
                samples[samples.len() - 1].as_secs_f64() * 1000.0,
            );
        }
    }
}
