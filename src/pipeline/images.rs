//! The images stage: render each environment, collect its images, resolve their digests.

use std::collections::BTreeMap;

use crate::config::NamedEnvironment;
use crate::exit::{ExitStatus, Failure};
use crate::images::{collect, CollectedImage, DigestResolver, RegistryError};
use crate::render::Rendered;
use crate::source::Source;
use crate::workspace::{render_all_pinned, RenderedEnvironment};

/// The images of one environment.
#[derive(Debug, Clone)]
pub struct EnvironmentImages {
    pub environment: NamedEnvironment,
    pub images: Vec<CollectedImage>,
    /// The template rendered with digests, for an environment with `images.pin` once digests are resolved.
    pub pinned: Option<Rendered>,
}

/// Every environment's images, and the digest of every image reference (as written) that was resolved.
#[derive(Debug, Clone, Default)]
pub struct ImagesReport {
    pub environments: Vec<EnvironmentImages>,
    /// Written reference (`openmrs/backend:3.2.0`) to digest (`sha256:...`).
    pub digests: BTreeMap<String, String>,
}

impl ImagesReport {
    /// The digest of an image: the one it was written with, or the resolved one.
    pub fn digest<'a>(&'a self, image: &'a CollectedImage) -> Option<&'a str> {
        image
            .reference
            .digest
            .as_deref()
            .or_else(|| self.digests.get(&image.written).map(String::as_str))
    }
}

/// Collects the images of rendered environments; every problem of every environment is reported together.
pub fn collect_images(rendered: &[RenderedEnvironment]) -> Result<ImagesReport, Failure> {
    let mut environments = Vec::new();
    let mut problems = Vec::new();
    for item in rendered {
        match collect(&item.rendered.document) {
            Ok(images) => environments.push(EnvironmentImages {
                environment: item.environment.clone(),
                images,
                pinned: None,
            }),
            Err(errors) => problems.extend(
                errors
                    .iter()
                    .map(|error| format!("{}: {error}", item.environment.path)),
            ),
        }
    }
    if problems.is_empty() {
        Ok(ImagesReport {
            environments,
            digests: BTreeMap::new(),
        })
    } else {
        Err(Failure::bad_input(problems.join("\n")))
    }
}

/// Resolves every image of `report` once. A tag the registry does not have is bad input (exit 2); a registry
/// that cannot be reached or fails is a service failure (exit 3), which wins when both happen.
pub fn resolve_digests(
    report: &mut ImagesReport,
    resolver: &dyn DigestResolver,
) -> Result<(), Failure> {
    let mut problems: Vec<RegistryError> = Vec::new();
    let images: Vec<CollectedImage> = report
        .environments
        .iter()
        .flat_map(|item| item.images.iter().cloned())
        .collect();
    for image in images {
        if image.reference.digest.is_some() || report.digests.contains_key(&image.written) {
            continue;
        }
        match resolver.resolve(&image.reference) {
            Ok(digest) => {
                report.digests.insert(image.written.clone(), digest);
            }
            Err(error) => {
                if !problems.contains(&error) {
                    problems.push(error);
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let status = if problems
        .iter()
        .any(|problem| matches!(problem, RegistryError::Service { .. }))
    {
        ExitStatus::ServiceFailed
    } else {
        ExitStatus::BadInput
    };
    Err(Failure {
        status,
        message: problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// Renders every environment with `images.pin` again with the resolved digests (rendering stays pure: the
/// digests were resolved first).
pub fn pin(report: &mut ImagesReport, source: &dyn Source) -> Result<(), Failure> {
    let environments: Vec<NamedEnvironment> = report
        .environments
        .iter()
        .filter(|item| item.environment.environment.images.pin)
        .map(|item| item.environment.clone())
        .collect();
    for rendered in render_all_pinned(source, environments, &report.digests)? {
        if let Some(item) = report
            .environments
            .iter_mut()
            .find(|item| item.environment.path == rendered.environment.path)
        {
            item.pinned = Some(rendered.rendered);
        }
    }
    Ok(())
}
