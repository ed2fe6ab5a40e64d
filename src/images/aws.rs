//! The AWS clients of the images stage (ECR, Inspector2), built per region from the standard credential chain,
//! with an optional endpoint override (`--aws-endpoint-url`, for moto and VPC endpoints). The SDK is async; these
//! wrappers drive it on a private Tokio runtime so the stage stays synchronous.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::reference::EcrRegistry;
use super::registry::EcrCredentials;

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Endpoint for every service (moto in tests); None: the SDK's own resolution.
    pub endpoint_url: Option<String>,
    /// Turn SDK retries off (tests against moto, where a 500 would otherwise cost seconds).
    pub no_retries: bool,
    /// Access key ID and secret instead of the standard credential chain (tests against moto).
    pub static_credentials: Option<(String, String)>,
}

/// Lazily built SDK configuration per region.
pub struct Aws {
    runtime: tokio::runtime::Runtime,
    settings: AwsSettings,
    configs: RefCell<BTreeMap<String, aws_config::SdkConfig>>,
}

impl Aws {
    pub fn new(settings: AwsSettings) -> Result<Aws, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the async runtime: {error}"))?;
        Ok(Aws {
            runtime,
            settings,
            configs: RefCell::new(BTreeMap::new()),
        })
    }

    /// Runs a future to completion.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn config(&self, region: &str) -> aws_config::SdkConfig {
        if let Some(config) = self.configs.borrow().get(region) {
            return config.clone();
        }
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()));
        if let Some(url) = &self.settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some((id, secret)) = &self.settings.static_credentials {
            loader = loader.credentials_provider(aws_sdk_ecr::config::Credentials::new(
                id, secret, None, None, "static",
            ));
        }
        if self.settings.no_retries {
            loader = loader.retry_config(aws_config::retry::RetryConfig::disabled());
        }
        let config = self.runtime.block_on(loader.load());
        self.configs
            .borrow_mut()
            .insert(region.to_owned(), config.clone());
        config
    }

    pub fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::new(&self.config(region))
    }

    pub fn inspector2(&self, region: &str) -> aws_sdk_inspector2::Client {
        aws_sdk_inspector2::Client::new(&self.config(region))
    }
}

/// One line from an SDK error: the service's code and message when there is one.
pub fn sdk_error<E, R>(error: &aws_sdk_ecr::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ecr::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_ecr::error::ProvideErrorMetadata as _;
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

impl EcrCredentials for Aws {
    fn authorization_token(&self, registry: &EcrRegistry) -> Result<String, String> {
        let client = self.ecr(&registry.region);
        let output = self
            .block_on(client.get_authorization_token().send())
            .map_err(|error| sdk_error(&error))?;
        let token = output
            .authorization_data()
            .iter()
            .find_map(|data| data.authorization_token().map(str::to_owned))
            .ok_or_else(|| "the answer holds no authorization token".to_owned())?;
        mask_authorization_token(&token);
        Ok(token)
    }
}

/// Announces an ECR authorization token to the GitHub Actions log masker: the token itself (base64 of
/// `AWS:<password>`) and the password inside it, which is what a registry client would show if anything did.
fn mask_authorization_token(token: &str) {
    use base64::Engine as _;
    crate::github::mask::secret(token);
    if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) {
        if let Some((_, password)) = String::from_utf8_lossy(&decoded).split_once(':') {
            crate::github::mask::secret(password);
        }
    }
}

/// Inspector2's and ECR's `fixedInVersion`: `NotAvailable` (or nothing) means no fix yet.
fn fix_of(fixed_in_version: Option<&str>) -> super::scan::Fix {
    match fixed_in_version.map(str::trim) {
        Some(version) if !version.is_empty() && version != "NotAvailable" => {
            super::scan::Fix::Version(version.to_owned())
        }
        _ => super::scan::Fix::None,
    }
}

/// One `Vulnerability` per vulnerable package of an Inspector2 finding (the image is filled in by the caller).
pub fn from_inspector(
    finding: &aws_sdk_inspector2::types::Finding,
) -> Vec<super::scan::Vulnerability> {
    let Some(details) = finding.package_vulnerability_details() else {
        return Vec::new();
    };
    let severity = crate::config::Severity::parse(finding.severity().as_str());
    let title = finding.title().unwrap_or_default().to_owned();
    details
        .vulnerable_packages()
        .iter()
        .map(|package| super::scan::Vulnerability {
            image: String::new(),
            cve: details.vulnerability_id().to_owned(),
            package: package.name().to_owned(),
            installed_version: package.version().to_owned(),
            fixed: fix_of(package.fixed_in_version()),
            severity,
            title: title.clone(),
            url: details.source_url().map(str::to_owned),
        })
        .collect()
}

