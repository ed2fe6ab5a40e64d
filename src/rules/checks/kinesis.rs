//! Checks for kinesis resources.

use crate::rules::Check;

/// The checks of this file.
pub const CHECKS: &[Check] = &[];
