//! The stages that compose the core modules into what a pull request or a merge needs.
//!
//! `offline` runs validate, render and diff against a base commit with no network. Later stages (change sets,
//! apply, drift) join here and reuse its `EnvironmentPlan`.

pub mod changeset;
pub mod check;
pub mod drift;
pub mod images;
pub mod offline;
pub mod online;
pub mod redact;
pub mod review;

pub use offline::{compare, offline_plan, BaseTemplate, EnvironmentPlan, OfflinePlan};
