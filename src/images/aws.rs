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
        output
            .authorization_data()
            .iter()
            .find_map(|data| data.authorization_token().map(str::to_owned))
            .ok_or_else(|| "the answer holds no authorization token".to_owned())
    }
}
