//! `omrs-gitops schema`: the JSON Schema of environment files (also shipped as `schema/environment.schema.json`).

use super::{write_out, Out};
use crate::config::json_schema;
use crate::exit::{ExitStatus, Failure};

pub fn run(out: Out<'_>) -> Result<ExitStatus, Failure> {
    write_out(out, &json_schema())?;
    Ok(ExitStatus::Success)
}
