//! The environment file model: what `pipelines/<env>.yaml` may say, with the seed's defaults.
//!
//! Every field of the seed's `cdk.json` context is a typed field here, grouped by concern. The structs derive
//! `JsonSchema` so `omrs-gitops schema` and editors validate against exactly these types. This module only
//! describes shapes and defaults; cross-field rules live in `config::validate`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One deployment of OpenMRS: the stack it lives in and every architecture toggle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "omrs-gitops environment file")]
pub struct Environment {
    /// Where the CloudFormation stack lives and how it is named and tagged.
    pub stack: Stack,
    /// The OpenMRS container images (gateway, frontend, backend) and the tag they run.
    #[serde(default)]
    pub images: Images,
    /// Size and scaling of the ECS Fargate service running OpenMRS.
    #[serde(default)]
    pub service: Service,
    /// VPC layout and who may reach the load balancer.
    #[serde(default)]
    pub network: Network,
    /// TLS and DNS: an imported ACM certificate and/or a Route 53 hosted zone.
    #[serde(default)]
    pub dns: Dns,
    /// Amazon SES: sending mail from OpenMRS and receiving mail for the domain.
    #[serde(default)]
    pub email: Email,
    /// Aurora MySQL Serverless v2 settings.
    #[serde(default)]
    pub database: Database,
    /// Optional parts of the architecture.
    #[serde(default)]
    pub features: Features,
    /// Accepted compliance findings: each names a rule, the resources it covers, why it is acceptable, until
    /// when, and who owns it. Applied by `check` after cdk-nag metadata suppressions in the template.
    #[serde(default)]
    pub suppressions: Vec<Suppression>,
    /// How `plan` and `apply` reach CloudFormation: the artifact bucket for templates, the timeout, and which
    /// stateful resources a change set may replace or remove.
    #[serde(default)]
    pub deploy: Deploy,
    /// Nightly drift detection: differences between the live stack and its template that are known and accepted.
    #[serde(default)]
    pub drift: DriftSettings,
}

/// Deployment through CloudFormation change sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// S3 bucket (in the stack's region) that `plan` uploads rendered templates to, keyed
    /// `<stack name>/<template SHA-256>.template.json`: templates exceed CloudFormation's 51,200-byte inline limit.
    /// Required by `plan` and `apply` (not by `plan --offline`).
    #[serde(default)]
    pub artifact_bucket: Option<String>,
    /// Minutes `plan`, `apply` and `drift` wait for CloudFormation (change set creation, stack operations, drift
    /// detection) before giving up, 1..720.
    #[serde(default = "default_deploy_timeout")]
    pub timeout_minutes: u32,
    /// Logical IDs of stateful resources (database cluster and instances, file systems, KMS keys, buckets, log
    /// groups) that `apply` may replace or remove. Anything else stateful that a change set would replace or
    /// remove makes `apply` refuse. Remove the entry once the change is applied.
    #[serde(default)]
    pub allow_replacement: Vec<String>,
    /// IAM role CloudFormation assumes to create, update and delete the stack's resources (the stack's service
    /// role, passed as `RoleARN` on every change set): the deploy role then needs only the change-set calls and
    /// `iam:PassRole` on this one role, not the permissions of everything the template creates (docs/ci.md).
    /// `arn:<partition>:iam::<stack account>:role/<name>`.
    #[serde(default)]
    pub cloudformation_role_arn: Option<String>,
}

/// Drift detection settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftSettings {
    /// Known drift to ignore: each entry has `resource` (logical ID), optional `property` (a property path such as
    /// `/DesiredCount`, matching it and everything below it; unset ignores the whole resource), `reason` (at least
    /// 10 characters) and optional `expires` (`YYYY-MM-DD`, last day it applies).
    #[serde(default)]
    pub ignore: Vec<DriftIgnore>,
}

/// One accepted drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftIgnore {
    /// Logical ID of the drifted resource.
    pub resource: String,
    /// Property path as CloudFormation reports it (`/Tags/0/Value`); matches the path and everything below it.
    /// Unset: the whole resource.
    #[serde(default)]
    pub property: Option<String>,
    /// Why the drift is acceptable: at least 10 characters.
    pub reason: String,
    /// Last day (`YYYY-MM-DD`, UTC) the entry applies; afterwards the drift counts again.
    #[serde(default)]
    pub expires: Option<String>,
}

fn default_deploy_timeout() -> u32 {
    60
}

