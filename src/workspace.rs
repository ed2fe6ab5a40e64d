//! Turning `ENV...` arguments into loaded environments and rendered templates, from any `Source`.
//!
//! Shared by every command so that `validate`, `render`, `diff` and `plan` resolve names, report errors and
//! render identically.

use std::rc::Rc;

use crate::config::{load_str, EnvironmentRef, NamedEnvironment, PIPELINES_DIR};
use crate::exit::Failure;
use crate::render::{render_pinned, Rendered, TemplateSet};
use crate::source::Source;

/// The environments named on the command line, or every `pipelines/*.yaml` (sorted) when none is.
pub fn resolve(source: &dyn Source, arguments: &[String]) -> Result<Vec<EnvironmentRef>, Failure> {
    if !arguments.is_empty() {
        let mut refs: Vec<EnvironmentRef> = arguments
            .iter()
            .map(|argument| EnvironmentRef::parse(argument))
            .collect();
        refs.dedup();
        return Ok(refs);
    }
    let refs: Vec<EnvironmentRef> = source
        .list(PIPELINES_DIR)?
        .into_iter()
        .filter(|path| !path.contains('/') && (path.ends_with(".yaml") || path.ends_with(".yml")))
        .map(|path| EnvironmentRef::parse(&format!("{PIPELINES_DIR}/{path}")))
        .collect();
    if refs.is_empty() {
        return Err(Failure::bad_input(format!(
            "no environment files in `{PIPELINES_DIR}/` of the {}; run from the repository root (or pass `--root`), or name a file",
            source.describe()
        )));
    }
    Ok(refs)
}

/// Loads and validates every environment, collecting every error of every file before failing.
pub fn load_all(
    source: &dyn Source,
    refs: &[EnvironmentRef],
) -> Result<Vec<NamedEnvironment>, Failure> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for reference in refs {
        match source.read(&reference.path)? {
            None => errors.push(format!(
                "{}: no such environment file in the {}; environments are `pipelines/<name>.yaml`",
                reference.path,
                source.describe()
            )),
            Some(text) => match load_str(&reference.path, &text) {
                Ok(environment) => loaded.push(NamedEnvironment {
                    name: reference.name.clone(),
                    path: reference.path.clone(),
                    environment,
                }),
                Err(problems) => errors.extend(problems.0.iter().map(ToString::to_string)),
            },
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(Failure::bad_input(errors.join("\n")))
    }
}

/// One environment and its rendered template.
#[derive(Debug, Clone)]
pub struct RenderedEnvironment {
    pub environment: NamedEnvironment,
    pub rendered: Rendered,
    /// The template set it was rendered with (shared by environments of the same set), for locating resources.
    pub set: Rc<TemplateSet>,
}

/// Renders every environment with its template set, read from the same `source`.
pub fn render_all(
    source: &dyn Source,
    environments: Vec<NamedEnvironment>,
) -> Result<Vec<RenderedEnvironment>, Failure> {
    render_all_pinned(source, environments, &std::collections::BTreeMap::new())
}

/// `render_all` with resolved image digests, which environments with `images.pin` run by digest.
pub fn render_all_pinned(
    source: &dyn Source,
    environments: Vec<NamedEnvironment>,
    digests: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<RenderedEnvironment>, Failure> {
    let mut sets: Vec<Rc<TemplateSet>> = Vec::new();
    let mut results = Vec::new();
    for environment in environments {
        let set_name = &environment.environment.stack.template_set;
        let set = match sets.iter().find(|set| &set.name == set_name) {
            Some(set) => Rc::clone(set),
            None => {
                let set = Rc::new(TemplateSet::load(source, set_name)?);
                sets.push(Rc::clone(&set));
                set
            }
        };
        let rendered = render_pinned(&environment.name, &environment.environment, &set, digests)?;
        results.push(RenderedEnvironment {
            environment,
            rendered,
            set,
        });
    }
    Ok(results)
}
