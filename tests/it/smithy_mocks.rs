//! What moto does not model, through the real SDK implementation (`cloud::SdkCloudFormation`) with responses
//! replayed by `aws-smithy-mocks`: drift detection, Replacement and Details, pagination of changes, FAILED and
//! ROLLBACK states, throttling, an operation in progress, and secrets that never reach a report.
//! Response shapes follow the CloudFormation API reference.

use std::time::Duration;

use aws_sdk_cloudformation::config::retry::RetryConfig;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_drift_detection_status::DescribeStackDriftDetectionStatusOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stack_resource_drifts::DescribeStackResourceDriftsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::detect_stack_drift::DetectStackDriftOutput;
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::list_change_sets::ListChangeSetsOutput;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeSetSummary, ChangeSource, ChangeType,
    DifferenceType, EvaluationType, ExecutionStatus, Parameter, PropertyDifference, Replacement,
    RequiresRecreation, ResourceAttribute, ResourceChange, ResourceChangeDetail, ResourceStatus,
    ResourceTargetDefinition, Stack, StackDriftDetectionStatus, StackDriftStatus, StackEvent,
    StackResourceDrift, StackResourceDriftStatus, StackStatus,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use omrs_gitops::cli::Format;
use omrs_gitops::cloud::{ArtifactStore, CloudError, CloudFormationApi, SdkCloudFormation};
use omrs_gitops::config::DriftIgnore;
use omrs_gitops::exit::ExitStatus;
use omrs_gitops::pipeline::changeset::{
    apply_change_set, change_set_description, change_set_name, plan_change_set, ApplyInput,
    PlanInput, Poll,
};
use omrs_gitops::pipeline::drift::{detect, DriftReport, EnvironmentDrift};
use omrs_gitops::pipeline::online::{ApplyReport, EnvironmentChangeSet};
use omrs_gitops::pipeline::redact::Redactor;
use omrs_gitops::report::deploy;

const STACK: &str = "omrs-prod";
const STACK_ID: &str =
    "arn:aws:cloudformation:eu-west-1:123456789012:stack/omrs-prod/6f1c2a90-0a1b-11ef-9b6a-0a1b2c3d4e5f";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const SECRET: &str = "s3cr3t-Plain-Value-42";
const DYNAMIC: &str = "{{resolve:secretsmanager:omrs/prod/db:SecretString:password}}";

fn change_set_arn() -> String {
    format!(
        "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/{}/1d2e3f40-0a1b-11ef-9b6a-0a1b2c3d4e5f",
        change_set_name(COMMIT, SHA)
    )
}

/// A mocked client replaying `rules`, retrying fast (the standard strategy, 1 ms backoff).
fn client(rules: &[&Rule]) -> SdkCloudFormation {
    let client: Client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, rules, |c| c
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
        ));
    SdkCloudFormation::new(client)
}

fn fast(timeout_ms: u64) -> Poll {
    Poll {
        first: Duration::from_millis(1),
        max: Duration::from_millis(5),
        timeout: Duration::from_millis(timeout_ms),
    }
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Artifacts are not what this module tests: a store that answers with an S3 URL.
struct FakeStore;

impl ArtifactStore for FakeStore {
    async fn put(&self, bucket: &str, key: &str, _body: Vec<u8>) -> Result<String, CloudError> {
        Ok(format!("https://{bucket}.s3.eu-west-1.amazonaws.com/{key}"))
    }

    async fn get(&self, _bucket: &str, _key: &str) -> Result<Option<Vec<u8>>, CloudError> {
        Ok(None)
    }
}

fn stack(status: StackStatus, reason: Option<&str>) -> DescribeStacksOutput {
    DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_id(STACK_ID)
                .stack_name(STACK)
                .stack_status(status)
                .set_stack_status_reason(reason.map(str::to_owned))
                .creation_time(DateTime::from_secs(1_700_000_000))
                .last_updated_time(DateTime::from_secs(1_700_000_500))
                .build(),
        )
        .build()
}

fn template() -> serde_json::Value {
    serde_json::json!({"Parameters": {
        "DbPassword": {"Type": "String", "NoEcho": true},
        "ImageTag": {"Type": "String"}}})
}

