//! Exit codes, in one place. Tests import this enum and never repeat the numbers.

/// How a command ended, as the process exit code CI scripts branch on. Stable; documented in docs/exit-codes.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything succeeded and every gate passed.
    Success,
    /// 1: the work ran, and a gate said no (findings, vulnerabilities, drift, a refused apply).
    GateFailed,
    /// 2: bad input (environment file, template, arguments); nothing was changed anywhere.
    BadInput,
    /// 3: a service (AWS, GitHub, a registry) or the local system failed after retries.
    ServiceFailed,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::GateFailed => 1,
            ExitStatus::BadInput => 2,
            ExitStatus::ServiceFailed => 3,
        }
    }
}

/// A failure that ends a command: what to print and which exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    /// One or more lines, each a complete `file:line:column: message; hint` or `message; hint`.
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            status: ExitStatus::BadInput,
            message: message.into(),
        }
    }

    pub fn service(message: impl Into<String>) -> Failure {
        Failure {
            status: ExitStatus::ServiceFailed,
            message: message.into(),
        }
    }
}

impl From<crate::source::SourceError> for Failure {
    fn from(error: crate::source::SourceError) -> Failure {
        match error {
            crate::source::SourceError::Git { .. } => Failure::bad_input(error.to_string()),
            _ => Failure::service(error.to_string()),
        }
    }
}

impl From<crate::render::RenderError> for Failure {
    fn from(error: crate::render::RenderError) -> Failure {
        match error {
            crate::render::RenderError::Source(source) => source.into(),
            other => Failure::bad_input(other.to_string()),
        }
    }
}
