//! The `plan` stage: everything a reviewer needs about every environment, compared with the base commit.
//!
//! Offline (`plan --offline`): render the work tree and the base, check both with the rule packs (findings new
//! and fixed by the change), list the images both run (which containers' references changed) and diff the
//! templates. Online, in addition: resolve every image's digest (head and base), render `images.pin`
//! environments by digest, scan the images (vulnerabilities new and fixed by the change) and create a change set
//! per environment, in parallel. A failure of one environment is part of that environment's review and never
//! hides the others'; bad input in the work tree fails the whole plan before anything is uploaded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::check::{check_rendered, CheckOptions, CheckRow, CheckedTemplate};
use super::images::{
    registry_failure, resolve_each, scan_environment, EnvironmentScan, ScanCache, ScanSettings,
};
use super::offline::{base_rendered, BaseTemplate, EnvironmentPlan};
use super::online::{plan_change_sets, resolve_commit, EnvironmentChangeSet};
use super::redact::Redactor;
use crate::cloud::AwsSettings;
use crate::config::NamedEnvironment;
use crate::diff::diff;
use crate::exit::{ExitStatus, Failure};
use crate::images::scan::{Clock, Vulnerability};
use crate::images::{collect, CollectedImage, DigestResolver};
use crate::rules::Level;
use crate::source::{GitSource, Source};
use crate::workspace::{load_all, render_all, render_all_pinned, resolve, RenderedEnvironment};

/// What reaches the outside world in an online plan.
pub struct Online<'a> {
    /// The commit change sets are bound to (the flag or `GITHUB_SHA`; else HEAD).
    pub commit: Option<String>,
    pub aws: AwsSettings,
    pub resolver: &'a dyn DigestResolver,
    pub scan: ScanSettings<'a>,
    pub clock: &'a mut dyn Clock,
}

/// How a plan compares and judges.
pub struct PlanOptions<'a> {
    /// The git reference to compare with (`HEAD~1`, `origin/main`).
    pub base: &'a str,
    pub check: CheckOptions,
}

/// The review of every environment.
#[derive(Debug)]
pub struct Review {
    /// The base as the user named it.
    pub base_reference: String,
    /// The base commit's full SHA, when it resolved.
    pub base_commit: Option<String>,
    /// Why the base could not be read, when it could not.
    pub base_problem: Option<String>,
    /// The commit change sets are bound to; `None` offline.
    pub commit: Option<String>,
    pub environments: Vec<EnvironmentReview>,
}

/// What a reviewer needs about one environment.
#[derive(Debug)]
pub struct EnvironmentReview {
    /// The template that is planned (by digest with `images.pin` once resolved) and its diff against the base.
    pub plan: EnvironmentPlan,
    pub compliance: ComplianceReview,
    pub images: ImagesReview,
    /// The change set; `None` offline.
    pub change_set: Option<EnvironmentChangeSet>,
}

/// The rule packs' verdicts on the planned template, and what the change does to them.
#[derive(Debug)]
pub struct ComplianceReview {
    pub checked: CheckedTemplate,
    pub fail_on: Level,
    /// Unsuppressed findings the base did not have.
    pub new: Vec<CheckRow>,
    /// Unsuppressed findings of the base that are gone.
    pub fixed: Vec<CheckRow>,
    /// Whether the base was checked (new and fixed are empty when it was not).
    pub base_checked: bool,
}

impl ComplianceReview {
    pub fn passed(&self) -> bool {
        self.checked.passed(self.fail_on)
    }

    pub fn blocking(&self) -> usize {
        self.checked.blocking(self.fail_on).count()
    }
}

/// How an image compares with what the same containers ran at the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageChange {
    /// No container that runs it existed at the base.
    Added,
    Unchanged,
    /// Another digest (when both are known) or another reference.
    Changed,
}

/// One image of the planned template.
#[derive(Debug, Clone)]
pub struct ReviewedImage {
    pub image: CollectedImage,
    /// Written or resolved; `None` offline for a tag.
    pub digest: Option<String>,
    /// What the same containers ran at the base: the reference as written, and its digest when known.
    pub base: Option<(String, Option<String>)>,
    pub change: ImageChange,
}

