//! The one integration-test binary (it links once, which matters on a 2-core CI).

mod cli;
mod config_errors;
mod support;
