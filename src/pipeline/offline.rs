//! `plan --offline` and `diff`: render the work tree and a base commit, and compare them.

use super::redact::Redactor;
use crate::config::NamedEnvironment;
use crate::diff::{diff, TemplateDiff};
use crate::exit::Failure;
use crate::render::Rendered;
use crate::source::{GitSource, Source};
use crate::workspace::{load_all, render_all, resolve, RenderedEnvironment};

/// What the base commit had for an environment.
#[derive(Debug, Clone)]
pub enum BaseTemplate {
    /// The environment rendered at the base; its hash.
    Rendered { sha256: String },
    /// Nothing to compare with; the reason says why (new environment, unreadable base...).
    Missing { reason: String },
}

/// One environment's offline plan.
#[derive(Debug, Clone)]
pub struct EnvironmentPlan {
    pub environment: NamedEnvironment,
    pub rendered: Rendered,
    pub base: BaseTemplate,
    pub diff: TemplateDiff,
}

impl EnvironmentPlan {
    /// True when the work tree's template is not byte-identical to the base's, or the base has none (a new
    /// environment, an unreadable base, a base that does not render): what `changed` lists.
    pub fn differs_from_base(&self) -> bool {
        match &self.base {
            BaseTemplate::Rendered { sha256 } => *sha256 != self.rendered.sha256,
            BaseTemplate::Missing { .. } => true,
        }
    }
}

/// The offline plan of every environment, with what it was compared with.
#[derive(Debug, Clone)]
pub struct OfflinePlan {
    /// The base as the user named it (`HEAD~1`).
    pub base_reference: String,
    /// The base commit's full SHA, when it resolved.
    pub base_commit: Option<String>,
    /// Why the base could not be read, when it could not.
    pub base_problem: Option<String>,
    pub environments: Vec<EnvironmentPlan>,
}

/// Renders `arguments` in `work_tree` and at `base` and compares them. Bad input in the work tree fails; a
/// base that cannot be read or rendered only marks the comparison as missing.
pub fn offline_plan(
    work_tree: &dyn Source,
    repository_root: &std::path::Path,
    arguments: &[String],
    base: &str,
) -> Result<OfflinePlan, Failure> {
    let refs = resolve(work_tree, arguments)?;
    let current = render_all(work_tree, load_all(work_tree, &refs)?)?;
    let (base_source, base_problem) = match GitSource::open(repository_root, base) {
        Ok(source) => (Some(source), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let mut environments = Vec::new();
    for item in current {
        let (base_document, base_state) = match &base_source {
            None => (
                None,
                BaseTemplate::Missing {
                    reason: "the base commit could not be read".to_owned(),
                },
            ),
            Some(source) => base_render(source, &item.environment),
        };
        let mut template_diff = diff(base_document.as_ref(), &item.rendered.document);
        let mut redactor = Redactor::for_template(&item.rendered.document);
        if let Some(document) = &base_document {
            redactor.learn(document);
        }
        redactor.diff(&mut template_diff);
        environments.push(EnvironmentPlan {
            environment: item.environment,
            rendered: item.rendered,
            base: base_state,
            diff: template_diff,
        });
    }
    Ok(OfflinePlan {
        base_reference: base.to_owned(),
        base_commit: base_source
            .as_ref()
            .map(|source| source.commit().to_owned()),
        base_problem,
        environments,
    })
}

/// Renders one environment as it was in `source`, for comparison.
fn base_render(
    source: &dyn Source,
    environment: &NamedEnvironment,
) -> (Option<serde_json::Value>, BaseTemplate) {
    let (rendered, state) = base_rendered(source, environment);
    (rendered.map(|item| item.rendered.document), state)
}

/// `environment` (a work-tree environment) loaded and rendered as it was in `source` (a base commit), with
/// why there is nothing to compare with when it cannot be.
pub(crate) fn base_rendered(
    source: &dyn Source,
    environment: &NamedEnvironment,
) -> (Option<RenderedEnvironment>, BaseTemplate) {
    let refs = vec![crate::config::EnvironmentRef {
        name: environment.name.clone(),
        path: environment.path.clone(),
    }];
    let missing = |reason: String| (None, BaseTemplate::Missing { reason });
    match source.read(&environment.path) {
        Ok(None) => {
            return missing(format!(
                "`{}` is new: it does not exist at the base",
                environment.path
            ))
        }
        Err(error) => return missing(error.to_string()),
        Ok(Some(_)) => {}
    }
    match load_all(source, &refs).and_then(|loaded| render_all(source, loaded)) {
        Ok(mut items) if !items.is_empty() => {
            let item = items.remove(0);
            let sha256 = item.rendered.sha256.clone();
            (Some(item), BaseTemplate::Rendered { sha256 })
        }
        Ok(_) => missing("nothing rendered at the base".to_owned()),
        Err(failure) => missing(format!(
            "the base version does not render: {}",
            failure.message.lines().next().unwrap_or_default()
        )),
    }
}

/// `diff --base`: like the offline plan, but an unreadable base is an error.
pub fn compare(
    work_tree: &dyn Source,
    repository_root: &std::path::Path,
    arguments: &[String],
    base: &str,
) -> Result<OfflinePlan, Failure> {
    GitSource::open(repository_root, base)?;
    offline_plan(work_tree, repository_root, arguments, base)
}
