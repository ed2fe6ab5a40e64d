//! `omrs-gitops validate [ENV...]`: load and check environment files.

use super::{unsupported, write_out, Out};
use crate::cli::{EnvArgs, Format};
use crate::exit::{ExitStatus, Failure};
use crate::source::Source;
use crate::workspace::{load_all, resolve};

pub fn run(source: &dyn Source, args: &EnvArgs, out: Out<'_>) -> Result<ExitStatus, Failure> {
    let refs = resolve(source, &args.environments)?;
    let environments = load_all(source, &refs)?;
    let text = match args.format {
        Format::Text => environments
            .iter()
            .map(|environment| format!("ok {} ({})\n", environment.name, environment.path))
            .collect::<String>(),
        Format::Json => {
            let list: Vec<serde_json::Value> = environments
                .iter()
                .map(|environment| serde_json::json!({"name": environment.name, "path": environment.path, "valid": true}))
                .collect();
            format!("{}\n", serde_json::json!({"environments": list}))
        }
        other => return Err(unsupported("validate", other, "text, json")),
    };
    write_out(out, &text)?;
    Ok(ExitStatus::Success)
}
