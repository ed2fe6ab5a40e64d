//! The traits implemented with the AWS SDK for Rust.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetType as SdkChangeSetType, StackResourceDriftStatus, Tag,
};

use super::{
    ArtifactStore, ChangeSetInfo, ChangeSetRequest, ChangeSetSummary, ChangeSetType, CloudError,
    CloudFormationApi, DriftDetection, PropertyChange, PropertyDifference, ResourceChange,
    ResourceDrift, StackEvent, StackInfo,
};

/// How to reach AWS: an optional endpoint (an emulator) for every client.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub endpoint_url: Option<String>,
}

/// The clients of one region.
#[derive(Debug, Clone)]
pub struct Clients {
    pub cloudformation: SdkCloudFormation,
    pub artifacts: SdkArtifacts,
}

/// Builds the clients for `region` from the standard credential chain.
pub async fn connect(settings: &AwsSettings, region: &str) -> Clients {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(settings.endpoint_url.is_some())
        .build();
    Clients {
        cloudformation: SdkCloudFormation::new(aws_sdk_cloudformation::Client::new(&config)),
        artifacts: SdkArtifacts {
            client: aws_sdk_s3::Client::from_conf(s3_config),
            endpoint_url: settings.endpoint_url.clone(),
            region: region.to_owned(),
        },
    }
}

fn cloud_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().map(str::to_owned);
    let message = match error.message() {
        Some(message) => message.to_owned(),
        None => aws_sdk_cloudformation::error::DisplayErrorContext(&error).to_string(),
    };
    CloudError {
        operation,
        code,
        message,
    }
}

fn seconds(time: Option<&DateTime>) -> Option<f64> {
    time.map(|time| time.as_secs_f64())
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_owned)
}

/// CloudFormation through the SDK.
#[derive(Debug, Clone)]
pub struct SdkCloudFormation {
    client: aws_sdk_cloudformation::Client,
}

impl SdkCloudFormation {
    pub fn new(client: aws_sdk_cloudformation::Client) -> SdkCloudFormation {
        SdkCloudFormation { client }
    }
}

impl CloudFormationApi for SdkCloudFormation {
    async fn describe_stack(&self, stack: &str) -> Result<Option<StackInfo>, CloudError> {
        match self.client.describe_stacks().stack_name(stack).send().await {
            Ok(output) => Ok(output.stacks().first().map(|found| StackInfo {
                id: found.stack_id().unwrap_or_default().to_owned(),
                name: found.stack_name().unwrap_or_default().to_owned(),
                status: found
                    .stack_status()
                    .map(|status| status.as_str().to_owned())
                    .unwrap_or_default(),
                status_reason: owned(found.stack_status_reason()),
                last_changed: seconds(found.last_updated_time().or(found.creation_time())),
            })),
            Err(error) => {
                let failure = cloud_error("DescribeStacks", error);
                if failure.message.contains("does not exist") {
                    Ok(None)
                } else {
                    Err(failure)
                }
            }
        }
    }

    async fn delete_stack(&self, stack: &str) -> Result<(), CloudError> {
        self.client
            .delete_stack()
            .stack_name(stack)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| cloud_error("DeleteStack", error))
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> Result<String, CloudError> {
        let mut call = self
            .client
            .create_change_set()
            .stack_name(&request.stack_name)
            .change_set_name(&request.change_set_name)
            .description(&request.description)
            .template_url(&request.template_url)
            .include_nested_stacks(false)
            .set_role_arn(request.role_arn.clone())
            .change_set_type(match request.change_set_type {
                ChangeSetType::Create => SdkChangeSetType::Create,
                ChangeSetType::Update => SdkChangeSetType::Update,
            });
        for capability in &request.capabilities {
            call = call.capabilities(Capability::from(capability.as_str()));
        }
        for (key, value) in &request.tags {
            call = call.tags(Tag::builder().key(key).value(value).build());
        }
        let output = call
            .send()
            .await
            .map_err(|error| cloud_error("CreateChangeSet", error))?;
        Ok(output.id().unwrap_or_default().to_owned())
    }