/// ECR basic findings (no fixed version: `Fix::Unknown`) and, with enhanced scanning, ECR's copy of the
/// Inspector2 findings.
pub fn from_ecr(
    findings: &aws_sdk_ecr::types::ImageScanFindings,
) -> Vec<super::scan::Vulnerability> {
    let mut out = Vec::new();
    for finding in findings.findings() {
        let attribute = |key: &str| {
            finding
                .attributes()
                .iter()
                .find(|attribute| attribute.key() == key)
                .and_then(|attribute| attribute.value())
                .unwrap_or_default()
                .to_owned()
        };
        out.push(super::scan::Vulnerability {
            image: String::new(),
            cve: finding.name().unwrap_or_default().to_owned(),
            package: attribute("package_name"),
            installed_version: attribute("package_version"),
            fixed: super::scan::Fix::Unknown,
            severity: crate::config::Severity::parse(
                finding
                    .severity()
                    .map(aws_sdk_ecr::types::FindingSeverity::as_str)
                    .unwrap_or_default(),
            ),
            title: finding.description().unwrap_or_default().to_owned(),
            url: finding.uri().map(str::to_owned),
        });
    }
    for finding in findings.enhanced_findings() {
        let Some(details) = finding.package_vulnerability_details() else {
            continue;
        };
        for package in details.vulnerable_packages() {
            out.push(super::scan::Vulnerability {
                image: String::new(),
                cve: details.vulnerability_id().unwrap_or_default().to_owned(),
                package: package.name().unwrap_or_default().to_owned(),
                installed_version: package.version().unwrap_or_default().to_owned(),
                fixed: fix_of(package.fixed_in_version()),
                severity: crate::config::Severity::parse(finding.severity().unwrap_or_default()),
                title: finding.title().unwrap_or_default().to_owned(),
                url: details.source_url().map(str::to_owned),
            });
        }
    }
    out
}

impl super::scan::InspectorApi for Aws {
    fn list_findings(
        &self,
        region: &str,
        filter: &aws_sdk_inspector2::types::FilterCriteria,
        next_token: Option<&str>,
    ) -> Result<super::scan::FindingsPage, String> {
        let client = self.inspector2(region);
        let output = self
            .block_on(
                client
                    .list_findings()
                    .filter_criteria(filter.clone())
                    .max_results(100)
                    .set_next_token(next_token.map(str::to_owned))
                    .send(),
            )
            .map_err(|error| format!("Inspector2 ListFindings: {}", sdk_error(&error)))?;
        Ok(super::scan::FindingsPage {
            findings: output.findings().iter().flat_map(from_inspector).collect(),
            next_token: output.next_token().map(str::to_owned),
        })
    }
}

impl super::scan::EcrScanApi for Aws {
    fn describe_image_scan_findings(
        &self,
        target: &super::scan::ScanTarget,
        next_token: Option<&str>,
    ) -> Result<super::scan::EcrScanPage, super::scan::EcrScanError> {
        let client = self.ecr(&target.region);
        let image = aws_sdk_ecr::types::ImageIdentifier::builder()
            .image_digest(&target.digest)
            .build();
        let output = self
            .block_on(
                client
                    .describe_image_scan_findings()
                    .registry_id(&target.registry_id)
                    .repository_name(&target.repository)
                    .image_id(image)
                    .max_results(1000)
                    .set_next_token(next_token.map(str::to_owned))
                    .send(),
            )
            .map_err(|error| {
                if error
                    .as_service_error()
                    .is_some_and(|service| service.is_scan_not_found_exception())
                {
                    super::scan::EcrScanError::NoScan
                } else {
                    super::scan::EcrScanError::Failed(format!(
                        "ECR DescribeImageScanFindings: {}",
                        sdk_error(&error)
                    ))
                }
            })?;
        let status = output.image_scan_status();
        Ok(super::scan::EcrScanPage {
            status: status
                .and_then(|status| status.status())
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default(),
            description: status
                .and_then(|status| status.description())
                .unwrap_or_default()
                .to_owned(),
            findings: output
                .image_scan_findings()
                .map(from_ecr)
                .unwrap_or_default(),
            next_token: output.next_token().map(str::to_owned),
        })
    }

    fn start_image_scan(&self, target: &super::scan::ScanTarget) -> Result<(), String> {
        let client = self.ecr(&target.region);
        let image = aws_sdk_ecr::types::ImageIdentifier::builder()
            .image_digest(&target.digest)
            .build();
        self.block_on(
            client
                .start_image_scan()
                .registry_id(&target.registry_id)
                .repository_name(&target.repository)
                .image_id(image)
                .send(),
        )
        .map(|_| ())
        .map_err(|error| format!("ECR StartImageScan: {}", sdk_error(&error)))
    }
}
