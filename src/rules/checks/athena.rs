//! Checks for athena resources.

use crate::rules::Check;

/// The checks of this file.
pub const CHECKS: &[Check] = &[];