/// `deploy.cloudformation_role_arn`: every change set must carry it as `RoleARN`.
const SERVICE_ROLE: &str = "arn:aws:iam::123456789012:role/omrs-cloudformation";

fn plan_input(poll: Poll, allow: &[&str]) -> PlanInput {
    PlanInput {
        environment: "prod".to_owned(),
        stack: STACK.to_owned(),
        region: "eu-west-1".to_owned(),
        bucket: "omrs-artifacts".to_owned(),
        tags: [("project".to_owned(), "omrs".to_owned())].into(),
        template: "{}".to_owned(),
        sha256: SHA.to_owned(),
        commit: COMMIT.to_owned(),
        redactor: Redactor::for_template(&template()),
        allow_replacement: allow.iter().map(|&id| id.to_owned()).collect(),
        role_arn: Some(SERVICE_ROLE.to_owned()),
        poll,
    }
}

fn detail(
    name: &str,
    recreation: RequiresRecreation,
    before: &str,
    after: &str,
    source: ChangeSource,
    entity: Option<&str>,
) -> ResourceChangeDetail {
    ResourceChangeDetail::builder()
        .target(
            ResourceTargetDefinition::builder()
                .attribute(ResourceAttribute::Properties)
                .name(name)
                .path(format!("/Properties/{name}"))
                .requires_recreation(recreation)
                .before_value(before)
                .after_value(after)
                .attribute_change_type(aws_sdk_cloudformation::types::AttributeChangeType::Modify)
                .build(),
        )
        .evaluation(EvaluationType::Static)
        .change_source(source)
        .set_causing_entity(entity.map(str::to_owned))
        .build()
}

fn change(
    action: ChangeAction,
    logical: &str,
    kind: &str,
    replacement: Option<Replacement>,
    details: Vec<ResourceChangeDetail>,
) -> Change {
    Change::builder()
        .r#type(ChangeType::Resource)
        .resource_change(
            ResourceChange::builder()
                .action(action)
                .logical_resource_id(logical)
                .physical_resource_id(format!("{}-phys", logical.to_lowercase()))
                .resource_type(kind)
                .set_replacement(replacement)
                .set_details(Some(details))
                .build(),
        )
        .build()
}

fn change_set_page(
    status: ChangeSetStatus,
    changes: Vec<Change>,
    next: Option<&str>,
) -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder()
        .change_set_id(change_set_arn())
        .change_set_name(change_set_name(COMMIT, SHA))
        .stack_id(STACK_ID)
        .stack_name(STACK)
        .description(change_set_description(COMMIT, SHA))
        .status(status)
        .execution_status(ExecutionStatus::Available)
        .creation_time(DateTime::from_secs(1_700_000_600))
        .parameters(
            Parameter::builder()
                .parameter_key("DbPassword")
                .parameter_value(SECRET)
                .resolved_value(SECRET)
                .build(),
        )
        .parameters(
            Parameter::builder()
                .parameter_key("ImageTag")
                .parameter_value("2.7.1")
                .build(),
        )
        .set_changes(Some(changes))
        .set_next_token(next.map(str::to_owned))
        .build()
}

fn plan_rules_common() -> (Rule, Rule, Rule, Rule) {
    (
        mock!(Client::describe_stacks).then_output(|| stack(StackStatus::UpdateComplete, None)),
        mock!(Client::list_change_sets).then_output(|| ListChangeSetsOutput::builder().build()),
        mock!(Client::create_change_set)
            .match_requests(|input| input.role_arn() == Some(SERVICE_ROLE))
            .then_output(|| {
                CreateChangeSetOutput::builder()
                    .id(change_set_arn())
                    .stack_id(STACK_ID)
                    .build()
            }),
        mock!(Client::delete_change_set).then_output(|| DeleteChangeSetOutput::builder().build()),
    )
}

fn online(
    result: Result<omrs_gitops::pipeline::changeset::ChangeSetPlan, omrs_gitops::exit::Failure>,
) -> EnvironmentChangeSet {
    EnvironmentChangeSet {
        name: "prod".to_owned(),
        stack: STACK.to_owned(),
        region: "eu-west-1".to_owned(),
        sha256: SHA.to_owned(),
        result,
    }
}

