//! Everything that talks to AWS: CloudFormation and S3 behind two small traits, with the SDK implementations.
//!
//! The traits speak in this module's plain types (`StackInfo`, `ChangeSetInfo`, `StackEvent`, `ResourceDrift`),
//! so the stages in `pipeline` never see an SDK type and tests can point the SDK clients at moto
//! (`--aws-endpoint-url`) or at `aws-smithy-mocks`.
//!
//! Invariant: no other module depends on an `aws_*` crate.
//! Credentials come from the standard chain (environment, profile, web identity as GitHub's OIDC provides, ECS and
//! instance metadata); the region is the environment file's `stack.region`. Throttling and transient errors are
//! retried by the SDK's standard retry strategy with exponential backoff.

mod sdk;

use std::collections::BTreeMap;
use std::future::Future;

pub use sdk::{connect, AwsSettings, Clients, SdkArtifacts, SdkCloudFormation};

/// A failed AWS call, after the SDK's retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudError {
    /// The operation, for example `CreateChangeSet`.
    pub operation: &'static str,
    /// The service's error code (`ValidationError`, `Throttling`), when it sent one.
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for CloudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed: {code}: {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

/// A stack as DescribeStacks returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// Seconds since the epoch of the last update, or of creation when never updated.
    pub last_changed: Option<f64>,
}

/// Type of a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSetType {
    Create,
    Update,
}

/// What CreateChangeSet is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSetRequest {
    pub stack_name: String,
    pub change_set_name: String,
    pub description: String,
    pub template_url: String,
    pub change_set_type: ChangeSetType,
    pub capabilities: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// The stack's service role (`RoleARN`), when the environment names one.
    pub role_arn: Option<String>,
}

/// One property-level change of a resource (DescribeChangeSet `Details`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PropertyChange {
    /// `Properties`, `Metadata`, `Tags`...
    pub attribute: String,
    /// The property name or path (`Target.Path`, else `Target.Name`).
    pub name: String,
    /// `Never`, `Conditionally` or `Always`.
    pub requires_recreation: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// `ResourceReference`, `ParameterReference`, `DirectModification`...
    pub change_source: Option<String>,
    /// The parameter or resource causing the change, for example a parameter name.
    pub causing_entity: Option<String>,
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import` or `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` (Modify only).
    pub replacement: Option<String>,
    pub details: Vec<PropertyChange>,
}

/// A change set with every page of its changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeSetInfo {
    pub id: String,
    pub name: String,
    pub stack_id: Option<String>,
    pub description: Option<String>,
    /// `CREATE_PENDING`, `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `FAILED`...
    pub status: String,
    /// `AVAILABLE`, `UNAVAILABLE`, `EXECUTE_IN_PROGRESS`, `EXECUTE_COMPLETE`, `OBSOLETE`...
    pub execution_status: Option<String>,
    pub status_reason: Option<String>,
    /// Seconds since the epoch.
    pub created: Option<f64>,
    /// Parameters as the change set resolved them (AWS masks NoEcho values; emulators may not).
    pub parameters: Vec<(String, String)>,
    pub changes: Vec<ResourceChange>,
}

/// A change set as ListChangeSets summarises it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeSetSummary {
    pub id: String,
    pub name: String,
    pub stack_name: Option<String>,
    pub description: Option<String>,
    pub status: String,
    pub execution_status: Option<String>,
}

/// One stack event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackEvent {
    pub id: String,
    /// RFC 3339 time.
    pub time: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

/// The state of one drift detection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DriftDetection {
    /// `DETECTION_IN_PROGRESS`, `DETECTION_COMPLETE` or `DETECTION_FAILED`.
    pub status: String,
    /// `DRIFTED`, `IN_SYNC`, `NOT_CHECKED`, `UNKNOWN`.
    pub stack_drift_status: Option<String>,
    pub reason: Option<String>,
}

/// One property difference of a drifted resource.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PropertyDifference {
    pub path: String,
    pub expected: String,
    pub actual: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub kind: String,
}

/// A resource whose live state differs from the template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceDrift {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    pub differences: Vec<PropertyDifference>,
}

/// The CloudFormation calls the stages need.
pub trait CloudFormationApi: Send + Sync {
    /// The stack, or `None` when it does not exist.
    fn describe_stack(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Option<StackInfo>, CloudError>> + Send;
    fn delete_stack(&self, stack: &str) -> impl Future<Output = Result<(), CloudError>> + Send;
    /// Creates a change set and returns its ID (ARN).
    fn create_change_set(
        &self,
        request: &ChangeSetRequest,
    ) -> impl Future<Output = Result<String, CloudError>> + Send;
    /// Describes a change set (by ARN), reading every page of changes.
    fn describe_change_set(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<ChangeSetInfo, CloudError>> + Send;
    fn delete_change_set(&self, id: &str) -> impl Future<Output = Result<(), CloudError>> + Send;
    /// Every change set of the stack (every page).
    fn list_change_sets(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Vec<ChangeSetSummary>, CloudError>> + Send;
    fn execute_change_set(&self, id: &str) -> impl Future<Output = Result<(), CloudError>> + Send;
    /// The stack's most recent events, newest first (the first page).
    fn stack_events(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Vec<StackEvent>, CloudError>> + Send;
    /// Starts drift detection and returns its ID.
    fn detect_drift(&self, stack: &str) -> impl Future<Output = Result<String, CloudError>> + Send;
    fn drift_detection(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<DriftDetection, CloudError>> + Send;
    /// Resources that are MODIFIED or DELETED, every page.
    fn resource_drifts(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Vec<ResourceDrift>, CloudError>> + Send;
}

/// Where rendered templates are uploaded.
pub trait ArtifactStore: Send + Sync {
    /// Stores `body` at `bucket/key` and returns the URL CloudFormation reads it from.
    fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<String, CloudError>> + Send;
    /// The object at `bucket/key`, or `None` when there is none: `apply` reads a planned template back to learn
    /// the digests that were reviewed.
    fn get(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, CloudError>> + Send;
}