impl Default for Deploy {
    fn default() -> Self {
        Deploy {
            artifact_bucket: None,
            timeout_minutes: default_deploy_timeout(),
            allow_replacement: Vec::new(),
            cloudformation_role_arn: None,
        }
    }
}

/// One accepted compliance finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// Full rule ID, for example `HIPAA.Security-S3BucketReplicationEnabled`.
    pub rule: String,
    /// Logical ID of the resource, or a glob over logical IDs (`*` any run of characters, `?` one character).
    pub resource: String,
    /// Only this granular finding of the rule (for example `Action::s3:*`); unset covers every finding.
    #[serde(default)]
    pub finding: Option<String>,
    /// Why the finding is acceptable, for an auditor: at least 10 characters.
    pub reason: String,
    /// Last day (`YYYY-MM-DD`, UTC) the suppression applies; after it the gate fails and names it. Required for
    /// Error-level rules.
    #[serde(default)]
    pub expires: Option<String>,
    /// Who answers for the exception (a person, team or address).
    #[serde(default)]
    pub owner: Option<String>,
}

/// The CloudFormation stack an environment deploys to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// CloudFormation stack name: a letter, then letters, digits and hyphens, at most 128 characters.
    pub name: String,
    /// The 12-digit AWS account ID the stack is deployed to. Quote it so YAML keeps leading zeros.
    pub account: String,
    /// AWS region, for example `us-east-1`.
    pub region: String,
    /// Tags applied to the stack and, through CloudFormation, to every resource that supports tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Which folder under `templates/` renders this environment.
    #[serde(default = "default_template_set")]
    pub template_set: String,
}