/// Every writer of a change set: the JSON member, the text lines, and the Markdown cells and details.
fn every_plan_format(item: &EnvironmentChangeSet) -> Vec<String> {
    let mut text = String::new();
    deploy::change_set_text(&mut text, item);
    let mut markdown = format!(
        "{}\n{}\n",
        deploy::change_set_cell(item),
        deploy::stateful_cell(item)
    );
    deploy::change_set_markdown(&mut markdown, item);
    vec![deploy::change_set_json(item).to_string(), text, markdown]
}

#[test]
fn change_set_replacement_details_and_two_pages_all_reported_secrets_redacted() {
    let (stacks, list, create, delete) = plan_rules_common();
    let first_page = vec![
        change(
            ChangeAction::Modify,
            "DbCluster",
            "AWS::RDS::DBCluster",
            Some(Replacement::True),
            vec![detail(
                "EngineVersion",
                RequiresRecreation::Always,
                "8.0.mysql_aurora.3.04.0",
                "8.0.mysql_aurora.3.05.2",
                ChangeSource::DirectModification,
                None,
            )],
        ),
        change(
            ChangeAction::Modify,
            "WebService",
            "AWS::ECS::Service",
            Some(Replacement::Conditional),
            vec![
                detail(
                    "TaskDefinition",
                    RequiresRecreation::Conditionally,
                    "arn:aws:ecs:eu-west-1:123456789012:task-definition/omrs:6",
                    "arn:aws:ecs:eu-west-1:123456789012:task-definition/omrs:7",
                    ChangeSource::ResourceReference,
                    Some("TaskDefinition"),
                ),
                // A dynamic reference in a property value: must never be shown.
                detail(
                    "Environment",
                    RequiresRecreation::Never,
                    "[{\"Name\":\"DB_URL\",\"Value\":\"jdbc:mysql://db\"}]",
                    &format!("[{{\"Name\":\"DB_PASS\",\"Value\":\"{DYNAMIC}\"}}]"),
                    ChangeSource::DirectModification,
                    None,
                ),
            ],
        ),
    ];
    let second_page = vec![
        change(
            ChangeAction::Add,
            "AppLogGroup",
            "AWS::Logs::LogGroup",
            None,
            Vec::new(),
        ),
        change(
            ChangeAction::Remove,
            "AttachmentsBucket",
            "AWS::S3::Bucket",
            None,
            Vec::new(),
        ),
        change(
            ChangeAction::Modify,
            "MigrationTask",
            "AWS::ECS::TaskDefinition",
            Some(Replacement::True),
            vec![detail(
                "ContainerDefinitions",
                RequiresRecreation::Always,
                "openmrs/db:old",
                &format!("connect with {SECRET}"),
                ChangeSource::ParameterReference,
                Some("DbPassword"),
            )],
        ),
    ];
    let first = first_page.clone();
    let describe_first = mock!(Client::describe_change_set)
        .match_requests(|request| request.next_token().is_none())
        .sequence()
        .output(|| change_set_page(ChangeSetStatus::CreateInProgress, Vec::new(), None))
        .output(move || {
            change_set_page(
                ChangeSetStatus::CreateComplete,
                first.clone(),
                Some("page-2"),
            )
        })
        .build();
    let second = second_page.clone();
    let describe_second = mock!(Client::describe_change_set)
        .match_requests(|request| {
            request.next_token() == Some("page-2")
                && request.include_property_values() == Some(true)
        })
        .then_output(move || {
            change_set_page(ChangeSetStatus::CreateComplete, second.clone(), None)
        });
    let cloudformation = client(&[
        &stacks,
        &list,
        &create,
        &delete,
        &describe_first,
        &describe_second,
    ]);
    let plan = run(plan_change_set(
        &cloudformation,
        &FakeStore,
        plan_input(fast(5_000), &["DbCluster"]),
    ))
    .unwrap();
    assert_eq!(describe_first.num_calls(), 2);
    assert_eq!(describe_second.num_calls(), 1);
    let info = plan.change_set.as_ref().unwrap();
    let ids: Vec<&str> = info
        .changes
        .iter()
        .map(|change| change.logical_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "DbCluster",
            "WebService",
            "AppLogGroup",
            "AttachmentsBucket",
            "MigrationTask"
        ]
    );
    assert_eq!(plan.counts(), (1, 3, 1, 2, 1));
    let service = &info.changes[1];
    assert_eq!(service.replacement.as_deref(), Some("Conditional"));
    assert_eq!(service.details[0].name, "/Properties/TaskDefinition");
    assert_eq!(
        service.details[0].requires_recreation.as_deref(),
        Some("Conditionally")
    );
    assert_eq!(
        service.details[0].change_source.as_deref(),
        Some("ResourceReference")
    );
    let flags: Vec<(&str, &str, bool)> = plan
        .flags
        .iter()
        .map(|flag| (flag.logical_id.as_str(), flag.what, flag.allowed))
        .collect();
    assert_eq!(
        flags,
        [
            ("DbCluster", "replacement", true),
            ("AttachmentsBucket", "removal", false)
        ]
    );
    let online = online(Ok(plan));
    for report in every_plan_format(&online) {
        for id in [
            "DbCluster",
            "WebService",
            "AppLogGroup",
            "AttachmentsBucket",
            "MigrationTask",
        ] {
            assert!(report.contains(id), "{id} missing from:\n{report}");
        }
        assert!(report.contains("8.0.mysql_aurora.3.05.2") || !report.contains("EngineVersion"));
        for leak in ["resolve:secretsmanager", "omrs/prod/db", SECRET] {
            assert!(!report.contains(leak), "{leak} leaked into:\n{report}");
        }
    }
}

