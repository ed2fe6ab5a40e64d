//! Where environment files and templates are read from: the work tree, or a commit (for `diff --base`).
//!
//! Both implement `Source`, so `config` and `render` never know whether they read the disk or a git tree, and
//! `diff` never touches the work tree.

use std::path::{Path, PathBuf};

/// A failure to read the repository's files.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` at `{reference}` is not UTF-8 text")]
    NotText { path: String, reference: String },
    #[error("git: {message}")]
    Git { message: String },
}

/// Read access to a repository snapshot. Paths are relative to the repository root and use `/`.
pub trait Source {
    /// The file's text, or `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<String>, SourceError>;
    /// Every file below `dir`, recursively, as paths relative to `dir`, sorted.
    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError>;
    /// How to name this snapshot in messages: `work tree` or the git reference.
    fn describe(&self) -> String;
}

/// The files on disk under `root`.
#[derive(Debug, Clone)]
pub struct DiskSource {
    pub root: PathBuf,
}

impl DiskSource {
    pub fn new(root: impl Into<PathBuf>) -> DiskSource {
        DiskSource { root: root.into() }
    }
}

impl Source for DiskSource {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        match std::fs::read_to_string(self.root.join(path)) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SourceError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let base = self.root.join(dir);
        let mut files = Vec::new();
        walk(&base, &base, &mut files).map_err(|source| SourceError::Io {
            path: dir.to_owned(),
            source,
        })?;
        files.sort();
        Ok(files)
    }

    fn describe(&self) -> String {
        "work tree".to_owned()
    }
}

fn walk(base: &Path, dir: &Path, files: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(base, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(base) {
            files.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// The files of one commit, read from the object database without checking anything out.
pub struct GitSource {
    repository: git2::Repository,
    tree: git2::Oid,
    reference: String,
    commit: String,
    /// Where the work tree's root sits inside the repository (empty when they coincide).
    prefix: String,
}

impl GitSource {
    /// Opens the repository containing `root` and resolves `reference` (a branch, tag, SHA or `HEAD~1`).
    pub fn open(root: &Path, reference: &str) -> Result<GitSource, SourceError> {
        let git = |error: git2::Error| SourceError::Git {
            message: error.message().to_owned(),
        };
        let repository = git2::Repository::discover(root).map_err(git)?;
        let object = repository.revparse_single(reference).map_err(|error| SourceError::Git {
            message: format!(
                "cannot resolve `{reference}`: {}; fetch it first (in Actions: `fetch-depth: 0`) or pass another `--base`",
                error.message()
            ),
        })?;
        let commit = object.peel_to_commit().map_err(git)?;
        let tree = commit.tree().map_err(git)?.id();
        let commit_id = commit.id().to_string();
        drop(commit);
        drop(object);
        let prefix = match (repository.workdir(), root.canonicalize()) {
            (Some(workdir), Ok(root)) => workdir
                .canonicalize()
                .ok()
                .and_then(|workdir| root.strip_prefix(workdir).ok().map(Path::to_path_buf))
                .map(|relative| relative.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        Ok(GitSource {
            commit: commit_id,
            repository,
            tree,
            reference: reference.to_owned(),
            prefix,
        })
    }

    /// The full SHA of the commit this source reads.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    fn full(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_owned()
        } else if path.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}/{path}", self.prefix)
        }
    }

    fn tree(&self) -> Result<git2::Tree<'_>, SourceError> {
        self.repository
            .find_tree(self.tree)
            .map_err(|error| SourceError::Git {
                message: error.message().to_owned(),
            })
    }
}

impl Source for GitSource {
    fn read(&self, path: &str) -> Result<Option<String>, SourceError> {
        let tree = self.tree()?;
        let Ok(entry) = tree.get_path(Path::new(&self.full(path))) else {
            return Ok(None);
        };
        let Ok(blob) = entry
            .to_object(&self.repository)
            .and_then(|object| object.peel_to_blob())
        else {
            return Ok(None);
        };
        String::from_utf8(blob.content().to_vec())
            .map(Some)
            .map_err(|_| SourceError::NotText {
                path: path.to_owned(),
                reference: self.reference.clone(),
            })
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let tree = self.tree()?;
        let full = self.full(dir);
        let subtree = if full.is_empty() {
            tree
        } else {
            let Ok(entry) = tree.get_path(Path::new(&full)) else {
                return Ok(Vec::new());
            };
            match entry
                .to_object(&self.repository)
                .and_then(|object| object.peel_to_tree())
            {
                Ok(subtree) => subtree,
                Err(_) => return Ok(Vec::new()),
            }
        };
        let mut files = Vec::new();
        subtree
            .walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) {
                    if let Some(name) = entry.name() {
                        files.push(format!("{parent}{name}"));
                    }
                }
                git2::TreeWalkResult::Ok
            })
            .map_err(|error| SourceError::Git {
                message: error.message().to_owned(),
            })?;
        files.sort();
        Ok(files)
    }

    fn describe(&self) -> String {
        let short: String = self.commit.chars().take(12).collect();
        format!("{} ({short})", self.reference)
    }
}
