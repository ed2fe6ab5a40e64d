//! `omrs-gitops render [ENV...] [--out DIR]`: render templates and print their SHA-256.

use super::{unsupported, write_out, Out};
use crate::cli::{Format, RenderArgs};
use crate::exit::{ExitStatus, Failure};
use crate::source::Source;
use crate::workspace::{load_all, render_all, resolve};

pub fn run(source: &dyn Source, args: &RenderArgs, out: Out<'_>) -> Result<ExitStatus, Failure> {
    if !matches!(args.envs.format, Format::Text | Format::Json) {
        return Err(unsupported("render", args.envs.format, "text, json"));
    }
    let refs = resolve(source, &args.envs.environments)?;
    let rendered = render_all(source, load_all(source, &refs)?)?;
    // Everything rendered: only now touch the disk, so bad input never leaves partial output behind.
    let mut written = Vec::new();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|error| {
            Failure::service(format!("cannot create `{}`: {error}", dir.display()))
        })?;
        for item in &rendered {
            let path = dir.join(format!("{}.template.json", item.environment.name));
            std::fs::write(&path, &item.rendered.json).map_err(|error| {
                Failure::service(format!("cannot write `{}`: {error}", path.display()))
            })?;
            written.push(path.display().to_string());
        }
    }
    let text = match args.envs.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rendered
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    serde_json::json!({
                        "name": item.environment.name,
                        "sha256": item.rendered.sha256,
                        "bytes": item.rendered.json.len(),
                        "resources": item.rendered.resource_count(),
                        "path": written.get(index),
                    })
                })
                .collect();
            format!("{}\n", serde_json::json!({"templates": list}))
        }
        _ => rendered
            .iter()
            .enumerate()
            .map(|(index, item)| {
                format!(
                    "{}  {}  {} resources, {} bytes{}\n",
                    item.rendered.sha256,
                    item.environment.name,
                    item.rendered.resource_count(),
                    item.rendered.json.len(),
                    written
                        .get(index)
                        .map(|path| format!(" -> {path}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
    };
    write_out(out, &text)?;
    Ok(ExitStatus::Success)
}