#[test]
fn failed_change_set_reason_reaches_every_report() {
    let (stacks, list, create, delete) = plan_rules_common();
    let reason = "Template format error: Unresolved resource dependencies [AppRole] in the Resources block of the template";
    let describe = mock!(Client::describe_change_set).then_output(move || {
        DescribeChangeSetOutput::builder()
            .change_set_id(change_set_arn())
            .change_set_name(change_set_name(COMMIT, SHA))
            .stack_id(STACK_ID)
            .status(ChangeSetStatus::Failed)
            .execution_status(ExecutionStatus::Unavailable)
            .status_reason(reason)
            .build()
    });
    let cloudformation = client(&[&stacks, &list, &create, &delete, &describe]);
    let failure = run(plan_change_set(
        &cloudformation,
        &FakeStore,
        plan_input(fast(5_000), &[]),
    ))
    .unwrap_err();
    assert_eq!(failure.status, ExitStatus::ServiceFailed);
    assert!(failure.message.contains("FAILED"), "{}", failure.message);
    let online = online(Err(failure));
    for report in every_plan_format(&online) {
        assert!(
            report.contains("Unresolved resource dependencies [AppRole]"),
            "{report}"
        );
    }
    // The empty change set is not deleted: someone has to read why it failed.
    assert_eq!(delete.num_calls(), 0);
}

#[test]
fn rollback_complete_stack_is_refused_with_the_remedy() {
    let stacks = mock!(Client::describe_stacks).then_output(|| {
        stack(
            StackStatus::RollbackComplete,
            Some("The following resource(s) failed to create: [Database]. Rollback requested by user."),
        )
    });
    let cloudformation = client(&[&stacks]);
    let failure = run(plan_change_set(
        &cloudformation,
        &FakeStore,
        plan_input(fast(5_000), &[]),
    ))
    .unwrap_err();
    assert_eq!(failure.status, ExitStatus::GateFailed);
    assert!(failure.message.contains("ROLLBACK_COMPLETE"));
    assert!(failure.message.contains("--delete-rolled-back-stack"));
    for report in every_plan_format(&online(Err(failure))) {
        assert!(report.contains("ROLLBACK_COMPLETE"), "{report}");
    }
}

fn event(
    id: &str,
    logical: &str,
    kind: &str,
    status: ResourceStatus,
    reason: Option<&str>,
    secs: i64,
) -> StackEvent {
    StackEvent::builder()
        .stack_id(STACK_ID)
        .event_id(id)
        .stack_name(STACK)
        .logical_resource_id(logical)
        .resource_type(kind)
        .timestamp(DateTime::from_secs(secs))
        .resource_status(status)
        .set_resource_status_reason(reason.map(str::to_owned))
        .build()
}

