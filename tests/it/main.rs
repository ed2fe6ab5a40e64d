//! The one integration-test binary (it links once, which matters on a 2-core CI).

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod cfn_lint;
mod check;
mod cli;
mod config_errors;
mod github;
mod golden;
mod images;
mod injection;
mod lambdas;
mod moto;
mod peers;
mod plan;
mod rules;
mod scan;
mod smithy_mocks;
mod support;
mod toggles;
mod workflows;
