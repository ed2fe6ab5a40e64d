//! Environment files (`pipelines/<env>.yaml`): the typed model, loading with positioned errors, cross-field
//! validation and the JSON Schema.
//!
//! Invariant: an `Environment` that leaves this module has passed every rule in `validate`; the renderer never
//! re-checks values.

mod docs;
mod error;
mod load;
mod model;
mod schema;
mod spans;
mod validate;

pub use docs::environment_reference;
pub use error::{ConfigError, ConfigErrors};
pub use load::load_str;
pub use model::{
    AllowlistEntry, Database, Deploy, Dns, DriftIgnore, DriftSettings, Email, Environment,
    Features, Images, Network, ScanMode, Service, Severity, Stack, Suppression,
};
pub use schema::json_schema;
pub use spans::{Position, SpanIndex};
pub use validate::{
    fargate_memory_options, parse_date, partition, FARGATE_SIZES, LOG_RETENTION_DAYS,
};

/// Where shipped environment files live, relative to the repository root.
pub const PIPELINES_DIR: &str = "pipelines";

/// An environment file as named on the command line: its display name and its path relative to the root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EnvironmentRef {
    /// The file stem, `prod` for `pipelines/prod.yaml`; names the rendered template and report sections.
    pub name: String,
    /// Path relative to the repository root (or as given, when outside it).
    pub path: String,
}

impl EnvironmentRef {
    /// Resolves `prod` to `pipelines/prod.yaml`; a value with a `/` or a `.yaml`/`.yml` suffix is a path.
    pub fn parse(argument: &str) -> EnvironmentRef {
        let is_path =
            argument.contains('/') || argument.ends_with(".yaml") || argument.ends_with(".yml");
        let path = if is_path {
            argument.to_owned()
        } else {
            format!("{PIPELINES_DIR}/{argument}.yaml")
        };
        let name = std::path::Path::new(&path)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| argument.to_owned());
        EnvironmentRef { name, path }
    }
}

/// A loaded, validated environment with the name it goes by.
#[derive(Debug, Clone)]
pub struct NamedEnvironment {
    pub name: String,
    pub path: String,
    pub environment: Environment,
}
