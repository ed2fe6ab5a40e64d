//! `cargo bench --bench render`: in-process time to load and render every shipped environment.
//! Whole-process wall time and peak memory: `scripts/bench`.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::time::{Duration, Instant};

use omrs_gitops::source::DiskSource;
use omrs_gitops::workspace::{load_all, render_all, resolve};

fn main() {
    let source = DiskSource::new(env!("CARGO_MANIFEST_DIR"));
    let refs = match resolve(&source, &[]) {
        Ok(refs) => refs,
        Err(failure) => panic!("{}", failure.message),
    };
    let mut samples: Vec<Duration> = Vec::new();
    let mut bytes = 0;
    for _ in 0..60 {
        let start = Instant::now();
        let rendered = match load_all(&source, &refs)
            .and_then(|environments| render_all(&source, environments))
        {
            Ok(rendered) => rendered,
            Err(failure) => panic!("{}", failure.message),
        };
        samples.push(start.elapsed());
        bytes = rendered.iter().map(|item| item.rendered.json.len()).sum();
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "render: {} environments, {bytes} bytes of templates; median {:.2} ms, min {:.2} ms, max {:.2} ms over {} runs",
        refs.len(),
        median.as_secs_f64() * 1000.0,
        samples[0].as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
        samples.len()
    );
}
