//! Per-rule timing over the generated 10,000-resource benchmark template (run `cargo bench --bench check` first).

#![allow(clippy::print_stdout, reason = "a diagnostic tool")]

use std::collections::BTreeMap;
use std::time::Instant;

use omrs_gitops::rules::engine::evaluate;
use omrs_gitops::rules::{packs, Compat, Pack};

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/bench/check-10000.template.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = Instant::now();
    let template = match omrs_gitops::template::parse(path, &text) {
        Ok(template) => template,
        Err(error) => panic!("{error}"),
    };
    println!("parse: {:?}", start.elapsed());
    let known = BTreeMap::new();
    let mut timings = Vec::new();
    for rule in packs::rules(&[Pack::HipaaSecurity]) {
        let start = Instant::now();
        let results = evaluate(&template, &[rule], Compat::Improved, &known);
        timings.push((start.elapsed(), rule.id, results.len()));
    }
    timings.sort();
    for (elapsed, id, count) in timings.iter().rev().take(12) {
        println!("{elapsed:>12?} {id} ({count} results)");
    }
}
