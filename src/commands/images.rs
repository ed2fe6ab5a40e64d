//! `omrs-gitops images [ENV...]`: every container image the rendered templates reference, its digest, and
//! with `images.scan` the vulnerability gate.

use super::{unsupported, write_out, Out};
use crate::cli::{Format, GlobalArgs, ImagesArgs};
use crate::exit::{ExitStatus, Failure};
use crate::images::aws::{Aws, AwsSettings};
use crate::images::scan::{EcrBasic, Inspector, SystemClock};
use crate::images::HttpResolver;
use crate::pipeline::images::{collect_images, pin, resolve_digests, scan_images, ScanSettings};
use crate::report::images as writers;
use crate::source::Source;
use crate::workspace::{load_all, render_all, resolve};

pub fn run(
    source: &dyn Source,
    global: &GlobalArgs,
    args: &ImagesArgs,
    out: Out<'_>,
) -> Result<ExitStatus, Failure> {
    if matches!(args.format, Format::Csv) {
        return Err(unsupported(
            "images",
            args.format,
            "text, json, sarif, markdown",
        ));
    }
    let refs = resolve(source, &args.environments)?;
    let rendered = render_all(source, load_all(source, &refs)?)?;
    let mut report = collect_images(&rendered)?;
    if !args.offline {
        let aws = aws_for_images(global)?;
        let resolver = resolver(&aws, &args.registry_endpoints)?;
        resolve_digests(&mut report, &resolver)?;
        pin(&mut report, source)?;
        let settings = ScanSettings {
            inspector: &Inspector {
                ecr: &aws,
                api: &aws,
            },
            ecr_basic: &EcrBasic { api: &aws },
            ignore_unfixed: args.ignore_unfixed,
            today: super::check::today()?,
        };
        scan_images(&mut report, &settings, &mut SystemClock::start())?;
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|error| {
            Failure::service(format!("cannot create `{}`: {error}", dir.display()))
        })?;
        for (item, plain) in report.environments.iter().zip(&rendered) {
            let path = dir.join(format!("{}.template.json", item.environment.name));
            let json = item
                .pinned
                .as_ref()
                .unwrap_or(&plain.rendered)
                .json
                .as_str();
            std::fs::write(&path, json).map_err(|error| {
                Failure::service(format!("cannot write `{}`: {error}", path.display()))
            })?;
        }
    }
    let text = match args.format {
        Format::Json => writers::json(&report),
        Format::Sarif => writers::sarif(&report),
        Format::Markdown => writers::markdown(&report),
        _ => writers::text(&report),
    };
    write_out(out, &text)?;
    Ok(if report.passed() {
        ExitStatus::Success
    } else {
        ExitStatus::GateFailed
    })
}

/// The ECR and Inspector2 clients, from the standard credential chain and `--aws-endpoint-url`.
pub(crate) fn aws_for_images(global: &GlobalArgs) -> Result<Aws, Failure> {
    Aws::new(AwsSettings {
        endpoint_url: global.aws_endpoint_url.clone(),
        no_retries: false,
        static_credentials: None,
    })
    .map_err(Failure::service)
}

/// The registry client, with ECR credentials from `aws` and every `--registry-endpoint REGISTRY=URL`.
pub(crate) fn resolver<'a>(
    aws: &'a Aws,
    endpoints: &[String],
) -> Result<HttpResolver<'a>, Failure> {
    let mut resolver = HttpResolver::new(Some(aws));
    for mapping in endpoints {
        let Some((registry, url)) = mapping.split_once('=') else {
            return Err(Failure::bad_input(format!(
                "`--registry-endpoint {mapping}` is not `REGISTRY=URL`; write for example `registry.example.org=http://127.0.0.1:5000`"
            )));
        };
        resolver = resolver.with_endpoint(registry, url);
    }
    Ok(resolver)
}
