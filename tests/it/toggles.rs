//! Each toggle of the environment file adds and removes exactly the parts of the architecture it governs, and
//! the seed's defects stay fixed.

use serde_json::Value;

use omrs_gitops::config::Environment;
use omrs_gitops::render::Rendered;

use crate::support::{ids_of_type, load, render_env, resources};

fn dev() -> Environment {
    load("pipelines/dev.yaml")
}

fn with_domain(mut environment: Environment) -> Environment {
    environment.dns.route53_domain = Some("clinic.example.org".to_owned());
    environment.dns.hosted_zone_id = Some("Z0TESTZONE0000000001".to_owned());
    environment
}

/// Each toggle on its own over the dev environment, named for the file cfn-lint reports on.
pub fn variants() -> Vec<(String, Environment)> {
    let mut list = Vec::new();
    let mut add = |name: &str, change: &dyn Fn(&mut Environment)| {
        let mut environment = dev();
        change(&mut environment);
        list.push((format!("toggle-{name}"), environment));
    };
    add("no-cloudtrail", &|e| e.features.cloudtrail = false);
    add("ecs-exec", &|e| e.features.ecs_exec = true);
    add("bedrock", &|e| e.features.bedrock = true);
    add("data-api", &|e| e.features.data_api = true);
    add("global-accelerator", &|e| {
        e.features.global_accelerator = true
    });
    add("analytics", &|e| e.features.analytics = true);
    add("open-smtp", &|e| e.network.open_smtp_port = true);
    add("ipv4-ipv6", &|e| {
        e.network.allowed_ipv4_cidr = Some("0.0.0.0/0".to_owned());
        e.network.allowed_ipv6_cidr = Some("::/0".to_owned());
    });
    add("certificate-arn", &|e| {
        e.dns.certificate_arn =
            Some("arn:aws:acm:us-east-1:123456789012:certificate/abc-123".to_owned())
    });
    add("route53", &|e| *e = with_domain(e.clone()));
    add("ses", &|e| {
        *e = with_domain(e.clone());
        e.email.configure_ses = true;
    });
    add("ses-forwarding", &|e| {
        *e = with_domain(e.clone());
        e.email.configure_ses = true;
        e.email.forwarding_address = Some("records@example.org".to_owned());
    });
    add("autoscaling", &|e| e.service.max_capacity = 6);
    add("pull-through-cache", &pull_through);
    list
}

fn pull_through(environment: &mut Environment) {
    environment.images.pull_through_cache = true;
    environment.images.docker_hub_credential_arn = Some(format!(
        "arn:aws:secretsmanager:{}:{}:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
        environment.stack.region, environment.stack.account
    ));
}

#[test]
fn pull_through_cache_runs_docker_hub_images_from_ecr() {
    let (off, on) = check_toggle(pull_through, &[("AWS::ECR::PullThroughCacheRule", 1)]);
    let environment = dev();
    let prefix = omrs_gitops::render::pull_through_prefix(&environment.stack.name);
    let rule = resource(&on, "DockerHubPullThroughCacheRule");
    assert_eq!(rule["Properties"]["EcrRepositoryPrefix"], prefix.as_str());
    assert_eq!(
        rule["Properties"]["UpstreamRegistryUrl"],
        "registry-1.docker.io"
    );
    assert!(rule["Properties"]["CredentialArn"]
        .as_str()
        .unwrap()
        .contains(":secret:ecr-pullthroughcache/"));
    let host = format!(
        "{}.dkr.ecr.{}.amazonaws.com",
        environment.stack.account, environment.stack.region
    );
    let images = |rendered: &Rendered| -> Vec<String> {
        omrs_gitops::images::collect(&rendered.document)
            .unwrap()
            .into_iter()
            .map(|image| image.written)
            .collect()
    };
    assert!(images(&off)
        .iter()
        .all(|image| !image.contains(".dkr.ecr.")));
    let cached = images(&on);
    assert!(
        cached.contains(&format!(
            "{host}/{prefix}/openmrs/openmrs-reference-application-3-backend:{}",
            environment.images.tag
        )),
        "{cached:?}"
    );
    // The execution role may pull, and import on first pull, only the cached repositories.
    let policy = resource(&on, "TaskExecutionPolicy");
    let statement = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|statement| statement["Sid"] == "PullImagesFromEcr")
        .cloned()
        .unwrap();
    assert!(statement["Action"]
        .as_array()
        .unwrap()
        .contains(&Value::from("ecr:BatchImportUpstreamImage")));
    assert!(statement["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .all(|arn| arn
            .as_str()
            .unwrap()
            .contains(&format!(":repository/{prefix}/"))));
}

