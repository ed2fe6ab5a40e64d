//! Container images: references found in rendered templates, their digests, their vulnerabilities and the gate.
//!
//! - `reference` parses `[registry/]repository[:tag][@digest]` with Docker's defaults (pure).
//! - `collect` finds every image in a rendered template's task definitions (pure).
//! - `registry` resolves tags to digests over the registry HTTP API (`DigestResolver`, `HttpResolver`).
//! - `scan` reads vulnerabilities from Inspector2 or ECR basic scanning (`FindingsSource`), waiting within a bound.
//! - `gate` applies severities, the allowlist and `--ignore-unfixed` to the findings (pure).
//! - `aws` builds the ECR and Inspector2 clients (and implements `registry::EcrCredentials` and the scan APIs).
//!
//! Network access lives behind small traits so tests can point them at local peers.

pub mod aws;
pub mod collect;
pub mod gate;
pub mod reference;
pub mod registry;
pub mod scan;

pub use collect::{collect, CollectError, CollectedImage, ImageUse};
pub use reference::{valid_digest, EcrRegistry, ImageRef, ReferenceError, DOCKER_HUB};
pub use registry::{DigestResolver, EcrCredentials, HttpResolver, RegistryError};