/// Vulnerabilities the change brings and removes: by repository, vulnerability ID and package.
#[derive(Debug, Clone, Default)]
pub struct VulnerabilityDelta {
    pub new: Vec<Vulnerability>,
    pub fixed: Vec<Vulnerability>,
}

/// The images of one environment.
#[derive(Debug, Default)]
pub struct ImagesReview {
    pub images: Vec<ReviewedImage>,
    /// Images the base ran that no container runs any more, as written.
    pub removed: Vec<String>,
    /// Digests were looked up (online).
    pub resolved: bool,
    /// The planned template runs its images by digest (`images.pin`, digests resolved).
    pub pinned: bool,
    /// A registry failed for this environment's images.
    pub error: Option<Failure>,
    /// The vulnerability gate, with `images.scan` online.
    pub scan: Option<EnvironmentScan>,
    pub scan_error: Option<Failure>,
    /// New and fixed against the base, when the base's images were scanned too.
    pub vulnerabilities: Option<VulnerabilityDelta>,
    /// Why the comparison with the base is incomplete (base digests or scans that failed).
    pub base_notes: Vec<String>,
}

/// Where an environment's plan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A service or an input failed: the review is incomplete.
    Failed,
    /// A gate says no: compliance, vulnerabilities, or a stateful resource that apply would refuse.
    Blocked,
    /// Nothing to change (the change set is empty; offline, the template equals the base's).
    NoChanges,
    /// Changes that pass every gate.
    Ready,
}

impl EnvironmentReview {
    pub fn name(&self) -> &str {
        &self.plan.environment.name
    }

    /// The failures of this environment, most severe first.
    pub fn failures(&self) -> Vec<&Failure> {
        let mut failures: Vec<&Failure> = [
            self.images.error.as_ref(),
            self.images.scan_error.as_ref(),
            self.change_set
                .as_ref()
                .and_then(|item| item.result.as_ref().err()),
        ]
        .into_iter()
        .flatten()
        .collect();
        failures.sort_by_key(|failure| severity(failure.status));
        failures
    }

    /// Stateful resources the change set replaces or removes that the environment file does not allow.
    pub fn refused_stateful(&self) -> usize {
        self.change_set
            .as_ref()
            .and_then(|item| item.result.as_ref().ok())
            .map_or(0, |plan| {
                plan.flags.iter().filter(|flag| !flag.allowed).count()
            })
    }

    /// Every gate passes: compliance, vulnerabilities, and no stateful resource apply would refuse.
    pub fn passed(&self) -> bool {
        self.compliance.passed()
            && self
                .images
                .scan
                .as_ref()
                .is_none_or(|scan| scan.gate.passed())
            && self.refused_stateful() == 0
    }

    /// Whether there is something to apply.
    pub fn has_changes(&self) -> bool {
        match &self.change_set {
            Some(item) => !matches!(&item.result, Ok(plan) if plan.change_set.is_none()),
            None => !self.plan.diff.is_empty(),
        }
    }

    pub fn verdict(&self) -> Verdict {
        if !self.failures().is_empty() {
            Verdict::Failed
        } else if !self.passed() {
            Verdict::Blocked
        } else if self.has_changes() {
            Verdict::Ready
        } else {
            Verdict::NoChanges
        }
    }

    /// Nothing to change and nothing to say: no new or fixed finding, no image change, no new vulnerability.
    pub fn is_quiet(&self) -> bool {
        self.verdict() == Verdict::NoChanges
            && self.compliance.new.is_empty()
            && self.compliance.fixed.is_empty()
            && self.images.removed.is_empty()
            && self
                .images
                .images
                .iter()
                .all(|image| image.change == ImageChange::Unchanged)
            && self
                .images
                .vulnerabilities
                .as_ref()
                .is_none_or(|delta| delta.new.is_empty() && delta.fixed.is_empty())
    }
}

fn severity(status: ExitStatus) -> u8 {
    match status {
        ExitStatus::ServiceFailed => 0,
        ExitStatus::BadInput => 1,
        ExitStatus::GateFailed => 2,
        ExitStatus::Success => 3,
    }
}