fn render(environment: &Environment) -> Rendered {
    render_env("test", environment)
}

fn resource(rendered: &Rendered, id: &str) -> Value {
    resources(rendered)
        .get(id)
        .cloned()
        .unwrap_or_else(|| panic!("no resource `{id}`"))
}

fn count(rendered: &Rendered, resource_type: &str) -> usize {
    ids_of_type(rendered, resource_type).len()
}

/// Resource types whose count differs between two renders, with (before, after).
fn type_changes(before: &Rendered, after: &Rendered) -> Vec<(String, usize, usize)> {
    let mut types: Vec<String> = resources(before)
        .values()
        .chain(resources(after).values())
        .filter_map(|resource| {
            resource
                .get("Type")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    types.sort();
    types.dedup();
    types
        .into_iter()
        .map(|kind| (kind.clone(), count(before, &kind), count(after, &kind)))
        .filter(|(_, a, b)| a != b)
        .collect()
}

/// Renders with and without `change` and asserts that exactly `added` types appear (and disappear again).
#[track_caller]
fn check_toggle(
    change: impl Fn(&mut Environment),
    added: &[(&str, usize)],
) -> (Rendered, Rendered) {
    let off = render(&dev());
    let mut environment = dev();
    change(&mut environment);
    let on = render(&environment);
    let changes = type_changes(&off, &on);
    for (kind, extra) in added {
        assert!(
            changes
                .iter()
                .any(|(changed, a, b)| changed == kind && b - a == *extra),
            "expected {extra} more {kind}, type changes were {changes:?}"
        );
    }
    for (kind, a, b) in &changes {
        assert!(
            b > a,
            "{kind} went from {a} to {b}: a toggle must only add resources"
        );
    }
    (off, on)
}

fn text(rendered: &Rendered) -> &str {
    &rendered.json
}

#[test]
fn cloudtrail_toggle() {
    let (with_trail, _) = (render(&dev()), ());
    assert_eq!(count(&with_trail, "AWS::CloudTrail::Trail"), 1);
    let mut environment = dev();
    environment.features.cloudtrail = false;
    let without = render(&environment);
    assert_eq!(count(&without, "AWS::CloudTrail::Trail"), 0);
    assert!(without.resource_count() < with_trail.resource_count());
}

#[test]
fn cloudtrail_delivers_to_an_encrypted_log_group_with_the_configured_retention() {
    let rendered = render(&dev());
    let trail_id = &ids_of_type(&rendered, "AWS::CloudTrail::Trail")[0];
    let trail = resource(&rendered, trail_id);
    let group = trail["Properties"]["CloudWatchLogsLogGroupArn"].to_string();
    let group_id = ids_of_type(&rendered, "AWS::Logs::LogGroup")
        .into_iter()
        .find(|id| group.contains(&format!("\"{id}\"")))
        .unwrap_or_else(|| panic!("the trail's log group is not in the template: {group}"));
    let log_group = resource(&rendered, &group_id);
    assert_eq!(log_group["Properties"]["RetentionInDays"], 3288);
    assert!(
        log_group["Properties"]["KmsKeyId"].is_object(),
        "the trail's log group is KMS-encrypted"
    );
}

#[test]
fn ecs_exec_toggle() {
    let (off, on) = check_toggle(
        |e| e.features.ecs_exec = true,
        &[("AWS::KMS::Key", 1), ("AWS::S3::Bucket", 1)],
    );
    assert_eq!(
        resource(&on, "OpenmrsService")["Properties"]["EnableExecuteCommand"],
        true
    );
    assert_eq!(
        resource(&off, "OpenmrsService")["Properties"]["EnableExecuteCommand"],
        false
    );
    assert!(resource(&on, "EcsCluster")["Properties"]["Configuration"]
        ["ExecuteCommandConfiguration"]
        .is_object());
    assert!(resource(&off, "EcsCluster")["Properties"]
        .get("Configuration")
        .is_none());
}

#[test]
fn bedrock_toggle() {
    let (off, on) = check_toggle(
        |e| e.features.bedrock = true,
        &[("AWS::EC2::VPCEndpoint", 1), ("AWS::IAM::Role", 1)],
    );
    assert!(resources(&on).contains_key("AuroraMlRole"));
    let roles = &resource(&on, "DatabaseCluster")["Properties"]["AssociatedRoles"];
    assert_eq!(roles[0]["FeatureName"], "Bedrock");
    assert!(resource(&off, "DatabaseCluster")["Properties"]
        .get("AssociatedRoles")
        .is_none());
    assert!(text(&on).contains("aws_default_bedrock_role"));
    assert!(!text(&off).contains("aws_default_bedrock_role"));
}

#[test]
fn data_api_toggle() {
    let (off, on) = check_toggle(|e| e.features.data_api = true, &[]);
    assert_eq!(
        resource(&on, "DatabaseCluster")["Properties"]["EnableHttpEndpoint"],
        true
    );
    assert_eq!(
        resource(&off, "DatabaseCluster")["Properties"]["EnableHttpEndpoint"],
        false
    );
    assert_eq!(off.resource_count(), on.resource_count());
}

#[test]
fn global_accelerator_toggle() {
    let (off, on) = check_toggle(
        |e| e.features.global_accelerator = true,
        &[
            ("AWS::GlobalAccelerator::Accelerator", 1),
            ("AWS::GlobalAccelerator::EndpointGroup", 1),
        ],
    );
    assert!(on.document["Outputs"].get("GlobalAcceleratorUrl").is_some());
    assert!(off.document["Outputs"]
        .get("GlobalAcceleratorUrl")
        .is_none());
}

#[test]
fn analytics_toggle() {
    check_toggle(
        |e| e.features.analytics = true,
        &[
            ("AWS::EMRServerless::Application", 1),
            ("AWS::SageMaker::Domain", 1),
            ("AWS::SageMaker::UserProfile", 1),
            ("AWS::S3::Bucket", 2),
            ("AWS::KMS::Key", 1),
        ],
    );
}

#[test]
fn route53_domain_adds_certificate_record_and_https_with_redirect() {
    let (off, on) = check_toggle(
        |e| *e = with_domain(e.clone()),
        &[
            ("AWS::CertificateManager::Certificate", 1),
            ("AWS::Route53::RecordSet", 1),
        ],
    );
    assert_eq!(
        resource(&on, "PublicListener")["Properties"]["Protocol"],
        "HTTPS"
    );
    assert_eq!(resource(&on, "PublicListener")["Properties"]["Port"], 443);
    assert_eq!(
        resource(&off, "PublicListener")["Properties"]["Protocol"],
        "HTTP"
    );
    let redirect = ids_of_type(&on, "AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .map(|id| resource(&on, &id))
        .find(|listener| listener["Properties"]["Port"] == 80)
        .unwrap_or_else(|| panic!("no HTTP listener next to HTTPS"));
    let action = &redirect["Properties"]["DefaultActions"][0];
    assert_eq!(action["Type"], "redirect");
    assert_eq!(action["RedirectConfig"]["Protocol"], "HTTPS");
    assert_eq!(count(&off, "AWS::ElasticLoadBalancingV2::Listener"), 1);
    assert!(text(&on).contains("openmrs.clinic.example.org"));
}

#[test]
fn imported_certificate_is_used_and_no_unused_certificate_is_created() {
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123";
    let mut environment = with_domain(dev());
    environment.dns.certificate_arn = Some(arn.to_owned());
    let rendered = render(&environment);
    assert_eq!(count(&rendered, "AWS::CertificateManager::Certificate"), 0);
    assert_eq!(
        resource(&rendered, "PublicListener")["Properties"]["Certificates"][0]["CertificateArn"],
        arn
    );
    let mut only_arn = dev();
    only_arn.dns.certificate_arn = Some(arn.to_owned());
    let rendered = render(&only_arn);
    assert_eq!(
        resource(&rendered, "PublicListener")["Properties"]["Protocol"],
        "HTTPS"
    );
    assert_eq!(count(&rendered, "AWS::Route53::RecordSet"), 0);
}

/// DKIM CNAME records of a render.
fn dkim_records(rendered: &Rendered) -> Vec<Value> {
    ids_of_type(rendered, "AWS::Route53::RecordSet")
        .into_iter()
        .map(|id| resource(rendered, &id))
        .filter(|record| {
            record["Properties"]["Type"] == "CNAME" && record.to_string().contains("DkimDNSToken")
        })
        .collect()
}

#[test]
fn ses_toggle_creates_one_set_of_dkim_records() {
    let base = with_domain(dev());
    let off = render(&base);
    let mut environment = base.clone();
    environment.email.configure_ses = true;
    let on = render(&environment);
    assert_eq!(count(&on, "AWS::SES::EmailIdentity"), 1);
    assert_eq!(count(&off, "AWS::SES::EmailIdentity"), 0);
    assert_eq!(
        dkim_records(&on).len(),
        3,
        "exactly one set of three DKIM records"
    );
    assert!(!text(&on).contains(".clinic.example.org.clinic.example.org"));
    assert!(resources(&on).contains_key("SmtpCredentialsSecret"));
    assert_eq!(
        count(&on, "AWS::IAM::AccessKey"),
        0,
        "the rotation function creates the SMTP user's access keys, not CloudFormation"
    );
    let schedule = resource(&on, "SmtpCredentialsRotationSchedule");
    assert_eq!(
        schedule["Properties"]["SecretId"]["Ref"],
        "SmtpCredentialsSecret"
    );
    assert_eq!(schedule["Properties"]["RotateImmediatelyOnUpdate"], true);
    let backend = backend_container(&on);
    let secret_names: Vec<&str> = backend["Secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["Name"].as_str())
        .collect();
    assert!(
        secret_names.contains(&"OMRS_EXTRA_MAIL_PASSWORD"),
        "{secret_names:?}"
    );
}

#[test]
fn email_forwarding_adds_a_forwarding_function() {
    let mut ses = with_domain(dev());
    ses.email.configure_ses = true;
    let without = render(&ses);
    let mut forwarding = ses.clone();
    forwarding.email.forwarding_address = Some("records@example.org".to_owned());
    let with = render(&forwarding);
    assert_eq!(
        count(&with, "AWS::Lambda::Function"),
        count(&without, "AWS::Lambda::Function") + 1
    );
    assert_eq!(
        count(&with, "AWS::Lambda::Permission"),
        count(&without, "AWS::Lambda::Permission") + 1
    );
    assert!(text(&with).contains("records@example.org"));
}

/// Egress rules of the service security group: inline and separate resources, as (port, destination) strings.
fn service_egress(rendered: &Rendered) -> Vec<String> {
    let mut rules: Vec<Value> = resource(rendered, "ServiceSecurityGroup")["Properties"]
        ["SecurityGroupEgress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for id in ids_of_type(rendered, "AWS::EC2::SecurityGroupEgress") {
        let rule = resource(rendered, &id)["Properties"].clone();
        if rule["GroupId"].to_string().contains("ServiceSecurityGroup") {
            rules.push(rule);
        }
    }
    rules
        .iter()
        .map(|rule| {
            format!(
                "{}:{}",
                rule["FromPort"],
                rule.get("CidrIp").map(Value::to_string).unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn open_smtp_port_governs_egress() {
    let closed = service_egress(&render(&dev()));
    let mut environment = dev();
    environment.network.open_smtp_port = true;
    let open = service_egress(&render(&environment));
    for port in ["465", "587"] {
        assert!(
            !closed
                .iter()
                .any(|rule| rule.starts_with(&format!("{port}:"))),
            "{closed:?}"
        );
        assert!(
            open.iter()
                .any(|rule| rule == &format!("{port}:\"0.0.0.0/0\"")),
            "{open:?}"
        );
    }
    assert!(
        !closed
            .iter()
            .any(|rule| rule.starts_with("-1") || rule.starts_with("null")),
        "no allow-all egress: {closed:?}"
    );
}

#[test]
fn allowed_cidrs_open_the_load_balancer() {
    let closed = render(&dev());
    let ingress =
        &resource(&closed, "LoadBalancerSecurityGroup")["Properties"]["SecurityGroupIngress"];
    assert!(
        ingress.as_array().is_none_or(Vec::is_empty),
        "no ingress without an allowed CIDR: {ingress}"
    );
    let mut environment = dev();
    environment.network.allowed_ipv4_cidr = Some("203.0.113.0/24".to_owned());
    environment.network.allowed_ipv6_cidr = Some("2001:db8::/32".to_owned());
    let open = render(&environment);
    assert!(text(&open).contains("203.0.113.0/24"));
    assert!(text(&open).contains("2001:db8::/32"));
    assert_eq!(
        resource(&open, "LoadBalancer")["Properties"]["IpAddressType"],
        "dualstack"
    );
}

#[test]
fn service_size_and_scaling_come_from_the_environment() {
    let mut environment = dev();
    environment.service.cpu = 4096;
    environment.service.memory = 12288;
    environment.service.min_capacity = 3;
    environment.service.max_capacity = 7;
    environment.service.cpu_target_percent = 55;
    let rendered = render(&environment);
    let task = resource(&rendered, &main_task_definition(&rendered));
    assert_eq!(task["Properties"]["Cpu"], "4096");
    assert_eq!(task["Properties"]["Memory"], "12288");
    assert_eq!(
        resource(&rendered, "OpenmrsService")["Properties"]["DesiredCount"],
        3
    );
    let target = &ids_of_type(&rendered, "AWS::ApplicationAutoScaling::ScalableTarget")[0];
    assert_eq!(resource(&rendered, target)["Properties"]["MinCapacity"], 3);
    assert_eq!(resource(&rendered, target)["Properties"]["MaxCapacity"], 7);
    assert!(text(&rendered).contains("\"TargetValue\": 55"));
}

fn main_task_definition(rendered: &Rendered) -> String {
    ids_of_type(rendered, "AWS::ECS::TaskDefinition")
        .into_iter()
        .find(|id| {
            resource(rendered, id)["Properties"]["ContainerDefinitions"]
                .as_array()
                .is_some_and(|c| c.len() == 3)
        })
        .unwrap_or_else(|| panic!("no task definition with three containers"))
}

fn container(rendered: &Rendered, name: &str) -> Value {
    let task = resource(rendered, &main_task_definition(rendered));
    task["Properties"]["ContainerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|container| container["Name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn backend_container(rendered: &Rendered) -> Value {
    container(rendered, "openmrsbackend")
}

// The seed's defects (seed-architecture.md, Surprises), one test each.

#[test]
fn defect_aurora_is_in_the_backup_selection() {
    let rendered = render(&dev());
    let selection = &ids_of_type(&rendered, "AWS::Backup::BackupSelection")[0];
    let text = resource(&rendered, selection).to_string();
    assert!(
        text.contains("DatabaseCluster") && text.contains(":cluster:"),
        "{text}"
    );
    assert!(
        text.contains("DataFileSystem") && text.contains("SslFileSystem"),
        "{text}"
    );
}

#[test]
fn defect_jdbc_settings_contain_no_spaces() {
    let rendered = render(&dev());
    let backend = backend_container(&rendered);
    for variable in backend["Environment"].as_array().into_iter().flatten() {
        let value = variable["Value"].to_string();
        if value.contains("jdbc") || value.contains("sslMode") || value.contains("useSSL") {
            assert!(!value.contains(' '), "{value}");
        }
    }
    assert!(
        !backend["Environment"]
            .to_string()
            .contains("OMRS_DB_PASSWORD"),
        "secrets go through Secrets"
    );
}

#[test]
fn defect_service_starts_after_data_seeding() {
    let rendered = render(&dev());
    let depends = resource(&rendered, "OpenmrsService")["DependsOn"].to_string();
    assert!(depends.contains("DataSeedSetup"), "{depends}");
    assert!(depends.contains("SslMaterialsSetup"), "{depends}");
}

#[test]
fn defect_gateway_health_check_probes_the_nginx_port() {
    let gateway = container(&render(&dev()), "openmrsgateway");
    let command = gateway["HealthCheck"]["Command"].to_string();
    assert!(command.contains("8082"), "{command}");
}

#[test]
fn defect_no_unused_ssm_parameters() {
    let rendered = render(&load("tests/fixtures/environments/all-on.yaml"));
    assert!(!text(&rendered).contains("swarm_mode"));
    assert_eq!(count(&render(&dev()), "AWS::SSM::Parameter"), 0);
}

#[test]
fn defect_load_balancer_log_policy_follows_the_region() {
    let policy = |environment: &Environment| {
        let rendered = render(environment);
        ids_of_type(&rendered, "AWS::S3::BucketPolicy")
            .into_iter()
            .map(|id| resource(&rendered, &id).to_string())
            .find(|text| text.contains("LoadBalancerLogBucket"))
            .unwrap_or_else(|| panic!("no bucket policy for LoadBalancerLogBucket"))
    };
    let eu = policy(&load("tests/fixtures/environments/all-on.yaml"));
    assert!(eu.contains("156460612806"), "eu-west-1's ELB account: {eu}");
    assert!(!eu.contains("127311923021"));
    let new_region = policy(&load("tests/fixtures/environments/cert-only.yaml"));
    assert!(
        new_region.contains("logdelivery.elasticloadbalancing.amazonaws.com"),
        "{new_region}"
    );
}

#[test]
fn defect_fixed_names_do_not_collide_between_stacks() {
    let rendered = render(&load("tests/fixtures/environments/all-on.yaml"));
    for fixed in [
        "\"ses-smtp-user\"",
        "\"cdk-web-acl\"",
        "\"aws-waf-logs-openmrs\"",
        "\"OpenMRSSageMakerDomain\"",
        "\"MyEMRServerlessApp\"",
        "openemr",
    ] {
        assert!(!text(&rendered).contains(fixed), "{fixed} is a fixed name");
    }
}

#[test]
fn database_and_stickiness_settings_come_from_the_environment() {
    let mut environment = dev();
    environment.database.net_read_timeout = 111;
    environment.database.wait_timeout = 222;
    environment.database.max_execution_time = 333;
    environment.database.deletion_protection = true;
    environment.database.backup_retention_days = 21;
    environment.database.min_acu = 1.5;
    environment.database.max_acu = 12.0;
    environment.service.sticky_session_minutes = 15;
    let rendered = render(&environment);
    let parameters = &ids_of_type(&rendered, "AWS::RDS::DBClusterParameterGroup")[0];
    let parameters = &resource(&rendered, parameters)["Properties"]["Parameters"];
    assert_eq!(parameters["net_read_timeout"], "111");
    assert_eq!(parameters["wait_timeout"], "222");
    assert_eq!(parameters["max_execution_time"], "333");
    assert_eq!(parameters["require_secure_transport"], "ON");
    let cluster = &resource(&rendered, "DatabaseCluster")["Properties"];
    assert_eq!(cluster["DeletionProtection"], true);
    assert_eq!(cluster["BackupRetentionPeriod"], 21);
    assert_eq!(
        cluster["ServerlessV2ScalingConfiguration"]["MinCapacity"],
        1.5
    );
    assert_eq!(
        cluster["ServerlessV2ScalingConfiguration"]["MaxCapacity"],
        12.0
    );
    let stickiness =
        resource(&rendered, "TargetGroup")["Properties"]["TargetGroupAttributes"].to_string();
    assert!(stickiness.contains("\"900\""), "{stickiness}");
}

#[test]
fn secrets_rotate_or_explain_why_and_a_rotation_rolls_the_service() {
    for environment in [dev(), load("tests/fixtures/environments/all-on.yaml")] {
        let rendered = render(&environment);
        let cluster = &resource(&rendered, "DatabaseCluster")["Properties"];
        assert_eq!(cluster["ManageMasterUserPassword"], true);
        assert!(cluster.get("MasterUserPassword").is_none());
        let schedules: Vec<Value> = ids_of_type(&rendered, "AWS::SecretsManager::RotationSchedule")
            .iter()
            .map(|id| resource(&rendered, id))
            .collect();
        for id in ids_of_type(&rendered, "AWS::SecretsManager::Secret") {
            let rotated = schedules.iter().any(|schedule| {
                schedule["Properties"]["SecretId"]["Ref"] == id.as_str()
                    && schedule["Properties"]["RotationRules"]["AutomaticallyAfterDays"].is_number()
            });
            let explained = resource(&rendered, &id)["Metadata"]["cdk_nag"]["rules_to_suppress"]
                .to_string()
                .contains("HIPAA.Security-SecretsManagerRotationEnabled");
            assert!(
                rotated || explained,
                "{id} neither rotates nor says why not"
            );
        }
        let pattern =
            resource(&rendered, "SecretRotationRule")["Properties"]["EventPattern"].to_string();
        assert!(pattern.contains("RotationSucceeded"), "{pattern}");
        assert!(pattern.contains("MasterUserSecret.SecretArn"), "{pattern}");
        assert_eq!(
            pattern.contains("SmtpCredentialsSecret"),
            resources(&rendered).contains_key("SmtpCredentialsSecret"),
            "{pattern}"
        );
        let policy = resource(&rendered, "RestartServiceFunctionPolicy")["Properties"]
            ["PolicyDocument"]
            .to_string();
        assert!(
            policy.contains("\"ecs:UpdateService\"")
                && policy.contains("{\"Ref\":\"OpenmrsService\"}"),
            "{policy}"
        );
    }
}

#[test]
fn data_buckets_are_backed_up_and_the_others_say_why_not() {
    let mut no_trail = dev();
    no_trail.features.cloudtrail = false;
    for environment in [
        no_trail,
        dev(),
        load("tests/fixtures/environments/all-on.yaml"),
    ] {
        let rendered = render(&environment);
        let selection = &ids_of_type(&rendered, "AWS::Backup::BackupSelection")[0];
        let selection = resource(&rendered, selection).to_string();
        let mut data_buckets = 0;
        for id in ids_of_type(&rendered, "AWS::S3::Bucket") {
            let log_bucket = matches!(id.as_str(), "AccessLogBucket" | "LoadBalancerLogBucket");
            data_buckets += usize::from(!log_bucket);
            assert_eq!(
                selection.contains(&format!("\"{id}\"")),
                !log_bucket,
                "{id} in {selection}"
            );
            let metadata = resource(&rendered, &id)["Metadata"].to_string();
            assert!(
                metadata.contains("HIPAA.Security-S3BucketReplicationEnabled"),
                "{id}: {metadata}"
            );
        }
        let role = resource(&rendered, "BackupSelectionRole").to_string();
        assert_eq!(
            role.matches("AWSBackupServiceRolePolicyForS3Backup")
                .count(),
            if data_buckets > 0 { 2 } else { 0 },
            "attached and acknowledged only when buckets are selected: {role}"
        );
        for id in ids_of_type(&rendered, "AWS::RDS::DBInstance") {
            let metadata = resource(&rendered, &id)["Metadata"].to_string();
            assert!(metadata.contains("HIPAA.Security-RDSInBackupPlan"), "{id}");
        }
    }
}
