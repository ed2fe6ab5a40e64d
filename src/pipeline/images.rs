//! The images stage: render each environment, collect its images (and, later, resolve and scan them).

use crate::config::NamedEnvironment;
use crate::exit::Failure;
use crate::images::{collect, CollectedImage};
use crate::workspace::RenderedEnvironment;

/// The images of one environment.
#[derive(Debug, Clone)]
pub struct EnvironmentImages {
    pub environment: NamedEnvironment,
    pub images: Vec<CollectedImage>,
}

/// Every environment's images.
#[derive(Debug, Clone)]
pub struct ImagesReport {
    pub environments: Vec<EnvironmentImages>,
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
        Ok(ImagesReport { environments })
    } else {
        Err(Failure::bad_input(problems.join("\n")))
    }
}
