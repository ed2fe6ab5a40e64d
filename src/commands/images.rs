//! `omrs-gitops images [ENV...]`: every container image the rendered templates reference.

use super::{unsupported, write_out, Out};
use crate::cli::{Format, ImagesArgs};
use crate::exit::{ExitStatus, Failure};
use crate::pipeline::images::collect_images;
use crate::report::images as writers;
use crate::source::Source;
use crate::workspace::{load_all, render_all, resolve};

pub fn run(source: &dyn Source, args: &ImagesArgs, out: Out<'_>) -> Result<ExitStatus, Failure> {
    if !matches!(args.format, Format::Text | Format::Json) {
        return Err(unsupported("images", args.format, "text, json"));
    }
    let refs = resolve(source, &args.environments)?;
    let rendered = render_all(source, load_all(source, &refs)?)?;
    let report = collect_images(&rendered)?;
    let text = match args.format {
        Format::Json => writers::json(&report),
        _ => writers::text(&report),
    };
    write_out(out, &text)?;
    Ok(ExitStatus::Success)
}
