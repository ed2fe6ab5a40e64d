//! The images stage: render each environment, collect its images, resolve their digests.

use std::collections::BTreeMap;

use crate::config::NamedEnvironment;
use crate::exit::{ExitStatus, Failure};
use crate::images::{collect, CollectedImage, DigestResolver, RegistryError};
use crate::workspace::RenderedEnvironment;

/// The images of one environment.
#[derive(Debug, Clone)]
pub struct EnvironmentImages {
    pub environment: NamedEnvironment,
    pub images: Vec<CollectedImage>,
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
