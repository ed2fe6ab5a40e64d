//! Container image references as Docker and ECS read them: `[registry/]repository[:tag][@digest]`.
//!
//! Pure. The rules are distribution's `reference` grammar with Docker's defaults: the first path component is a
//! registry when it contains `.` or `:` or is `localhost`; otherwise the registry is Docker Hub (`docker.io`),
//! and a single-component Docker Hub repository lives under `library/`.

use std::fmt;

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// Registry host (and port): `docker.io`, `public.ecr.aws`, `123456789012.dkr.ecr.us-east-1.amazonaws.com`.
    pub registry: String,
    /// Repository path inside the registry, Docker Hub's `library/` added: `library/nginx`.
    pub repository: String,
    /// Tag, when the reference has one.
    pub tag: Option<String>,
    /// Digest (`sha256:<64 hex>`), when the reference has one.
    pub digest: Option<String>,
    /// The reference as written, without tag and digest (`openmrs/gateway`, not `docker.io/openmrs/gateway`):
    /// what a pinned reference keeps so templates change no more than the digest.
    pub written_name: String,
}

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{reference}` is not an image reference: {problem}")]
pub struct ReferenceError {
    pub reference: String,
    pub problem: String,
}

impl ImageRef {
    /// Parses `reference`.
    pub fn parse(reference: &str) -> Result<ImageRef, ReferenceError> {
        let fail = |problem: &str| ReferenceError {
            reference: reference.to_owned(),
            problem: problem.to_owned(),
        };
        if reference.is_empty() {
            return Err(fail("it is empty"));
        }
        if reference.len() > 255 + 128 + 72 {
            return Err(fail("it is too long"));
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                if !valid_digest(digest) {
                    return Err(fail(
                        "the digest is not `sha256:` followed by 64 lower-case hex digits",
                    ));
                }
                (rest, Some(digest.to_owned()))
            }
            None => (reference, None),
        };
        // A tag is after the last `:` that follows the last `/` (a `:` before it is a registry port).
        let last_slash = rest.rfind('/').map_or(0, |index| index + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(index) => {
                let split = last_slash + index;
                (&rest[..split], Some(rest[split + 1..].to_owned()))
            }
            None => (rest, None),
        };
        if let Some(tag) = &tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                return Err(fail(
                    "the tag may hold letters, digits, `_`, `.` and `-` (at most 128)",
                ));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        {
            return Err(fail(
                "the registry is not a host name with an optional port",
            ));
        }
        if path.is_empty() || !path.split('/').all(valid_component) {
            return Err(fail(
                "the repository must be lower-case path components of letters, digits and `.`, `_`, `-` separators",
            ));
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
            written_name: name.to_owned(),
        })
    }

    /// The tag to resolve: the written one, or `latest` as Docker assumes.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// `written_name@digest`: the reference a pinned template holds.
    pub fn pinned(&self, digest: &str) -> String {
        format!("{}@{digest}", self.written_name)
    }

    /// Is this an Amazon ECR private registry (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]`)?
    pub fn ecr_registry(&self) -> Option<EcrRegistry> {
        let host = self.registry.split(':').next().unwrap_or_default();
        let mut parts = host.split('.');
        let account = parts.next()?;
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if parts.next()? != "dkr" {
            return None;
        }
        let mut next = parts.next()?;
        if next == "ecr-fips" || next == "ecr" {
            next = parts.next()?;
        } else {
            return None;
        }
        let region = next.to_owned();
        let rest: Vec<&str> = parts.collect();
        if rest != ["amazonaws", "com"] && rest != ["amazonaws", "com", "cn"] {
            return None;
        }
        Some(EcrRegistry {
            account: account.to_owned(),
            region,
        })
    }

    /// The canonical, fully qualified form: `docker.io/library/nginx:1.27@sha256:...`.
    pub fn canonical(&self) -> String {
        self.to_string()
    }
}

/// The account and region of an ECR private registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRegistry {
    pub account: String,
    pub region: String,
}

impl fmt::Display for ImageRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(formatter, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(formatter, "@{digest}")?;
        }
        Ok(())
    }
}

