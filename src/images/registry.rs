//! Tag to digest through the registry HTTP API (the OCI distribution spec).
//!
//! `DigestResolver` is the seam the images stage calls; `HttpResolver` implements it for any OCI registry:
//! `HEAD /v2/<repository>/manifests/<tag>` with an `Accept` header listing the OCI and Docker manifest and
//! index media types (without it, distribution answers 404 or 400 for multi-platform images and never sends the
//! digest), `Docker-Content-Digest` from the answer, or the SHA-256 of the manifest bytes from a `GET` when a
//! registry omits the header. A `401` with a `WWW-Authenticate: Bearer` challenge is answered with an anonymous
//! token from the challenge's realm (Docker Hub, public.ecr.aws, GHCR, Quay); ECR private registries get
//! `Basic` credentials from `EcrCredentials` (GetAuthorizationToken).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use super::reference::{valid_digest, EcrRegistry, ImageRef, DOCKER_HUB};
use crate::render::sha256_hex;

/// The manifest media types a resolver accepts, indexes first: a multi-platform tag resolves to its index
/// digest, which is what ECS pins and pulls.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Where Docker Hub's registry API answers (`docker.io` is only a name).
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Why a digest could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered that the tag or repository does not exist: bad input.
    #[error("`{image}`: the registry has no such tag ({status}); check the repository and `images.tag` in the environment file")]
    NotFound { image: String, status: u16 },
    /// The registry could not be reached, failed, or refused us: a service failure.
    #[error("`{image}`: registry `{registry}` {problem}; check network access to the registry and the image reference, then run again")]
    Service {
        image: String,
        registry: String,
        problem: String,
    },
}

/// Resolves an image reference to the digest of its manifest (`sha256:...`).
pub trait DigestResolver {
    fn resolve(&self, image: &ImageRef) -> Result<String, RegistryError>;
}

/// `Basic` credentials for an ECR private registry: the `authorizationToken` of GetAuthorizationToken (already
/// base64 of `AWS:<password>`).
pub trait EcrCredentials {
    fn authorization_token(&self, registry: &EcrRegistry) -> Result<String, String>;
}

/// Resolver over HTTP(S). Loopback registries (`localhost`, `127.0.0.0/8`, `[::1]`) are spoken to over plain
/// HTTP, as Docker does; every other registry over HTTPS.
pub struct HttpResolver<'a> {
    agent: ureq::Agent,
    ecr: Option<&'a dyn EcrCredentials>,
    /// Base URLs replacing a registry's own (`registry -> http://127.0.0.1:5000`), for tests and mirrors.
    endpoints: BTreeMap<String, String>,
    attempts: u32,
    tokens: RefCell<BTreeMap<String, String>>,
}

impl<'a> HttpResolver<'a> {
    pub fn new(ecr: Option<&'a dyn EcrCredentials>) -> HttpResolver<'a> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(concat!("omrs-gitops/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        HttpResolver {
            agent,
            ecr,
            endpoints: BTreeMap::new(),
            attempts: 3,
            tokens: RefCell::new(BTreeMap::new()),
        }
    }

    /// Speak to `registry` at `base_url` instead (`http://127.0.0.1:5000`).
    pub fn with_endpoint(mut self, registry: &str, base_url: &str) -> HttpResolver<'a> {
        self.endpoints.insert(
            registry.to_owned(),
            base_url.trim_end_matches('/').to_owned(),
        );
        self
    }

    /// How many times a transport error or a 5xx is tried (at least once).
    pub fn with_attempts(mut self, attempts: u32) -> HttpResolver<'a> {
        self.attempts = attempts.max(1);
        self
    }

    fn base_url(&self, image: &ImageRef) -> String {
        if let Some(url) = self.endpoints.get(&image.registry) {
            return url.clone();
        }
        let host = if image.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            image.registry.as_str()
        };
        let bare = host.rsplit_once(':').map_or(host, |(name, _)| name);
        let loopback = bare == "localhost" || bare.starts_with("127.") || bare == "[::1]";
        format!("{}://{host}", if loopback { "http" } else { "https" })
    }

    fn service_error(&self, image: &ImageRef, problem: impl Into<String>) -> RegistryError {
        RegistryError::Service {
            image: image.to_string(),
            registry: image.registry.clone(),
            problem: problem.into(),
        }
    }

    /// One request with retries on transport errors and 5xx answers.
    fn send(
        &self,
        image: &ImageRef,
        method: &str,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, RegistryError> {
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
            }
            let result = if method == "HEAD" {
                let mut request = self.agent.head(url).header("Accept", &accept);
                if let Some(value) = authorization {
                    request = request.header("Authorization", value);
                }
                request.call()
            } else {
                let mut request = self.agent.get(url).header("Accept", &accept);
                if let Some(value) = authorization {
                    request = request.header("Authorization", value);
                }
                request.call()
            };
            match result {
                Ok(response) if response.status().is_server_error() => {
                    last = format!("answered {} to {method} {url}", response.status());
                }
                Ok(response) => return Ok(response),
                Err(error) => last = format!("is unreachable ({error})"),
            }
        }
        Err(self.service_error(image, format!("{last} after {} attempts", self.attempts)))
    }

    /// An anonymous bearer token for the challenge, cached per realm and scope.
    fn bearer(&self, image: &ImageRef, challenge: &str) -> Result<String, RegistryError> {
        let parameters = parse_challenge(challenge).ok_or_else(|| {
            self.service_error(
                image,
                format!("asked for credentials this tool does not have (`{challenge}`)"),
            )
        })?;
        let realm = parameters.get("realm").cloned().unwrap_or_default();
        let scope = parameters
            .get("scope")
            .cloned()
            .unwrap_or_else(|| format!("repository:{}:pull", image.repository));
        let mut url = format!("{realm}?scope={}", query_escape(&scope));
        if let Some(service) = parameters.get("service") {
            url.push_str(&format!("&service={}", query_escape(service)));
        }
        if let Some(token) = self.tokens.borrow().get(&url) {
            return Ok(token.clone());
        }
        let mut response = self.send(image, "GET", &url, None)?;
        if !response.status().is_success() {
            return Err(self.service_error(
                image,
                format!(
                    "refused an anonymous pull token ({} from {realm}); a private image needs credentials",
                    response.status()
                ),
            ));
        }
        let body = response.body_mut().read_to_string().map_err(|error| {
            self.service_error(image, format!("sent an unreadable token ({error})"))
        })?;
        let value: serde_json::Value = serde_json::from_str(&body).map_err(|error| {
            self.service_error(image, format!("sent a token that is not JSON ({error})"))
        })?;
        let token = value
            .get("token")
            .or_else(|| value.get("access_token"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| self.service_error(image, "sent a token answer without a token"))?
            .to_owned();
        crate::github::mask::secret(&token);
        self.tokens.borrow_mut().insert(url, token.clone());
        Ok(token)
    }
}