impl Review {
    /// Every environment passed every gate and nothing failed.
    pub fn passed(&self) -> bool {
        self.environments
            .iter()
            .all(|item| item.failures().is_empty() && item.passed())
    }

    /// The most severe outcome: a service failure (3), then bad input (2), then a gate (1), else success.
    pub fn status(&self) -> ExitStatus {
        let failed = self
            .environments
            .iter()
            .flat_map(|item| item.failures())
            .map(|failure| failure.status)
            .min_by_key(|status| severity(*status));
        match failed {
            Some(status) => status,
            None if self.passed() => ExitStatus::Success,
            None => ExitStatus::GateFailed,
        }
    }
}

/// One environment while it is being reviewed.
struct Draft {
    head: RenderedEnvironment,
    base: Option<RenderedEnvironment>,
    base_state: BaseTemplate,
    head_images: Vec<CollectedImage>,
    base_images: Option<Vec<CollectedImage>>,
    images: ImagesReview,
}

/// Reviews `arguments` (environment names or paths; none means all) in `work_tree` against `options.base`;
/// online when `online` is given.
pub fn review(
    work_tree: &dyn Source,
    root: &Path,
    arguments: &[String],
    options: &PlanOptions<'_>,
    mut online: Option<Online<'_>>,
) -> Result<Review, Failure> {
    let refs = resolve(work_tree, arguments)?;
    let head = render_all(work_tree, load_all(work_tree, &refs)?)?;
    let commit = match &online {
        Some(online) => Some(resolve_commit(root, online.commit.as_deref())?),
        None => None,
    };
    let (base_source, base_problem) = match GitSource::open(root, options.base) {
        Ok(source) => (Some(source), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let mut drafts = drafts(head, base_source.as_ref())?;
    if let Some(online) = &mut online {
        let mut digests = BTreeMap::new();
        resolve_and_pin(
            &mut drafts,
            work_tree,
            base_source.as_ref(),
            online,
            &mut digests,
        )?;
        scan_all(&mut drafts, online, &digests);
        for draft in &mut drafts {
            compare_images(
                &mut draft.images,
                &draft.head_images,
                draft.base_images.as_deref(),
                &digests,
            );
        }
    } else {
        let none = BTreeMap::new();
        for draft in &mut drafts {
            compare_images(
                &mut draft.images,
                &draft.head_images,
                draft.base_images.as_deref(),
                &none,
            );
        }
    }
    let mut environments = Vec::new();
    for draft in drafts {
        let compliance = compliance(&draft, &options.check)?;
        let base_document = draft.base.as_ref().map(|base| &base.rendered.document);
        let mut template_diff = diff(base_document, &draft.head.rendered.document);
        let mut redactor = Redactor::for_template(&draft.head.rendered.document);
        if let Some(document) = base_document {
            redactor.learn(document);
        }
        redactor.diff(&mut template_diff);
        environments.push(EnvironmentReview {
            plan: EnvironmentPlan {
                environment: draft.head.environment,
                rendered: draft.head.rendered,
                base: draft.base_state,
                diff: template_diff,
            },
            compliance,
            images: draft.images,
            change_set: None,
        });
    }
    if let (Some(online), Some(commit)) = (&online, &commit) {
        plan_all(&mut environments, commit, &online.aws)?;
    }
    Ok(Review {
        base_reference: options.base.to_owned(),
        base_commit: base_source
            .as_ref()
            .map(|source| source.commit().to_owned()),
        base_problem,
        commit,
        environments,
    })
}

/// Renders each environment at the base and collects the images of both sides. An image reference the work
/// tree cannot collect is bad input; the base's problems only leave it out of the comparison.
fn drafts(
    head: Vec<RenderedEnvironment>,
    base_source: Option<&GitSource>,
) -> Result<Vec<Draft>, Failure> {
    let mut drafts = Vec::new();
    let mut problems = Vec::new();
    for item in head {
        let (base, base_state) = match base_source {
            Some(source) => base_rendered(source, &item.environment),
            None => (
                None,
                BaseTemplate::Missing {
                    reason: "the base commit could not be read".to_owned(),
                },
            ),
        };
        let head_images = match collect(&item.rendered.document) {
            Ok(images) => images,
            Err(errors) => {
                problems.extend(
                    errors
                        .iter()
                        .map(|error| format!("{}: {error}", item.environment.path)),
                );
                Vec::new()
            }
        };
        let base_images = base
            .as_ref()
            .and_then(|base| collect(&base.rendered.document).ok());
        drafts.push(Draft {
            head: item,
            base,
            base_state,
            head_images,
            base_images,
            images: ImagesReview::default(),
        });
    }
    if problems.is_empty() {
        Ok(drafts)
    } else {
        Err(Failure::bad_input(problems.join("\n")))
    }
}

/// Resolves the digests of every image of both sides (each reference once), then renders `images.pin`
/// environments again by digest: the work tree to plan, the base to compare with.
fn resolve_and_pin(
    drafts: &mut [Draft],
    work_tree: &dyn Source,
    base_source: Option<&GitSource>,
    online: &Online<'_>,
    digests: &mut BTreeMap<String, String>,
) -> Result<(), Failure> {
    for draft in drafts.iter_mut() {
        draft.images.resolved = true;
        let problems = resolve_each(&draft.head_images, online.resolver, digests);
        draft.images.error = registry_failure(&problems);
        if let Some(base_images) = &draft.base_images {
            let problems = resolve_each(base_images, online.resolver, digests);
            if !problems.is_empty() {
                draft.images.base_notes.push(format!(
                    "some of the base's images could not be resolved, so their digests are not compared: {}",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    // Each side's environments rendered in one call, so each template set is loaded once.
    let pinned: Vec<usize> = (0..drafts.len())
        .filter(|index| {
            let draft = &drafts[*index];
            draft.head.environment.environment.images.pin && draft.images.error.is_none()
        })
        .collect();
    let environments = pinned
        .iter()
        .map(|index| drafts[*index].head.environment.clone())
        .collect();
    for (index, rendered) in pinned
        .iter()
        .zip(render_all_pinned(work_tree, environments, digests)?)
    {
        drafts[*index].head = rendered;
        drafts[*index].images.pinned = true;
    }
    let Some(source) = base_source else {
        return Ok(());
    };
    let bases: Vec<usize> = pinned
        .into_iter()
        .filter(|index| {
            drafts[*index]
                .base
                .as_ref()
                .is_some_and(|base| base.environment.environment.images.pin)
        })
        .collect();
    let environments = bases
        .iter()
        .filter_map(|index| drafts[*index].base.as_ref())
        .map(|base| base.environment.clone())
        .collect();
    // The base only serves the comparison: if it does not render by digest, it stays as rendered by tag.
    if let Ok(rendered) = render_all_pinned(source, environments, digests) {
        for (index, base) in bases.iter().zip(rendered) {
            drafts[*index].base_state = BaseTemplate::Rendered {
                sha256: base.rendered.sha256.clone(),
            };
            drafts[*index].base = Some(base);
        }
    }
    Ok(())
}

/// Scans the images of every environment with `images.scan` (the work tree's, then the base's with the same
/// settings, each ECR digest once) and works out which vulnerabilities the change brings and removes.
fn scan_all(drafts: &mut [Draft], online: &mut Online<'_>, digests: &BTreeMap<String, String>) {
    let mut cache = ScanCache::default();
    for draft in drafts.iter_mut() {
        let environment = &draft.head.environment;
        match scan_environment(
            environment,
            &draft.head_images,
            digests,
            &online.scan,
            &mut cache,
            online.clock,
        ) {
            None => continue,
            Some(Err(problems)) => {
                draft.images.scan_error = Some(Failure::service(problems.join("\n")));
                continue;
            }
            Some(Ok(scan)) => draft.images.scan = Some(scan),
        }
        let Some(base_images) = &draft.base_images else {
            continue;
        };
        match scan_environment(
            environment,
            base_images,
            digests,
            &online.scan,
            &mut cache,
            online.clock,
        ) {
            Some(Ok(base_scan)) => {
                if let Some(scan) = &draft.images.scan {
                    draft.images.vulnerabilities = Some(vulnerability_delta(
                        &draft.head_images,
                        scan,
                        base_images,
                        &base_scan,
                    ));
                }
            }
            Some(Err(problems)) => draft.images.base_notes.push(format!(
                "the base's images could not be scanned, so new and fixed vulnerabilities are not shown: {}",
                problems.join("; ")
            )),
            None => {}
        }
    }
}

/// The repository an image comes from (`registry/repository`): the key that lets a vulnerability of
/// `backend:3.1` be fixed by `backend:3.2`.
fn repository_of(images: &[CollectedImage], written: &str) -> String {
    images
        .iter()
        .find(|image| image.written == written)
        .map_or_else(
            || written.to_owned(),
            |image| {
                format!(
                    "{}/{}",
                    image.reference.registry, image.reference.repository
                )
            },
        )
}

/// Vulnerabilities (after the gate's `--ignore-unfixed`) the head has and the base had not, and the reverse.
pub fn vulnerability_delta(
    head_images: &[CollectedImage],
    head: &EnvironmentScan,
    base_images: &[CollectedImage],
    base: &EnvironmentScan,
) -> VulnerabilityDelta {
    let keys = |images: &[CollectedImage],
                scan: &EnvironmentScan|
     -> BTreeMap<(String, String, String), Vulnerability> {
        scan.gate
            .findings
            .iter()
            .map(|finding| {
                let v = &finding.vulnerability;
                (
                    (
                        repository_of(images, &v.image),
                        v.cve.clone(),
                        v.package.clone(),
                    ),
                    v.clone(),
                )
            })
            .collect()
    };
    let now = keys(head_images, head);
    let before = keys(base_images, base);
    VulnerabilityDelta {
        new: now
            .iter()
            .filter(|(key, _)| !before.contains_key(*key))
            .map(|(_, v)| v.clone())
            .collect(),
        fixed: before
            .iter()
            .filter(|(key, _)| !now.contains_key(*key))
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

/// Matches each image of the head with what the same containers (task definition and container name) ran at
/// the base.
pub fn compare_images(
    review: &mut ImagesReview,
    head: &[CollectedImage],
    base: Option<&[CollectedImage]>,
    digests: &BTreeMap<String, String>,
) {
    let digest_of = |image: &CollectedImage| {
        image
            .reference
            .digest
            .clone()
            .or_else(|| digests.get(&image.written).cloned())
    };
    review.images = head
        .iter()
        .map(|image| {
            let digest = digest_of(image);
            let before = base
                .into_iter()
                .flatten()
                .find(|candidate| image.shares_container(candidate));
            let change = match before {
                None => ImageChange::Added,
                Some(before) => match (&digest, digest_of(before)) {
                    (Some(now), Some(then)) if *now == then => ImageChange::Unchanged,
                    (Some(_), Some(_)) => ImageChange::Changed,
                    _ if before.written == image.written => ImageChange::Unchanged,
                    _ => ImageChange::Changed,
                },
            };
            ReviewedImage {
                image: image.clone(),
                digest,
                base: before.map(|before| (before.written.clone(), digest_of(before))),
                change,
            }
        })
        .collect();
    let removed: BTreeSet<String> = base
        .into_iter()
        .flatten()
        .filter(|before| !head.iter().any(|image| image.shares_container(before)))
        .map(|before| before.written.clone())
        .collect();
    review.removed = removed.into_iter().collect();
}

/// Checks the planned template and the base's, and sorts the unsuppressed findings into new and fixed.
fn compliance(draft: &Draft, options: &CheckOptions) -> Result<ComplianceReview, Failure> {
    let head = &draft.head;
    let checked = check_rendered(&head.environment, &head.rendered, &head.set, options)?;
    let base = draft.base.as_ref().and_then(|base| {
        check_rendered(&base.environment, &base.rendered, &base.set, options).ok()
    });
    let key = |row: &CheckRow| (row.rule.id, row.logical_id.clone(), row.finding.clone());
    let (new, fixed) = match &base {
        None => (Vec::new(), Vec::new()),
        Some(base) => {
            let before: BTreeSet<_> = base.failing().map(key).collect();
            let now: BTreeSet<_> = checked.failing().map(key).collect();
            (
                checked
                    .failing()
                    .filter(|row| !before.contains(&key(row)))
                    .cloned()
                    .collect(),
                base.failing()
                    .filter(|row| !now.contains(&key(row)))
                    .cloned()
                    .collect(),
            )
        }
    };
    Ok(ComplianceReview {
        checked,
        fail_on: options.fail_on,
        new,
        fixed,
        base_checked: base.is_some(),
    })
}

/// Creates the change sets of every environment in parallel. An `images.pin` environment whose digests could
/// not be resolved is not planned: its template would not be the one that runs.
fn plan_all(
    environments: &mut [EnvironmentReview],
    commit: &str,
    aws: &AwsSettings,
) -> Result<(), Failure> {
    let ready: Vec<usize> = (0..environments.len())
        .filter(|index| {
            let item = &environments[*index];
            !(item.plan.environment.environment.images.pin && item.images.error.is_some())
        })
        .collect();
    let pairs: Vec<(&NamedEnvironment, &crate::render::Rendered)> = ready
        .iter()
        .map(|index| {
            let plan = &environments[*index].plan;
            (&plan.environment, &plan.rendered)
        })
        .collect();
    let planned = plan_change_sets(&pairs, commit, aws)?;
    for (index, change_set) in ready.into_iter().zip(planned) {
        environments[index].change_set = Some(change_set);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{ImageRef, ImageUse};

    fn image(written: &str, task: &str, container: &str) -> CollectedImage {
        CollectedImage {
            reference: ImageRef::parse(written).expect("valid reference"),
            written: written.to_owned(),
            uses: vec![ImageUse {
                task_definition: task.to_owned(),
                container: container.to_owned(),
                image: written.to_owned(),
            }],
        }
    }

    #[test]
    fn images_are_matched_by_container_and_compared_by_digest_then_reference() {
        let head = vec![
            image("openmrs/backend:3.2", "Task", "backend"),
            image("openmrs/frontend:3.1", "Task", "frontend"),
            image("openmrs/gateway:3.1", "Task", "gateway"),
            image("amazon/aws-cli:2", "Seed", "seed"),
        ];
        let base = vec![
            image("openmrs/backend:3.1", "Task", "backend"),
            image("openmrs/frontend:3.1", "Task", "frontend"),
            image("openmrs/gateway:3.1", "Task", "gateway"),
            image("busybox:1", "Old", "helper"),
        ];
        let mut review = ImagesReview::default();
        compare_images(&mut review, &head, Some(&base), &BTreeMap::new());
        let changes: Vec<ImageChange> = review.images.iter().map(|item| item.change).collect();
        assert_eq!(
            changes,
            vec![
                ImageChange::Changed,
                ImageChange::Unchanged,
                ImageChange::Unchanged,
                ImageChange::Added
            ]
        );
        assert_eq!(review.removed, vec!["busybox:1".to_owned()]);
        // With digests: the same tag that moved is a change; another tag with the same digest is not.
        let digests: BTreeMap<String, String> = [
            ("openmrs/backend:3.2", "sha256:aa"),
            ("openmrs/backend:3.1", "sha256:aa"),
            ("openmrs/frontend:3.1", "sha256:bb"),
        ]
        .into_iter()
        .map(|(written, digest)| (written.to_owned(), digest.to_owned()))
        .collect();
        compare_images(&mut review, &head, Some(&base), &digests);
        assert_eq!(review.images[0].change, ImageChange::Unchanged);
        assert_eq!(
            review.images[0].base,
            Some((
                "openmrs/backend:3.1".to_owned(),
                Some("sha256:aa".to_owned())
            ))
        );
        compare_images(&mut review, &head, None, &digests);
        assert!(review
            .images
            .iter()
            .all(|item| item.change == ImageChange::Added));
    }
}