    async fn describe_change_set(&self, id: &str) -> Result<ChangeSetInfo, CloudError> {
        let mut info = ChangeSetInfo::default();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .describe_change_set()
                .change_set_name(id)
                .include_property_values(true)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| cloud_error("DescribeChangeSet", error))?;
            info.id = output.change_set_id().unwrap_or(id).to_owned();
            info.name = output.change_set_name().unwrap_or_default().to_owned();
            info.stack_id = owned(output.stack_id());
            info.description = owned(output.description());
            info.status = output
                .status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default();
            info.execution_status = output
                .execution_status()
                .map(|status| status.as_str().to_owned());
            info.status_reason = owned(output.status_reason());
            info.created = seconds(output.creation_time());
            info.parameters = output
                .parameters()
                .iter()
                .map(|parameter| {
                    (
                        parameter.parameter_key().unwrap_or_default().to_owned(),
                        parameter
                            .resolved_value()
                            .or(parameter.parameter_value())
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect();
            for change in output.changes() {
                let Some(resource) = change.resource_change() else {
                    continue;
                };
                info.changes.push(ResourceChange {
                    action: resource
                        .action()
                        .map(|action| action.as_str().to_owned())
                        .unwrap_or_default(),
                    logical_id: resource
                        .logical_resource_id()
                        .unwrap_or_default()
                        .to_owned(),
                    physical_id: owned(resource.physical_resource_id()),
                    resource_type: resource.resource_type().unwrap_or_default().to_owned(),
                    replacement: resource
                        .replacement()
                        .map(|replacement| replacement.as_str().to_owned()),
                    details: resource
                        .details()
                        .iter()
                        .map(|detail| {
                            let target = detail.target();
                            PropertyChange {
                                attribute: target
                                    .and_then(|target| target.attribute())
                                    .map(|attribute| attribute.as_str().to_owned())
                                    .unwrap_or_default(),
                                name: target
                                    .and_then(|target| target.path().or(target.name()))
                                    .unwrap_or_default()
                                    .to_owned(),
                                requires_recreation: target
                                    .and_then(|target| target.requires_recreation())
                                    .map(|value| value.as_str().to_owned()),
                                before: owned(target.and_then(|target| target.before_value())),
                                after: owned(target.and_then(|target| target.after_value())),
                                change_source: detail
                                    .change_source()
                                    .map(|source| source.as_str().to_owned()),
                                causing_entity: owned(detail.causing_entity()),
                            }
                        })
                        .collect(),
                });
            }
            token = output.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(info);
            }
        }
    }

    async fn delete_change_set(&self, id: &str) -> Result<(), CloudError> {
        self.client
            .delete_change_set()
            .change_set_name(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| cloud_error("DeleteChangeSet", error))
    }

