//! Masking: every secret value the program learns is announced to the GitHub Actions runner with
//! `::add-mask::VALUE`, which then prints `***` instead of it in every later log line.
//!
//! Secrets are learned deep inside stages and on Tokio worker threads (the GitHub token, NoEcho parameter values
//! through `pipeline::redact::Redactor`, ECR authorization tokens, registry bearer tokens), so the sink is
//! process-wide: `secret(value)` works from anywhere, and does nothing until `install` was called. The binary
//! installs `install_stderr` when `GITHUB_ACTIONS=true`; tests install a capturing sink or none.
//!
//! Why stderr: the runner processes workflow commands on stderr as well as stdout (its script handler feeds both
//! streams to the same command parser); stdout carries the data `--format` asked for (JSON, SARIF, CSV), which a
//! mask line would corrupt; and `main` holds the stdout lock for the whole run, so a worker thread writing there
//! while the main thread waits for it would deadlock. stderr is unbuffered and locked per line, so a mask line is
//! written whole before `secret` returns, which is before the value can reach any report.
//!
//! Each value is announced once, line by line (the runner masks line by line); values shorter than 4 characters
//! are not announced, as they would mask unrelated text (the `Redactor` ignores them too).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::{Mutex, PoisonError};

type Sink = Box<dyn Fn(&str) + Send + Sync>;

struct State {
    sink: Option<Sink>,
    announced: BTreeSet<String>,
}

static STATE: Mutex<State> = Mutex::new(State {
    sink: None,
    announced: BTreeSet::new(),
});

/// The shortest value worth masking.
const MIN_LENGTH: usize = 4;

/// Sends every later mask line (`::add-mask::...\n`) to `sink`, replacing any sink installed before.
pub fn install(sink: impl Fn(&str) + Send + Sync + 'static) {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    state.sink = Some(Box::new(sink));
}

/// Sends mask lines to stderr: what the binary does when running in GitHub Actions.
pub fn install_stderr() {
    install(|line| {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
    });
}

/// Announces a secret value, once, when a sink is installed; otherwise does nothing.
pub fn secret(value: &str) {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    if state.sink.is_none() {
        return;
    }
    for line in value.split('\n').map(|line| line.trim_end_matches('\r')) {
        if line.trim().chars().count() < MIN_LENGTH || !state.announced.insert(line.to_owned()) {
            continue;
        }
        let text = crate::report::workflow::add_mask(line);
        if let Some(sink) = &state.sink {
            sink(&text);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_learned_value_is_announced_once_line_by_line() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let captured = Arc::clone(&lines);
        install(move |line| {
            captured
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line.to_owned())
        });
        // Learned twice, and through the redactor, which masks what it learns.
        secret("mask-unit-Value-1");
        let mut redactor = crate::pipeline::redact::Redactor::default();
        redactor.add_value("mask-unit-Value-1");
        secret("mask-unit-line-a\r\nmask-unit-line-b\nab");
        let lines = lines.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let ours: Vec<&String> = lines
            .iter()
            .filter(|line| line.contains("mask-unit-"))
            .collect();
        assert_eq!(
            ours,
            [
                "::add-mask::mask-unit-Value-1\n",
                "::add-mask::mask-unit-line-a\n",
                "::add-mask::mask-unit-line-b\n"
            ]
        );
        assert!(
            !lines.contains(&"::add-mask::ab\n".to_owned()),
            "too short to mask"
        );
    }
}
