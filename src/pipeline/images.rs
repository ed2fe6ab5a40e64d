//! The images stage: render each environment, collect its images, resolve their digests.

use std::collections::BTreeMap;

use crate::config::{NamedEnvironment, ScanMode};
use crate::exit::{ExitStatus, Failure};
use crate::images::gate::{gate, Gate};
use crate::images::scan::{wait_for_scan, Clock, FindingsSource, ScanTarget, Vulnerability};
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
    /// The vulnerability gate, for an environment with `images.scan` once scanned.
    pub scan: Option<EnvironmentScan>,
}

/// The vulnerabilities of one environment's images, through the gate.
#[derive(Debug, Clone)]
pub struct EnvironmentScan {
    pub mode: ScanMode,
    pub gate: Gate,
    /// Images AWS does not scan (not in an ECR private registry), as written.
    pub unscanned: Vec<String>,
}

/// Every environment's images, and the digest of every image reference (as written) that was resolved.
#[derive(Debug, Clone, Default)]
pub struct ImagesReport {
    pub environments: Vec<EnvironmentImages>,
    /// Written reference (`openmrs/backend:3.2.0`) to digest (`sha256:...`).
    pub digests: BTreeMap<String, String>,
}

impl ImagesReport {
    /// Every scanned environment passed its gate.
    pub fn passed(&self) -> bool {
        self.environments
            .iter()
            .filter_map(|item| item.scan.as_ref())
            .all(|scan| scan.gate.passed())
    }

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
                scan: None,
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

/// Resolves every image of `images` that `digests` does not hold yet, adding what resolves. Returns the
/// problems, each once.
pub fn resolve_each(
    images: &[CollectedImage],
    resolver: &dyn DigestResolver,
    digests: &mut BTreeMap<String, String>,
) -> Vec<RegistryError> {
    let mut problems: Vec<RegistryError> = Vec::new();
    for image in images {
        if image.reference.digest.is_some() || digests.contains_key(&image.written) {
            continue;
        }
        match resolver.resolve(&image.reference) {
            Ok(digest) => {
                digests.insert(image.written.clone(), digest);
            }
            Err(error) => {
                if !problems.contains(&error) {
                    problems.push(error);
                }
            }
        }
    }
    problems
}

/// The failure for registry problems: a service failure (exit 3) when a registry could not be reached or
/// failed, which wins over a tag the registry does not have (bad input, exit 2). `None` when there is none.
pub fn registry_failure(problems: &[RegistryError]) -> Option<Failure> {
    if problems.is_empty() {
        return None;
    }
    let status = if problems
        .iter()
        .any(|problem| matches!(problem, RegistryError::Service { .. }))
    {
        ExitStatus::ServiceFailed
    } else {
        ExitStatus::BadInput
    };
    Some(Failure {
        status,
        message: problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// Resolves every image of `report` once. A tag the registry does not have is bad input (exit 2); a registry
/// that cannot be reached or fails is a service failure (exit 3), which wins when both happen.
pub fn resolve_digests(
    report: &mut ImagesReport,
    resolver: &dyn DigestResolver,
) -> Result<(), Failure> {
    let images: Vec<CollectedImage> = report
        .environments
        .iter()
        .flat_map(|item| item.images.iter().cloned())
        .collect();
    let problems = resolve_each(&images, resolver, &mut report.digests);
    registry_failure(&problems).map_or(Ok(()), Err)
}

/// The digests a planned (pinned) template runs, keyed by the references the unpinned template writes: each
/// unpinned image takes the digest of the planned image of the same repository run by the same container.
/// This is how `apply` learns the digests that were reviewed without asking a registry again.
pub fn reviewed_digests(
    unpinned: &[CollectedImage],
    planned: &[CollectedImage],
) -> BTreeMap<String, String> {
    unpinned
        .iter()
        .filter_map(|image| {
            planned
                .iter()
                .find(|candidate| {
                    candidate.reference.registry == image.reference.registry
                        && candidate.reference.repository == image.reference.repository
                        && candidate.shares_container(image)
                })
                .and_then(|candidate| candidate.reference.digest.clone())
                .map(|digest| (image.written.clone(), digest))
        })
        .collect()
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

/// How the scan stage reaches the scanners and the clock.
pub struct ScanSettings<'a> {
    pub inspector: &'a dyn FindingsSource,
    pub ecr_basic: &'a dyn FindingsSource,
    pub ignore_unfixed: bool,
    /// `(year, month, day)`, for allowlist expiry.
    pub today: (i32, u32, u32),
}

/// Findings already read, by (Inspector or ECR basic, repository, digest): each image is read once per scanner
/// however many environments (or base and head) run it.
#[derive(Debug, Default)]
pub struct ScanCache(BTreeMap<(bool, String, String), Vec<Vulnerability>>);

/// Reads the vulnerabilities of every image of every environment with `images.scan` (each ECR image and digest
/// once per scanner), waiting for running scans within the environment's `images.scan_timeout_seconds`, and
/// applies each environment's gate. Needs resolved digests. A scan that fails or does not finish in time is a
/// service failure (exit 3).
pub fn scan_images(
    report: &mut ImagesReport,
    settings: &ScanSettings<'_>,
    clock: &mut dyn Clock,
) -> Result<(), Failure> {
    let mut cache = ScanCache::default();
    let mut problems = Vec::new();
    for item in &mut report.environments {
        match scan_environment(
            &item.environment,
            &item.images,
            &report.digests,
            settings,
            &mut cache,
            clock,
        ) {
            None => {}
            Some(Ok(scan)) => item.scan = Some(scan),
            Some(Err(errors)) => problems.extend(errors),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::service(problems.join("\n")))
    }
}

/// Scans `images` with `environment`'s `images.scan` settings and applies its gate; `None` when the
/// environment scans nothing (`images.scan: none`). Errors are one line each, prefixed with the file.
pub fn scan_environment(
    environment: &NamedEnvironment,
    images: &[CollectedImage],
    digests: &BTreeMap<String, String>,
    settings: &ScanSettings<'_>,
    cache: &mut ScanCache,
    clock: &mut dyn Clock,
) -> Option<Result<EnvironmentScan, Vec<String>>> {
    let settings_of = &environment.environment.images;
    let source = match settings_of.scan {
        ScanMode::None => return None,
        ScanMode::Inspector => settings.inspector,
        ScanMode::EcrBasic => settings.ecr_basic,
    };
    let inspector = settings_of.scan == ScanMode::Inspector;
    let timeout = std::time::Duration::from_secs(settings_of.scan_timeout_seconds.into());
    let mut findings = Vec::new();
    let mut unscanned = Vec::new();
    let mut problems = Vec::new();
    for image in images {
        let digest = image
            .reference
            .digest
            .clone()
            .or_else(|| digests.get(&image.written).cloned());
        let (Some(registry), Some(digest)) = (image.reference.ecr_registry(), digest) else {
            unscanned.push(image.written.clone());
            continue;
        };
        let key = (
            inspector,
            image.reference.repository.clone(),
            digest.clone(),
        );
        if let Some(known) = cache.0.get(&key) {
            findings.extend(known.iter().map(|finding| Vulnerability {
                image: image.written.clone(),
                ..finding.clone()
            }));
            continue;
        }
        let target = ScanTarget {
            image: image.written.clone(),
            region: registry.region,
            registry_id: registry.account,
            repository: image.reference.repository.clone(),
            digest,
        };
        match wait_for_scan(source, &target, timeout, clock) {
            Ok(found) => {
                cache.0.insert(key, found.clone());
                findings.extend(found);
            }
            Err(error) => problems.push(format!("{}: {error}", environment.path)),
        }
    }
    if !problems.is_empty() {
        return Some(Err(problems));
    }
    Some(Ok(EnvironmentScan {
        mode: settings_of.scan,
        gate: gate(
            findings,
            &settings_of.fail_on,
            &settings_of.allowlist,
            settings.ignore_unfixed,
            settings.today,
        ),
        unscanned,
    }))
}