    async fn list_change_sets(&self, stack: &str) -> Result<Vec<ChangeSetSummary>, CloudError> {
        let mut summaries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_change_sets()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| cloud_error("ListChangeSets", error))?;
            for summary in output.summaries() {
                summaries.push(ChangeSetSummary {
                    id: summary.change_set_id().unwrap_or_default().to_owned(),
                    name: summary.change_set_name().unwrap_or_default().to_owned(),
                    stack_name: owned(summary.stack_name()),
                    description: owned(summary.description()),
                    status: summary
                        .status()
                        .map(|status| status.as_str().to_owned())
                        .unwrap_or_default(),
                    execution_status: summary
                        .execution_status()
                        .map(|status| status.as_str().to_owned()),
                });
            }
            token = output.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(summaries);
            }
        }
    }

    async fn execute_change_set(&self, id: &str) -> Result<(), CloudError> {
        self.client
            .execute_change_set()
            .change_set_name(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| cloud_error("ExecuteChangeSet", error))
    }

    async fn stack_events(&self, stack: &str) -> Result<Vec<StackEvent>, CloudError> {
        let output = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| cloud_error("DescribeStackEvents", error))?;
        Ok(output
            .stack_events()
            .iter()
            .map(|event| StackEvent {
                id: event.event_id().unwrap_or_default().to_owned(),
                time: event
                    .timestamp()
                    .and_then(|time| {
                        time.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                            .ok()
                    })
                    .unwrap_or_default(),
                logical_id: event.logical_resource_id().unwrap_or_default().to_owned(),
                resource_type: event.resource_type().unwrap_or_default().to_owned(),
                status: event
                    .resource_status()
                    .map(|status| status.as_str().to_owned())
                    .unwrap_or_default(),
                reason: owned(event.resource_status_reason()),
            })
            .collect())
    }

    async fn detect_drift(&self, stack: &str) -> Result<String, CloudError> {
        let output = self
            .client
            .detect_stack_drift()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| cloud_error("DetectStackDrift", error))?;
        Ok(output
            .stack_drift_detection_id()
            .unwrap_or_default()
            .to_owned())
    }

    async fn drift_detection(&self, id: &str) -> Result<DriftDetection, CloudError> {
        let output = self
            .client
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(id)
            .send()
            .await
            .map_err(|error| cloud_error("DescribeStackDriftDetectionStatus", error))?;
        Ok(DriftDetection {
            status: output
                .detection_status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default(),
            stack_drift_status: output
                .stack_drift_status()
                .map(|status| status.as_str().to_owned()),
            reason: owned(output.detection_status_reason()),
        })
    }

    async fn resource_drifts(&self, stack: &str) -> Result<Vec<ResourceDrift>, CloudError> {
        let mut drifts = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .describe_stack_resource_drifts()
                .stack_name(stack)
                .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
                .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| cloud_error("DescribeStackResourceDrifts", error))?;
            for drift in output.stack_resource_drifts() {
                drifts.push(ResourceDrift {
                    logical_id: drift.logical_resource_id().unwrap_or_default().to_owned(),
                    physical_id: owned(drift.physical_resource_id()),
                    resource_type: drift.resource_type().unwrap_or_default().to_owned(),
                    status: drift
                        .stack_resource_drift_status()
                        .map(|status| status.as_str().to_owned())
                        .unwrap_or_default(),
                    differences: drift
                        .property_differences()
                        .iter()
                        .map(|difference| PropertyDifference {
                            path: difference.property_path().unwrap_or_default().to_owned(),
                            expected: difference.expected_value().unwrap_or_default().to_owned(),
                            actual: difference.actual_value().unwrap_or_default().to_owned(),
                            kind: difference
                                .difference_type()
                                .map(|kind| kind.as_str().to_owned())
                                .unwrap_or_default(),
                        })
                        .collect(),
                });
            }
            token = output.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(drifts);
            }
        }
    }
}

fn s3_error<E, R>(operation: &'static str, error: &SdkError<E, R>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    CloudError {
        operation,
        code: error.code().map(str::to_owned),
        message: error
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| aws_sdk_s3::error::DisplayErrorContext(error).to_string()),
    }
}

/// S3 through the SDK.
#[derive(Debug, Clone)]
pub struct SdkArtifacts {
    client: aws_sdk_s3::Client,
    endpoint_url: Option<String>,
    region: String,
}

impl ArtifactStore for SdkArtifacts {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<String, CloudError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(|error| s3_error("PutObject", &error))?;
        Ok(match &self.endpoint_url {
            Some(endpoint) => format!("{}/{bucket}/{key}", endpoint.trim_end_matches('/')),
            None => {
                let suffix = if self.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{bucket}.s3.{}.{suffix}/{key}", self.region)
            }
        })
    }

    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, CloudError> {
        let output = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error)
                if error.as_service_error().is_some_and(
                    aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key,
                ) =>
            {
                return Ok(None)
            }
            Err(error) => return Err(s3_error("GetObject", &error)),
        };
        let bytes = output.body.collect().await.map_err(|error| CloudError {
            operation: "GetObject",
            code: None,
            message: error.to_string(),
        })?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }
}