/// Container images of the OpenMRS reference application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Images {
    /// Image tag shared by the gateway, frontend and backend (cdk.json `openmrs_reference_application_version`).
    #[serde(default = "default_image_tag")]
    pub tag: String,
    /// Repository of the nginx gateway image, which also builds the TLS materials.
    #[serde(default = "default_gateway_repository")]
    pub gateway: String,
    /// Repository of the single-page frontend image.
    #[serde(default = "default_frontend_repository")]
    pub frontend: String,
    /// Repository of the openmrs-core backend image, which also seeds the data file system.
    #[serde(default = "default_backend_repository")]
    pub backend: String,
    /// Run every image by digest: `omrs-gitops images` resolves each tag through its registry and renders the
    /// templates with `repository@sha256:...`, so what runs is exactly what was reviewed and scanned, even when
    /// the tag moves. The offline commands (`render`, `check`, `plan --offline`) keep the tags.
    #[serde(default)]
    pub pin: bool,
    /// Where `omrs-gitops images` reads each image's vulnerabilities: `none` (no scan), `inspector` (Amazon
    /// Inspector2 ListFindings, filtered by ECR repository and image digest) or `ecr-basic` (ECR basic scanning,
    /// DescribeImageScanFindings). Only images in an ECR private registry are scanned by AWS: turn on
    /// `pull_through_cache` to run the Docker Hub images from ECR.
    #[serde(default)]
    pub scan: ScanMode,
    /// Severities that fail the vulnerability gate (exit 1) unless allowlisted.
    #[serde(default = "default_fail_on")]
    pub fail_on: Vec<Severity>,
    /// Seconds to wait, polling with backoff, for a scan that is still pending or in progress (1..3600); after
    /// it the command fails with exit 3.
    #[serde(default = "default_scan_timeout")]
    pub scan_timeout_seconds: u32,
    /// Accepted vulnerabilities: each names a CVE (and optionally the package), why it is acceptable, until when,
    /// and who owns it. An expired entry fails the gate; an entry that matches no finding is reported as stale.
    #[serde(default)]
    pub allowlist: Vec<AllowlistEntry>,
    /// Create an ECR pull-through cache rule for Docker Hub (prefix derived from the stack name, see
    /// docs/images.md) and run every Docker Hub image from the cached ECR repository
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<repository>`, so AWS scans what runs. Needs
    /// `docker_hub_credential_arn`.
    #[serde(default)]
    pub pull_through_cache: bool,
    /// ARN of the Secrets Manager secret holding Docker Hub credentials (`username` and `accessToken`) for the
    /// pull-through cache rule. ECR requires the secret name to start with `ecr-pullthroughcache/`, in the stack's
    /// account and region.
    #[serde(default)]
    pub docker_hub_credential_arn: Option<String>,
}

/// Where vulnerabilities of images come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScanMode {
    /// No vulnerability scan.
    #[default]
    None,
    /// Amazon Inspector2 enhanced scanning (ListFindings).
    Inspector,
    /// ECR basic scanning (DescribeImageScanFindings).
    EcrBasic,
}

/// Vulnerability severity, as Inspector2 and ECR name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Informational,
    /// Inspector2: not yet rated.
    Untriaged,
    /// ECR basic scanning: no rating.
    Undefined,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 7] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
        Severity::Untriaged,
        Severity::Undefined,
    ];

    /// The name services and reports use (`CRITICAL`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::High => "HIGH",
            Severity::Medium => "MEDIUM",
            Severity::Low => "LOW",
            Severity::Informational => "INFORMATIONAL",
            Severity::Untriaged => "UNTRIAGED",
            Severity::Undefined => "UNDEFINED",
        }
    }

    /// A service's severity name; unknown names are `UNDEFINED`.
    pub fn parse(text: &str) -> Severity {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(text))
            .unwrap_or(Severity::Undefined)
    }
}

/// One accepted vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowlistEntry {
    /// Vulnerability ID as the scanner reports it, for example `CVE-2024-3094` or `GHSA-xxxx-xxxx-xxxx`.
    pub cve: String,
    /// Only findings in this package (for example `openssl`); unset covers the vulnerability in every package.
    #[serde(default)]
    pub package: Option<String>,
    /// Why the vulnerability is acceptable, for an auditor: at least 10 characters.
    pub reason: String,
    /// Last day (`YYYY-MM-DD`, UTC) the entry applies; after it the gate fails and names it.
    pub expires: String,
    /// Who answers for the exception (a person, team or address).
    pub owner: String,
}

/// The ECS Fargate service running OpenMRS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Task CPU units (cdk.json `openmrs_service_fargate_cpu_per_task`). Must pair with `memory` as Fargate allows.
    #[serde(default = "default_cpu")]
    pub cpu: u32,
    /// Task memory in MiB (cdk.json `openmrs_service_fargate_ram_per_task`).
    #[serde(default = "default_memory")]
    pub memory: u32,
    /// Desired and minimum task count (cdk.json `openmrs_service_fargate_minimum_capacity`).
    #[serde(default = "default_capacity")]
    pub min_capacity: u32,
    /// Maximum task count for autoscaling (cdk.json `openmrs_service_fargate_maximum_capacity`). Equal to
    /// `min_capacity` turns autoscaling off, which the seed recommends while OpenMRS keeps sessions in memory.
    #[serde(default = "default_capacity")]
    pub max_capacity: u32,
    /// Average CPU utilisation (1..100 %) that autoscaling tracks (cdk.json
    /// `openmrs_service_fargate_cpu_autoscaling_percentage`).
    #[serde(default = "default_percent")]
    pub cpu_target_percent: u32,
    /// Average memory utilisation (1..100 %) that autoscaling tracks (cdk.json
    /// `openmrs_service_fargate_memory_autoscaling_percentage`).
    #[serde(default = "default_percent")]
    pub memory_target_percent: u32,
    /// Lifetime of the load balancer's sticky-session cookie in minutes, 1..10080 (cdk.json
    /// `sticky_session_cookie_length_in_minutes`).
    #[serde(default = "default_sticky_minutes")]
    pub sticky_session_minutes: u32,
    /// Seconds ECS ignores failing load-balancer health checks after a task starts. OpenMRS's first start
    /// (database creation and module loading) can take 20 minutes; the seed's 60 s killed such tasks.
    #[serde(default = "default_grace_seconds")]
    pub health_check_grace_seconds: u32,
    /// Days the application log group keeps container logs. One of CloudWatch Logs' allowed values.
    #[serde(default = "default_app_log_retention")]
    pub log_retention_days: u32,
}

/// Network layout and load-balancer reachability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// IPv4 CIDR of the VPC. Must be a /16: it is split into two public and two private /18 subnets.
    #[serde(default = "default_vpc_cidr")]
    pub vpc_cidr: String,
    /// IPv4 CIDR allowed to reach the load balancer (cdk.json `security_group_ip_range_ipv4`). Unset: no IPv4
    /// client can reach OpenMRS.
    #[serde(default)]
    pub allowed_ipv4_cidr: Option<String>,
    /// IPv6 CIDR allowed to reach the load balancer (cdk.json `security_group_ip_range_ipv6`). Setting it makes
    /// the load balancer dual-stack.
    #[serde(default)]
    pub allowed_ipv6_cidr: Option<String>,
    /// Allow the OpenMRS tasks outbound SMTP on 465 and 587 to any address (cdk.json `open_smtp_port`). Without it
    /// the tasks reach only what they need: AWS APIs over 443, the database, the file systems and, with SES, the
    /// SES SMTP endpoint.
    #[serde(default)]
    pub open_smtp_port: bool,
}

/// TLS certificates and DNS records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Domain of a Route 53 public hosted zone (cdk.json `route53_domain`). Creates a `*.<domain>` certificate
    /// and the record `openmrs.<domain>`, and turns HTTPS on. Needs `hosted_zone_id`.
    #[serde(default)]
    pub route53_domain: Option<String>,
    /// ID of the hosted zone of `route53_domain` (the seed looked it up at synth time; a template cannot).
    #[serde(default)]
    pub hosted_zone_id: Option<String>,
    /// ARN of an existing ACM certificate in the stack's region (cdk.json `certificate_arn`). Turns HTTPS on and
    /// is used instead of the certificate created for `route53_domain`.
    #[serde(default)]
    pub certificate_arn: Option<String>,
}

/// Amazon SES integration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Email {
    /// Configure SES for `dns.route53_domain`: sending identity with DKIM, SMTP credentials for OpenMRS, inbound
    /// mail to `help@<domain>` stored in S3 (cdk.json `configure_ses`). Needs `dns.route53_domain`.
    #[serde(default)]
    pub configure_ses: bool,
    /// Forward mail received at `help@<domain>` to this address (cdk.json `email_forwarding_address`). Needs
    /// `configure_ses`.
    #[serde(default)]
    pub forwarding_address: Option<String>,
}

/// Aurora MySQL Serverless v2 cluster settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Refuse deletion of the cluster and its instances. Turn on for any environment holding patient data.
    #[serde(default)]
    pub deletion_protection: bool,
    /// MySQL port of the cluster, 1150..65535. Not MySQL's well-known 3306, which scanners probe first.
    #[serde(default = "default_database_port")]
    pub port: u32,
    /// Days of automated Aurora backups (1..35), in addition to the AWS Backup plan.
    #[serde(default = "default_backup_retention")]
    pub backup_retention_days: u32,
    /// Smallest Serverless v2 capacity in ACUs (0..256, in steps of 0.5). 0 lets an idle cluster pause.
    #[serde(default)]
    pub min_acu: f64,
    /// Largest Serverless v2 capacity in ACUs (1..256, in steps of 0.5).
    #[serde(default = "default_max_acu")]
    pub max_acu: f64,
    /// MySQL `net_read_timeout` in seconds (1..31536000).
    #[serde(default = "default_mysql_timeout")]
    pub net_read_timeout: u64,
    /// MySQL `net_write_timeout` in seconds (1..31536000).
    #[serde(default = "default_mysql_timeout")]
    pub net_write_timeout: u64,
    /// MySQL `wait_timeout` in seconds (1..31536000).
    #[serde(default = "default_mysql_timeout")]
    pub wait_timeout: u64,
    /// MySQL `connect_timeout` in seconds (2..31536000).
    #[serde(default = "default_mysql_timeout")]
    pub connect_timeout: u64,
    /// MySQL `max_execution_time` in milliseconds (0..4294967295, 0 = no limit).
    #[serde(default = "default_max_execution_time")]
    pub max_execution_time: u64,
    /// Aurora ML `aurora_ml_inference_timeout` in milliseconds (1..2147483647). Used only with `features.bedrock`.
    #[serde(default = "default_mysql_timeout")]
    pub aurora_ml_inference_timeout: u64,
}

/// Optional parts of the architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Multi-region CloudTrail trail to a KMS-encrypted bucket and log group (cdk.json
    /// `enable_long_term_cloudtrail_monitoring`).
    #[serde(default = "default_true")]
    pub cloudtrail: bool,
    /// Days the CloudTrail log group keeps events; one of CloudWatch Logs' allowed values. The seed asked for
    /// nine years.
    #[serde(default = "default_cloudtrail_retention")]
    pub cloudtrail_log_retention_days: u32,
    /// ECS Exec into running tasks, logged to a KMS-encrypted log group and bucket (cdk.json `enable_ecs_exec`).
    #[serde(default)]
    pub ecs_exec: bool,
    /// Aurora ML integration with Amazon Bedrock (cdk.json `enable_bedrock_integration`).
    #[serde(default)]
    pub bedrock: bool,
    /// The RDS Data API on the cluster (cdk.json `enable_data_api`).
    #[serde(default)]
    pub data_api: bool,
    /// An AWS Global Accelerator in front of the load balancer (cdk.json `enable_global_accelerator`).
    #[serde(default)]
    pub global_accelerator: bool,
    /// The serverless analytics environment: S3 exports, EMR Serverless and SageMaker (cdk.json
    /// `create_serverless_analytics_environment`).
    #[serde(default)]
    pub analytics: bool,
}

fn default_template_set() -> String {
    "openmrs-fargate".to_owned()
}
fn default_image_tag() -> String {
    "3.2.0-rc.3".to_owned()
}
fn default_gateway_repository() -> String {
    "openmrs/openmrs-reference-application-3-gateway".to_owned()
}
fn default_frontend_repository() -> String {
    "openmrs/openmrs-reference-application-3-frontend".to_owned()
}
fn default_backend_repository() -> String {
    "openmrs/openmrs-reference-application-3-backend".to_owned()
}
fn default_fail_on() -> Vec<Severity> {
    vec![Severity::Critical, Severity::High]
}
fn default_scan_timeout() -> u32 {
    600
}
fn default_cpu() -> u32 {
    2048
}
fn default_memory() -> u32 {
    4096
}
fn default_capacity() -> u32 {
    2
}
fn default_percent() -> u32 {
    60
}
fn default_sticky_minutes() -> u32 {
    60
}
fn default_grace_seconds() -> u32 {
    1200
}
fn default_app_log_retention() -> u32 {
    731
}
fn default_vpc_cidr() -> String {
    "10.0.0.0/16".to_owned()
}
fn default_backup_retention() -> u32 {
    7
}
fn default_database_port() -> u32 {
    3307
}
fn default_max_acu() -> f64 {
    256.0
}
fn default_mysql_timeout() -> u64 {
    30000
}
fn default_max_execution_time() -> u64 {
    3_000_000
}
fn default_true() -> bool {
    true
}
fn default_cloudtrail_retention() -> u32 {
    3288
}

impl Default for Images {
    fn default() -> Self {
        Images {
            tag: default_image_tag(),
            gateway: default_gateway_repository(),
            frontend: default_frontend_repository(),
            backend: default_backend_repository(),
            pin: false,
            scan: ScanMode::None,
            fail_on: default_fail_on(),
            scan_timeout_seconds: default_scan_timeout(),
            allowlist: Vec::new(),
            pull_through_cache: false,
            docker_hub_credential_arn: None,
        }
    }
}

impl Default for Service {
    fn default() -> Self {
        Service {
            cpu: default_cpu(),
            memory: default_memory(),
            min_capacity: default_capacity(),
            max_capacity: default_capacity(),
            cpu_target_percent: default_percent(),
            memory_target_percent: default_percent(),
            sticky_session_minutes: default_sticky_minutes(),
            health_check_grace_seconds: default_grace_seconds(),
            log_retention_days: default_app_log_retention(),
        }
    }
}

impl Default for Network {
    fn default() -> Self {
        Network {
            vpc_cidr: default_vpc_cidr(),
            allowed_ipv4_cidr: None,
            allowed_ipv6_cidr: None,
            open_smtp_port: false,
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Database {
            deletion_protection: false,
            port: default_database_port(),
            backup_retention_days: default_backup_retention(),
            min_acu: 0.0,
            max_acu: default_max_acu(),
            net_read_timeout: default_mysql_timeout(),
            net_write_timeout: default_mysql_timeout(),
            wait_timeout: default_mysql_timeout(),
            connect_timeout: default_mysql_timeout(),
            max_execution_time: default_max_execution_time(),
            aurora_ml_inference_timeout: default_mysql_timeout(),
        }
    }
}

impl Default for Features {
    fn default() -> Self {
        Features {
            cloudtrail: true,
            cloudtrail_log_retention_days: default_cloudtrail_retention(),
            ecs_exec: false,
            bedrock: false,
            data_api: false,
            global_accelerator: false,
            analytics: false,
        }
    }
}

impl Environment {
    /// HTTPS is on when the listener has a certificate: an imported one or the one created for the domain.
    pub fn tls(&self) -> bool {
        self.dns.certificate_arn.is_some() || self.dns.route53_domain.is_some()
    }
}
