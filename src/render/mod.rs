//! Rendering an `Environment` into one CloudFormation JSON document with minijinja.
//!
//! A template set is a folder `templates/<set>/`: each `*.json.j2` file (not starting with `_`) renders one
//! fragment, fragments merge by section in file-name order, and `lambda/*.py` files are inlined through the
//! `lambda_source("name.py")` function. Files starting with `_` are includes and macros.
//!
//! Invariant: rendering is a pure function of (environment name, Environment, template files): the same inputs
//! give the same bytes and the same SHA-256.
//! Invariant: every value reaches the output through minijinja's JSON auto-escaping, so no environment value can
//! add CloudFormation structure; templates never use `|safe`.

mod context;
mod merge;

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{AutoEscape, UndefinedBehavior};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use context::{pull_through_prefix, through_cache, Context, ELB_LOG_ACCOUNTS};
pub use merge::strip_trailing_commas;

use crate::config::Environment;
use crate::source::{Source, SourceError};

/// The folder holding template sets, relative to the repository root.
pub const TEMPLATES_DIR: &str = "templates";

/// Largest inline Lambda source CloudFormation accepts in `Code.ZipFile`, in bytes.
pub const INLINE_LAMBDA_LIMIT: usize = 4096;

/// The files of one template set, by path relative to the set's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSet {
    pub name: String,
    pub files: BTreeMap<String, String>,
}

impl TemplateSet {
    /// Reads `templates/<name>/` from `source`.
    pub fn load(source: &dyn Source, name: &str) -> Result<TemplateSet, RenderError> {
        let dir = format!("{TEMPLATES_DIR}/{name}");
        let mut files = BTreeMap::new();
        for path in source.list(&dir)? {
            if let Some(text) = source.read(&format!("{dir}/{path}"))? {
                files.insert(path, text);
            }
        }
        if !files.keys().any(|path| is_fragment(path)) {
            return Err(RenderError::EmptySet {
                set: name.to_owned(),
                snapshot: source.describe(),
            });
        }
        Ok(TemplateSet {
            name: name.to_owned(),
            files,
        })
    }

    fn display_path(&self, file: &str) -> String {
        format!("{TEMPLATES_DIR}/{}/{file}", self.name)
    }
}

fn is_fragment(path: &str) -> bool {
    path.ends_with(".json.j2") && !path.contains('/') && !path.starts_with('_')
}

/// A rendered CloudFormation template.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The exact bytes written by `render --out` and uploaded by `plan`.
    pub json: String,
    /// Lower-case hex SHA-256 of `json`: the identity a change set is bound to.
    pub sha256: String,
    /// The same document, parsed.
    pub document: Value,
}

impl Rendered {
    /// Number of entries under `Resources`.
    pub fn resource_count(&self) -> usize {
        self.document
            .get("Resources")
            .and_then(Value::as_object)
            .map_or(0, Map::len)
    }
}

/// Why a template set could not be rendered. Each names the template file.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("template set `{set}` has no `*.json.j2` files in the {snapshot}; check `stack.template_set` and `templates/{set}/`")]
    EmptySet { set: String, snapshot: String },
    #[error("{file}: {message}")]
    Template { file: String, message: String },
    #[error("{file}: rendered text is not JSON at line {line} column {column}: {message}; run `omrs-gitops render` and inspect the output around that line")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: `{key}` is also defined by an earlier template file; give one of them another logical ID")]
    Duplicate { file: String, key: String },
    #[error("{file}: top-level key `{section}` is not a template section (allowed: {allowed})")]
    UnknownSection {
        file: String,
        section: String,
        allowed: String,
    },
}

/// Renders `environment` with `set`.
pub fn render(
    name: &str,
    environment: &Environment,
    set: &TemplateSet,
) -> Result<Rendered, RenderError> {
    render_pinned(name, environment, set, &BTreeMap::new())
}

