//! Checks for lex resources.

use crate::rules::Check;

/// The checks of this file.
pub const CHECKS: &[Check] = &[];
