//! The `omrs-gitops` binary: parse arguments, set up logging, run, exit. Everything else is in the library.

#![allow(
    clippy::exit,
    reason = "main maps the run's status to the process exit code"
)]

use clap::Parser;
use omrs_gitops::cli::{Cli, LogFormat};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    // In GitHub Actions, every secret the run learns is masked in the log (on stderr) before anything can print it.
    if omrs_gitops::github::actions::in_actions() {
        omrs_gitops::github::mask::install_stderr();
    }
    let stdout = std::io::stdout();
    let mut out = BrokenPipeOk(stdout.lock());
    let status = omrs_gitops::run(&cli, &mut out, &mut std::io::stderr());
    std::process::ExitCode::from(status.code())
}

fn init_tracing(cli: &Cli) {
    let level = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("OMRS_GITOPS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.global.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder
            .with_ansi(std::env::var_os("NO_COLOR").is_none())
            .init(),
    }
}

/// Treats a closed stdout (`omrs-gitops plan | head`) as success rather than an error.
struct BrokenPipeOk<W>(W);

impl<W: std::io::Write> std::io::Write for BrokenPipeOk<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}