/// Renders with resolved digests (written reference to `sha256:...`), which `images.pin` turns into
/// `repository@digest` references. Still pure: the caller resolved the digests.
pub fn render_pinned(
    name: &str,
    environment: &Environment,
    set: &TemplateSet,
    digests: &BTreeMap<String, String>,
) -> Result<Rendered, RenderError> {
    let jinja = jinja_environment(set)?;
    let context = Context::pinned(name, environment, digests);
    let mut document = Map::new();
    document.insert(
        "AWSTemplateFormatVersion".to_owned(),
        Value::from("2010-09-09"),
    );
    document.insert(
        "Description".to_owned(),
        Value::from(format!(
            "OpenMRS on Amazon ECS Fargate, environment `{name}`, template set `{}` (rendered by omrs-gitops; edit the environment file, not this template)",
            set.name
        )),
    );
    for file in set.files.keys().filter(|path| is_fragment(path)) {
        let template = jinja
            .get_template(file)
            .map_err(|error| template_error(set, error))?;
        let text = template
            .render(&context)
            .map_err(|error| template_error(set, error))?;
        let cleaned = strip_trailing_commas(&text);
        let fragment: Map<String, Value> =
            serde_json::from_str(&cleaned).map_err(|error| RenderError::Json {
                file: set.display_path(file),
                line: error.line(),
                column: error.column(),
                message: error.to_string(),
            })?;
        merge::merge_into(&mut document, fragment).map_err(|error| match error {
            merge::MergeError::Duplicate(key) => RenderError::Duplicate {
                file: set.display_path(file),
                key,
            },
            merge::MergeError::UnknownSection(section)
            | merge::MergeError::NotAnObject(section) => RenderError::UnknownSection {
                file: set.display_path(file),
                section,
                allowed: merge::SECTIONS.join(", "),
            },
        })?;
    }
    let document = Value::Object(document);
    let mut json =
        serde_json::to_string_pretty(&document).map_err(|error| RenderError::Template {
            file: set.display_path(""),
            message: error.to_string(),
        })?;
    json.push('\n');
    let sha256 = sha256_hex(json.as_bytes());
    Ok(Rendered {
        json,
        sha256,
        document,
    })
}

/// Where each key is first defined in the set's fragments: the template file and 1-based line of the first line
/// starting with `"<key>":`, in file order. Built once per check so that findings on a rendered template point at
/// the source a reviewer edits without scanning the files for every finding.
pub fn definitions(set: &TemplateSet) -> BTreeMap<String, (String, usize)> {
    let mut found: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (path, text) in set.files.iter().filter(|(path, _)| is_fragment(path)) {
        let shown = set.display_path(path);
        for (index, line) in text.lines().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some((key, _)) = rest.split_once("\":") else {
                continue;
            };
            if !key.contains('"') && !found.contains_key(key) {
                found.insert(key.to_owned(), (shown.clone(), index + 1));
            }
        }
    }
    found
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn jinja_environment(set: &TemplateSet) -> Result<minijinja::Environment<'static>, RenderError> {
    let mut jinja = minijinja::Environment::new();
    jinja.set_undefined_behavior(UndefinedBehavior::Strict);
    jinja.set_auto_escape_callback(|_| AutoEscape::Json);
    jinja.set_keep_trailing_newline(true);
    for (path, text) in &set.files {
        if path.ends_with(".j2") {
            jinja
                .add_template_owned(path.clone(), text.clone())
                .map_err(|error| template_error(set, error))?;
        }
    }
    let files = Arc::new(set.files.clone());
    let set_name = set.name.clone();
    jinja.add_function("lambda_source", move |name: String| -> Result<String, minijinja::Error> {
        let path = format!("lambda/{name}");
        let text = files.get(&path).ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("Lambda source `{TEMPLATES_DIR}/{set_name}/{path}` does not exist"),
            )
        })?;
        if text.len() > INLINE_LAMBDA_LIMIT {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!(
                    "Lambda source `{TEMPLATES_DIR}/{set_name}/{path}` is {} bytes; CloudFormation inlines at most {INLINE_LAMBDA_LIMIT} bytes: shorten it or split the function",
                    text.len()
                ),
            ));
        }
        Ok(text.clone())
    });
    Ok(jinja)
}

fn template_error(set: &TemplateSet, error: minijinja::Error) -> RenderError {
    let file = error
        .name()
        .map(|name| set.display_path(name))
        .unwrap_or_else(|| set.display_path(""));
    let location = error
        .line()
        .map(|line| format!("line {line}: "))
        .unwrap_or_default();
    let detail = error
        .detail()
        .map(|detail| format!(": {detail}"))
        .unwrap_or_default();
    RenderError::Template {
        file,
        message: format!("{location}{}{detail}", error.kind()),
    }
}