#[test]
fn apply_ending_in_update_rollback_reports_the_root_cause() {
    let stacks = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateComplete, None))
        .output(|| stack(StackStatus::UpdateRollbackComplete, None))
        .build();
    let list = mock!(Client::list_change_sets).then_output(|| {
        ListChangeSetsOutput::builder()
            .summaries(
                ChangeSetSummary::builder()
                    .stack_id(STACK_ID)
                    .stack_name(STACK)
                    .change_set_id(change_set_arn())
                    .change_set_name(change_set_name(COMMIT, SHA))
                    .description(change_set_description(COMMIT, SHA))
                    .status(ChangeSetStatus::CreateComplete)
                    .execution_status(ExecutionStatus::Available)
                    .build(),
            )
            .build()
    });
    let describe = mock!(Client::describe_change_set).then_output(|| {
        change_set_page(
            ChangeSetStatus::CreateComplete,
            vec![change(
                ChangeAction::Modify,
                "WebService",
                "AWS::ECS::Service",
                Some(Replacement::False),
                Vec::new(),
            )],
            None,
        )
    });
    let old = || {
        event(
            "old-1",
            STACK,
            "AWS::CloudFormation::Stack",
            ResourceStatus::UpdateComplete,
            None,
            1_700_000_500,
        )
    };
    let events = mock!(Client::describe_stack_events)
        .sequence()
        .output(move || DescribeStackEventsOutput::builder().stack_events(old()).build())
        .output(move || {
            DescribeStackEventsOutput::builder()
                .stack_events(event("e4", STACK, "AWS::CloudFormation::Stack", ResourceStatus::UpdateRollbackComplete, None, 1_700_000_740))
                .stack_events(event("e3", STACK, "AWS::CloudFormation::Stack", ResourceStatus::UpdateRollbackInProgress, Some("The following resource(s) failed to update: [WebService]."), 1_700_000_730))
                .stack_events(event("e2", "WebService", "AWS::ECS::Service", ResourceStatus::UpdateFailed, Some("Resource handler returned message: \"Invalid request provided: CreateService error: Container web: image omrs/web:9.9 not found\" (HandlerErrorCode: InvalidRequest)"), 1_700_000_720))
                .stack_events(event("e1", STACK, "AWS::CloudFormation::Stack", ResourceStatus::UpdateInProgress, Some("User Initiated"), 1_700_000_700))
                .stack_events(old())
                .build()
        })
        .build();
    let execute =
        mock!(Client::execute_change_set).then_output(|| ExecuteChangeSetOutput::builder().build());
    let cloudformation = client(&[&stacks, &list, &describe, &events, &execute]);
    let input = ApplyInput {
        environment: "prod".to_owned(),
        stack: STACK.to_owned(),
        commit: COMMIT.to_owned(),
        sha256: SHA.to_owned(),
        redactor: Redactor::for_template(&template()),
        allow_replacement: Vec::new(),
        delete_rolled_back_stack: false,
        poll: fast(5_000),
    };
    let mut streamed = Vec::new();
    let outcome = run(apply_change_set(&cloudformation, input, &mut |event| {
        streamed.push(event.id.clone());
    }))
    .unwrap();
    assert_eq!(execute.num_calls(), 1);
    assert_eq!(streamed, ["e1", "e2", "e3", "e4"]);
    assert_eq!(outcome.final_status, "UPDATE_ROLLBACK_COMPLETE");
    assert!(!outcome.succeeded());
    let root = outcome.root_cause.clone().unwrap();
    assert_eq!(root.logical_id, "WebService");
    let report = ApplyReport {
        name: "prod".to_owned(),
        stack: STACK.to_owned(),
        commit: COMMIT.to_owned(),
        sha256: SHA.to_owned(),
        outcome,
    };
    for format in [Format::Text, Format::Json, Format::Markdown] {
        let text = deploy::apply(&report, format);
        assert!(text.contains("UPDATE_ROLLBACK_COMPLETE"), "{text}");
        assert!(text.contains("omrs/web:9.9 not found"), "{text}");
    }
}