impl DigestResolver for HttpResolver<'_> {
    fn resolve(&self, image: &ImageRef) -> Result<String, RegistryError> {
        if let Some(digest) = &image.digest {
            return Ok(digest.clone());
        }
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base_url(image),
            image.repository,
            image.tag_or_latest()
        );
        let mut authorization = match (image.ecr_registry(), self.ecr) {
            (Some(registry), Some(ecr)) => Some(format!(
                "Basic {}",
                ecr.authorization_token(&registry)
                    .map_err(|problem| self.service_error(
                        image,
                        format!(
                            "needs ECR credentials, and GetAuthorizationToken failed: {problem}"
                        )
                    ))?
            )),
            _ => None,
        };
        let mut response = self.send(image, "HEAD", &url, authorization.as_deref())?;
        if response.status() == 401 {
            let challenge = response
                .headers()
                .get("www-authenticate")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            authorization = Some(format!("Bearer {}", self.bearer(image, &challenge)?));
            response = self.send(image, "HEAD", &url, authorization.as_deref())?;
        }
        let status = response.status().as_u16();
        if status == 404 {
            return Err(RegistryError::NotFound {
                image: image.to_string(),
                status,
            });
        }
        if !(200..300).contains(&status) {
            return Err(self.service_error(image, format!("answered {status} to HEAD {url}")));
        }
        if let Some(digest) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|value| value.to_str().ok())
            .filter(|digest| valid_digest(digest))
        {
            return Ok(digest.to_owned());
        }
        // No digest header: the digest is the SHA-256 of the manifest bytes.
        let mut response = self.send(image, "GET", &url, authorization.as_deref())?;
        if !response.status().is_success() {
            return Err(self.service_error(
                image,
                format!("answered {} to GET {url}", response.status()),
            ));
        }
        let bytes = response.body_mut().read_to_vec().map_err(|error| {
            self.service_error(image, format!("sent an unreadable manifest ({error})"))
        })?;
        Ok(format!("sha256:{}", sha256_hex(&bytes)))
    }
}

/// The parameters of a `Bearer` challenge: `Bearer realm="...",service="...",scope="..."`. None for any other
/// scheme or a challenge without a realm.
pub fn parse_challenge(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.trim();
    let (scheme, rest) = rest.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut parameters = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    other => value.push(other),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        parameters.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    parameters.contains_key("realm").then_some(parameters)
}

fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge() {
        let parameters = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:openmrs/backend:pull""#,
        )
        .unwrap();
        assert_eq!(parameters["realm"], "https://auth.docker.io/token");
        assert_eq!(parameters["service"], "registry.docker.io");
        assert_eq!(parameters["scope"], "repository:openmrs/backend:pull");
        assert!(parse_challenge(r#"Basic realm="x""#).is_none());
        assert!(parse_challenge("Bearer service=x").is_none());
        assert_eq!(
            query_escape("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }

    #[test]
    fn registry_urls() {
        let resolver =
            HttpResolver::new(None).with_endpoint("mirror.example", "http://127.0.0.1:1/");
        let url = |text: &str| resolver.base_url(&ImageRef::parse(text).unwrap());
        assert_eq!(url("nginx"), "https://registry-1.docker.io");
        assert_eq!(url("localhost:5000/a"), "http://localhost:5000");
        assert_eq!(url("127.0.0.1:5000/a"), "http://127.0.0.1:5000");
        assert_eq!(url("public.ecr.aws/a/b"), "https://public.ecr.aws");
        assert_eq!(url("mirror.example/a"), "http://127.0.0.1:1");
    }
}