/// `sha256:` and 64 lower-case hex digits.
pub fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// A path component: lower-case alphanumerics separated by `.`, `_`, `__` or one or more `-`.
fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    if bytes.is_empty()
        || !bytes[0].is_ascii_alphanumeric()
        || !bytes[bytes.len() - 1].is_ascii_alphanumeric()
    {
        return false;
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    if !bytes.iter().all(|b| allowed(*b)) {
        return false;
    }
    // No `..`, `._`, `-.`, `___` and the like: separators are `.`, `_`, `__` or runs of `-`.
    let mut separator = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            if !(separator.is_empty()
                || separator == "."
                || separator == "_"
                || separator == "__"
                || separator.chars().all(|c| c == '-'))
            {
                return false;
            }
            separator.clear();
        } else {
            separator.push(char::from(b));
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parse(text: &str) -> ImageRef {
        ImageRef::parse(text).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn docker_hub_defaults() {
        let image = parse("nginx");
        assert_eq!(image.registry, "docker.io");
        assert_eq!(image.repository, "library/nginx");
        assert_eq!(image.tag, None);
        assert_eq!(image.tag_or_latest(), "latest");
        assert_eq!(image.canonical(), "docker.io/library/nginx");
        let image = parse("openmrs/openmrs-reference-application-3-gateway:3.2.0-rc.3");
        assert_eq!(image.registry, "docker.io");
        assert_eq!(
            image.repository,
            "openmrs/openmrs-reference-application-3-gateway"
        );
        assert_eq!(image.tag.as_deref(), Some("3.2.0-rc.3"));
        assert_eq!(
            image.written_name,
            "openmrs/openmrs-reference-application-3-gateway"
        );
        assert_eq!(parse("docker.io/nginx:1").repository, "library/nginx");
    }

    #[test]
    fn registries_ports_tags_and_digests() {
        let image = parse("localhost:5000/team/app:v1.2");
        assert_eq!(
            (image.registry.as_str(), image.repository.as_str()),
            ("localhost:5000", "team/app")
        );
        assert_eq!(image.tag.as_deref(), Some("v1.2"));
        let image = parse("127.0.0.1:5000/app");
        assert_eq!(image.registry, "127.0.0.1:5000");
        assert_eq!(image.tag, None);
        let image = parse(&format!("public.ecr.aws/aws-cli/aws-cli:2.22.0@{DIGEST}"));
        assert_eq!(image.registry, "public.ecr.aws");
        assert_eq!(image.repository, "aws-cli/aws-cli");
        assert_eq!(image.digest.as_deref(), Some(DIGEST));
        assert_eq!(
            image.pinned(DIGEST),
            format!("public.ecr.aws/aws-cli/aws-cli@{DIGEST}")
        );
        let image = parse(&format!("openmrs/backend@{DIGEST}"));
        assert_eq!((image.tag, image.digest.as_deref()), (None, Some(DIGEST)));
        assert_eq!(parse("localhost/app").registry, "localhost");
    }

    #[test]
    fn ecr_registries() {
        let image =
            parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/openmrs/backend:qa");
        let ecr = image.ecr_registry().unwrap();
        assert_eq!(
            (ecr.account.as_str(), ecr.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        assert_eq!(image.repository, "docker-hub/openmrs/backend");
        assert!(
            parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app")
                .ecr_registry()
                .is_some()
        );
        assert!(parse("public.ecr.aws/app/app").ecr_registry().is_none());
        assert!(parse("openmrs/backend").ecr_registry().is_none());
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx:-x",
            "nginx@sha256:abc",
            "nginx@md5:0123",
            "a//b",
            "openmrs/back..end",
            "/nginx",
            "nginx/",
            "bad host!/app",
        ] {
            let error = ImageRef::parse(bad).expect_err(bad);
            assert!(
                error.to_string().contains("is not an image reference"),
                "{error}"
            );
        }
    }

    #[test]
    fn display_round_trips_the_canonical_form() {
        for text in [
            "docker.io/library/nginx:1.27",
            "ghcr.io/a/b/c:latest",
            &format!("quay.io/x/y@{DIGEST}"),
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }
}