#[test]
fn throttling_is_retried_until_success() {
    let throttled = mock!(Client::describe_stacks)
        .sequence()
        .http_status(400, Some("<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>2b1a3c4d-0000-4000-8000-000000000001</RequestId></ErrorResponse>".to_owned()))
        .output(|| stack(StackStatus::UpdateComplete, None))
        .build();
    let cloudformation = client(&[&throttled]);
    let found = run(cloudformation.describe_stack(STACK)).unwrap().unwrap();
    assert_eq!(found.status, "UPDATE_COMPLETE");
    assert_eq!(throttled.num_calls(), 2);
}

#[test]
fn throttling_that_never_ends_is_an_aws_failure_with_its_code() {
    let throttled = mock!(Client::detect_stack_drift)
        .sequence()
        .http_status(400, Some("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>".to_owned()))
        .repeatedly()
        .build();
    let cloudformation = client(&[&throttled]);
    let error = run(cloudformation.detect_drift(STACK)).unwrap_err();
    assert_eq!(error.operation, "DetectStackDrift");
    assert_eq!(error.code.as_deref(), Some("Throttling"));
    assert_eq!(throttled.num_calls(), 3);
}

#[test]
fn operation_in_progress_is_waited_for() {
    let stacks = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateInProgress, None))
        .times(2)
        .output(|| stack(StackStatus::UpdateComplete, None))
        .repeatedly()
        .build();
    let (_, list, create, delete) = plan_rules_common();
    let describe = mock!(Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .change_set_id(change_set_arn())
            .status(ChangeSetStatus::Failed)
            .execution_status(ExecutionStatus::Unavailable)
            .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
            .build()
    });
    let cloudformation = client(&[&stacks, &list, &create, &delete, &describe]);
    let plan = run(plan_change_set(
        &cloudformation,
        &FakeStore,
        plan_input(fast(5_000), &[]),
    ))
    .unwrap();
    assert!(stacks.num_calls() >= 3);
    assert!(plan.change_set.is_none(), "no changes");
    assert_eq!(delete.num_calls(), 1, "the empty change set is deleted");
}

#[test]
fn operation_in_progress_beyond_the_timeout_is_refused() {
    let stacks = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateInProgress, None))
        .repeatedly()
        .build();
    let create =
        mock!(Client::create_change_set).then_output(|| CreateChangeSetOutput::builder().build());
    let cloudformation = client(&[&stacks, &create]);
    let failure = run(plan_change_set(
        &cloudformation,
        &FakeStore,
        plan_input(fast(30), &[]),
    ))
    .unwrap_err();
    assert_eq!(failure.status, ExitStatus::GateFailed);
    assert!(
        failure.message.contains("UPDATE_IN_PROGRESS"),
        "{}",
        failure.message
    );
    assert!(
        failure.message.contains("wait for the running operation"),
        "{}",
        failure.message
    );
    assert_eq!(create.num_calls(), 0);
}

fn drift_rules() -> (Rule, Rule, Rule) {
    let detect = mock!(Client::detect_stack_drift)
        .match_requests(|request| request.stack_name() == Some(STACK))
        .then_output(|| {
            DetectStackDriftOutput::builder()
                .stack_drift_detection_id("b78ac9b0-dec1-11e7-a451-503a3e7b0000")
                .build()
        });
    let status = |detection: StackDriftDetectionStatus, drift: Option<StackDriftStatus>| {
        DescribeStackDriftDetectionStatusOutput::builder()
            .stack_id(STACK_ID)
            .stack_drift_detection_id("b78ac9b0-dec1-11e7-a451-503a3e7b0000")
            .detection_status(detection)
            .set_stack_drift_status(drift)
            .drifted_stack_resource_count(1)
            .timestamp(DateTime::from_secs(1_700_000_900))
            .build()
    };
    let poll = mock!(Client::describe_stack_drift_detection_status)
        .match_requests(|request| {
            request.stack_drift_detection_id() == Some("b78ac9b0-dec1-11e7-a451-503a3e7b0000")
        })
        .sequence()
        .output(move || status(StackDriftDetectionStatus::DetectionInProgress, None))
        .times(2)
        .output(move || {
            status(
                StackDriftDetectionStatus::DetectionComplete,
                Some(StackDriftStatus::Drifted),
            )
        })
        .build();
    let difference = |path: &str, expected: &str, actual: &str, kind: DifferenceType| {
        PropertyDifference::builder()
            .property_path(path)
            .expected_value(expected)
            .actual_value(actual)
            .difference_type(kind)
            .build()
    };
    let drifts = mock!(Client::describe_stack_resource_drifts)
        .match_requests(|request| {
            request.stack_resource_drift_status_filters()
                == [
                    StackResourceDriftStatus::Modified,
                    StackResourceDriftStatus::Deleted,
                ]
        })
        .then_output(move || {
            DescribeStackResourceDriftsOutput::builder()
                .stack_resource_drifts(
                    StackResourceDrift::builder()
                        .stack_id(STACK_ID)
                        .logical_resource_id("WebService")
                        .physical_resource_id("arn:aws:ecs:eu-west-1:123456789012:service/omrs/web")
                        .resource_type("AWS::ECS::Service")
                        .stack_resource_drift_status(StackResourceDriftStatus::Modified)
                        .property_differences(difference(
                            "/DesiredCount",
                            "2",
                            "4",
                            DifferenceType::NotEqual,
                        ))
                        .property_differences(difference(
                            "/Tags/0/Value",
                            "omrs",
                            "manual",
                            DifferenceType::NotEqual,
                        ))
                        .timestamp(DateTime::from_secs(1_700_000_900))
                        .build(),
                )
                .build()
        });
    (detect, poll, drifts)
}

fn ignore(property: &str) -> DriftIgnore {
    DriftIgnore {
        resource: "WebService".to_owned(),
        property: Some(property.to_owned()),
        reason: "autoscaling changes the desired count".to_owned(),
        expires: None,
    }
}

fn drift_report(ignore: &[DriftIgnore]) -> (DriftReport, Rule) {
    let (detect_rule, poll, drifts) = drift_rules();
    let cloudformation = client(&[&detect_rule, &poll, &drifts]);
    let result = run(detect(
        &cloudformation,
        STACK,
        ignore,
        (2026, 1, 15),
        &Redactor::default(),
        fast(5_000),
    ));
    (
        DriftReport {
            environments: vec![EnvironmentDrift {
                name: "prod".to_owned(),
                stack: STACK.to_owned(),
                result,
            }],
        },
        poll,
    )
}

#[test]
fn drift_polls_until_complete_and_an_ignore_entry_filters_one_difference() {
    let (report, poll) = drift_report(&[ignore("/DesiredCount")]);
    assert_eq!(
        poll.num_calls(),
        3,
        "two DETECTION_IN_PROGRESS, then DETECTION_COMPLETE"
    );
    let drift = report.environments[0].result.as_ref().unwrap();
    assert_eq!(drift.drifted.len(), 1);
    assert_eq!(drift.drifted[0].differences.len(), 1);
    assert_eq!(drift.drifted[0].differences[0].path, "/Tags/0/Value");
    assert_eq!(drift.drifted[0].differences[0].kind, "NOT_EQUAL");
    assert_eq!(drift.ignored.len(), 1);
    assert_eq!(drift.ignored[0].0.differences[0].path, "/DesiredCount");
    assert_eq!(
        report.status(),
        ExitStatus::GateFailed,
        "real drift remains: exit 1"
    );
    for format in [Format::Text, Format::Json, Format::Markdown] {
        let text = deploy::drift(&report, format);
        assert!(
            text.contains("WebService") && text.contains("/Tags/0/Value"),
            "{text}"
        );
    }
}

#[test]
fn drift_fully_ignored_passes_the_gate() {
    let (report, _) = drift_report(&[ignore("/DesiredCount"), ignore("/Tags")]);
    let drift = report.environments[0].result.as_ref().unwrap();
    assert!(drift.drifted.is_empty());
    assert_eq!(drift.ignored.len(), 2);
    assert_eq!(report.status(), ExitStatus::Success);
}
