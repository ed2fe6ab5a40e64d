//! Every validation rule of environment files, each with the position and wording the user sees.

use omrs_gitops::config::load_str;

const VALID: &str =
    "stack:\n  name: openmrs-test\n  account: \"123456789012\"\n  region: us-east-1\n";

/// Loads `VALID` plus `extra` and returns the one-line errors.
fn errors(extra: &str) -> Vec<String> {
    let text = format!("{VALID}{extra}");
    match load_str("pipelines/t.yaml", &text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts exactly one error, starting with `t.yaml:LINE:COL: ` and containing every `needle`.
#[track_caller]
fn check(extra: &str, position: &str, needles: &[&str]) {
    let found = errors(extra);
    assert_eq!(
        found.len(),
        1,
        "expected one error for {extra:?}, got {found:#?}"
    );
    let prefix = format!("pipelines/t.yaml:{position}: ");
    assert!(
        found[0].starts_with(&prefix),
        "{:?} does not start with {prefix:?}",
        found[0]
    );
    for needle in needles {
        assert!(
            found[0].contains(needle),
            "{:?} does not contain {needle:?}",
            found[0]
        );
    }
    assert!(
        !found[0].contains('\n'),
        "errors are one line: {:?}",
        found[0]
    );
}

#[test]
fn valid_minimal_file_loads_with_seed_defaults() {
    let environment = load_str("t.yaml", VALID).unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(
        (environment.service.cpu, environment.service.memory),
        (2048, 4096)
    );
    assert_eq!(
        (
            environment.service.min_capacity,
            environment.service.max_capacity
        ),
        (2, 2)
    );
    assert_eq!(environment.images.tag, "3.2.0-rc.3");
    assert!(environment.features.cloudtrail);
    assert!(!environment.email.configure_ses);
    assert_eq!(environment.database.max_execution_time, 3_000_000);
    assert_eq!(environment.database.net_read_timeout, 30000);
}

#[test]
fn unknown_key_names_the_key_and_suggests_the_closest() {
    check(
        "service:\n  min_capcity: 2\n",
        "6:3",
        &[
            "unknown key `service.min_capcity`",
            "did you mean `service.min_capacity`?",
        ],
    );
    check(
        "featurs:\n  analytics: true\n",
        "5:1",
        &["unknown key `featurs`", "did you mean `features`?"],
    );
}

#[test]
fn unknown_key_without_close_match_lists_known_keys() {
    check(
        "dns:\n  zzz: 1\n",
        "6:3",
        &["unknown key `dns.zzz`", "`route53_domain`"],
    );
}

#[test]
fn every_unknown_key_is_reported_in_one_run() {
    let found = errors("servce: {}\nfeatures:\n  analytic: true\n");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("pipelines/t.yaml:5:1:"));
    assert!(found[1].starts_with("pipelines/t.yaml:7:3:"));
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let found = match load_str("pipelines/t.yaml", "stack:\n  name: [x\n") {
        Err(errors) => errors.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => Vec::new(),
    };
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("pipelines/t.yaml:3:1: invalid YAML"),
        "{}",
        found[0]
    );
}

#[test]
fn wrong_types_name_the_path() {
    check(
        "service:\n  cpu: big\n",
        "6:8",
        &["`service.cpu`", "expected u32", "without quotes"],
    );
    check(
        "features:\n  analytics: \"true\"\n",
        "6:14",
        &["`features.analytics`", "write `true` or `false`"],
    );
}

#[test]
fn missing_required_field() {
    let found = match load_str(
        "pipelines/t.yaml",
        "stack:\n  name: x\n  region: us-east-1\n",
    ) {
        Err(errors) => errors.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => Vec::new(),
    };
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("missing field `account`"), "{}", found[0]);
}

#[test]
fn not_a_mapping() {
    let found = match load_str("pipelines/t.yaml", "- a\n- b\n") {
        Err(errors) => errors.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
        Ok(_) => Vec::new(),
    };
    assert!(found[0].contains("must be a mapping"), "{found:?}");
}

#[test]
fn configure_ses_needs_route53_domain() {
    check(
        "email:\n  configure_ses: true\n",
        "6:18",
        &["`email.configure_ses`", "`dns.route53_domain` is not set"],
    );
}

#[test]
fn forwarding_needs_ses() {
    check(
        "email:\n  forwarding_address: a@example.org\n",
        "6:3",
        &[
            "mail forwarding needs SES",
            "set `email.configure_ses: true`",
        ],
    );
}

#[test]
fn forwarding_address_must_be_an_address() {
    check(
        "dns:\n  route53_domain: example.org\n  hosted_zone_id: Z123\nemail:\n  configure_ses: true\n  forwarding_address: not-an-address\n",
        "10:23",
        &["is not an email address"],
    );
}

#[test]
fn min_capacity_above_max() {
    check(
        "service:\n  min_capacity: 3\n  max_capacity: 2\n",
        "6:17",
        &["minimum capacity 3 is above maximum capacity 2"],
    );
}

#[test]
fn max_capacity_zero() {
    check(
        "service:\n  min_capacity: 0\n  max_capacity: 0\n",
        "7:17",
        &["must be at least 1"],
    );
}

#[test]
fn fargate_cpu_memory_pairs_follow_aws_table() {
    check(
        "service:\n  cpu: 1024\n  memory: 1024\n",
        "7:11",
        &[
            "Fargate does not offer 1024 MiB with 1024 CPU units",
            "from 2048 to 8192",
        ],
    );
    check(
        "service:\n  cpu: 3000\n",
        "6:8",
        &["3000 is not a Fargate CPU size"],
    );
    for (cpu, memory) in [
        (256, 512),
        (512, 4096),
        (4096, 30720),
        (8192, 61440),
        (16384, 122880),
    ] {
        assert_eq!(
            errors(&format!("service:\n  cpu: {cpu}\n  memory: {memory}\n")),
            Vec::<String>::new()
        );
    }
}

#[test]
fn percentages_between_1_and_100() {
    check(
        "service:\n  cpu_target_percent: 0\n",
        "6:23",
        &["outside 1..100"],
    );
    check(
        "service:\n  memory_target_percent: 101\n",
        "6:26",
        &["outside 1..100"],
    );
}

#[test]
fn malformed_cidrs() {
    check(
        "network:\n  allowed_ipv4_cidr: 10.0.0.0\n",
        "6:22",
        &["not an IPv4 CIDR", "no `/prefix`"],
    );
    check(
        "network:\n  allowed_ipv4_cidr: 300.0.0.0/8\n",
        "6:22",
        &["not an IPv4 address"],
    );
    check(
        "network:\n  allowed_ipv4_cidr: 10.0.0.1/8\n",
        "6:22",
        &["host bits are set", "`10.0.0.0/8`"],
    );
    check(
        "network:\n  allowed_ipv6_cidr: \"2001:db8::/129\"\n",
        "6:22",
        &["longer than 128"],
    );
    check(
        "network:\n  vpc_cidr: 10.0.0.0/20\n",
        "6:13",
        &["must be a /16"],
    );
}

#[test]
fn malformed_arns() {
    check(
        "dns:\n  certificate_arn: not-an-arn\n",
        "6:20",
        &["not an ARN"],
    );
    check(
        "dns:\n  certificate_arn: arn:aws:iam::123456789012:role/x\n",
        "6:20",
        &["not of an ACM certificate"],
    );
    check(
        "dns:\n  certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/abc-123\n",
        "6:20",
        &["region `eu-west-1`", "its own region `us-east-1`"],
    );
    check(
        "dns:\n  certificate_arn: arn:aws:acm:us-east-1:12345:certificate/abc\n",
        "6:20",
        &["12-digit account"],
    );
}

#[test]
fn mysql_timeouts_in_range() {
    check(
        "database:\n  net_read_timeout: 0\n",
        "6:21",
        &["outside MySQL's range 1..31536000"],
    );
    check(
        "database:\n  wait_timeout: 31536001\n",
        "6:17",
        &["outside MySQL's range"],
    );
    check(
        "database:\n  connect_timeout: 1\n",
        "6:20",
        &["range 2..31536000"],
    );
    check(
        "database:\n  max_execution_time: 4294967296\n",
        "6:23",
        &["0..4294967295"],
    );
    check(
        "database:\n  aurora_ml_inference_timeout: 0\n",
        "6:32",
        &["Aurora ML's range"],
    );
}

#[test]
fn database_port_in_auroras_range() {
    check(
        "database:\n  port: 80\n",
        "6:9",
        &["outside Aurora MySQL's port range 1150..65535"],
    );
}

#[test]
fn database_capacity_and_retention() {
    check(
        "database:\n  max_acu: 300\n",
        "6:12",
        &["not a Serverless v2 maximum capacity"],
    );
    check("database:\n  min_acu: 0.3\n", "6:12", &["steps of 0.5"]);
    check(
        "database:\n  min_acu: 8\n  max_acu: 4\n",
        "6:12",
        &["minimum 8 ACU is above maximum 4 ACU"],
    );
    check(
        "database:\n  backup_retention_days: 36\n",
        "6:26",
        &["backup retention range 1..35"],
    );
}

/// Errors of a whole file text.
fn errors_of(text: &str) -> Vec<String> {
    match load_str("pipelines/t.yaml", text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn stack_identity() {
    let found = errors_of("stack:\n  name: 1bad_name\n  account: \"12345\"\n  region: mars-1\n");
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].starts_with("pipelines/t.yaml:2:9:")
            && found[0].contains("not a valid CloudFormation stack name")
    );
    assert!(
        found[1].starts_with("pipelines/t.yaml:3:12:")
            && found[1].contains("not a 12-digit AWS account ID")
    );
    assert!(
        found[2].starts_with("pipelines/t.yaml:4:11:")
            && found[2].contains("not an AWS region name")
    );
}

#[test]
fn tags_follow_aws_rules() {
    check(
        "  tags:\n    aws:owner: x\n",
        "6:5",
        &["reserved `aws:` prefix"],
    );
    check(
        "  tags:\n    Owner: \"a\\\"b\"\n",
        "6:12",
        &["not a valid AWS tag value"],
    );
}

#[test]
fn template_set_cannot_escape_templates_folder() {
    check(
        "  template_set: ../../etc\n",
        "5:17",
        &["not a template set name"],
    );
}

#[test]
fn images_are_checked() {
    check(
        "images:\n  tag: \"bad tag\"\n",
        "6:8",
        &["not a valid image tag"],
    );
    check(
        "images:\n  backend: Openmrs/Backend\n",
        "6:12",
        &["not an image repository reference"],
    );
}

#[test]
fn dns_pairs_and_formats() {
    check(
        "dns:\n  route53_domain: example.org\n",
        "6:3",
        &["needs `dns.hosted_zone_id`"],
    );
    check(
        "dns:\n  hosted_zone_id: Z123\n",
        "6:3",
        &["without `dns.route53_domain`"],
    );
    check(
        "dns:\n  route53_domain: Example..org\n  hosted_zone_id: Z1\n",
        "6:19",
        &["not a domain name"],
    );
    check(
        "dns:\n  route53_domain: example.org\n  hosted_zone_id: /hostedzone/Z1\n",
        "7:19",
        &["not a Route 53 hosted zone ID"],
    );
}

#[test]
fn log_retention_values() {
    check(
        "service:\n  log_retention_days: 8\n",
        "6:23",
        &["retention of 8 days", "731"],
    );
    check(
        "features:\n  cloudtrail_log_retention_days: 4000\n",
        "6:34",
        &["retention of 4000 days"],
    );
}

#[test]
fn hostile_strings_are_shown_escaped_on_one_line() {
    check("  tags:\n    Owner: \"x\\ny\"\n", "6:12", &["x\\ny"]);
}

#[test]
fn shipped_environments_are_valid() {
    for path in crate::support::shipped() {
        crate::support::load(&path);
    }
    assert_eq!(crate::support::shipped().len(), 3);
}

#[test]
fn image_scanning_settings() {
    let environment = load_str(
        "t.yaml",
        &format!("{VALID}images:\n  scan: ecr-basic\n  fail_on: [CRITICAL]\n  allowlist:\n    - cve: CVE-2024-3094\n      package: xz-utils\n      reason: not reachable from the OpenMRS process\n      expires: \"2030-01-31\"\n      owner: platform-team\n"),
    )
    .unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(
        environment.images.scan,
        omrs_gitops::config::ScanMode::EcrBasic
    );
    assert_eq!(environment.images.allowlist.len(), 1);
    let entry = "images:\n  allowlist:\n    - cve: CVE-2024-3094\n";
    check(
        &format!("{entry}      reason: short\n      expires: \"2030-01-31\"\n      owner: me\n"),
        "8:15",
        &["images.allowlist[0].reason", "shorter than 10 characters"],
    );
    check(
        &format!("{entry}      reason: a good enough reason\n      expires: \"2030-02-30\"\n      owner: me\n"),
        "9:16",
        &["images.allowlist[0].expires", "`2030-02-30` is not a date", "YYYY-MM-DD"],
    );
    check(
        "images:\n  scan: inspector\n  fail_on: []\n",
        "7:3",
        &["images.fail_on", "never stop a deployment"],
    );
    check(
        "images:\n  scan_timeout_seconds: 0\n",
        "6:25",
        &["images.scan_timeout_seconds", "1..3600"],
    );
    check(
        "images:\n  pull_through_cache: true\n",
        "6:3",
        &["images.pull_through_cache", "docker_hub_credential_arn"],
    );
    check(
        "images:\n  pull_through_cache: true\n  docker_hub_credential_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:docker\n",
        "7:30",
        &["images.docker_hub_credential_arn", "ecr-pullthroughcache/"],
    );
    check("images:\n  scan: trivy\n", "6:9", &["images.scan"]);
}

#[test]
fn cloudformation_role_must_be_a_role_of_the_stack_account() {
    check(
        "deploy:\n  cloudformation_role_arn: arn:aws:iam::999999999999:role/cfn\n",
        "6:28",
        &[
            "is not in the stack's account",
            "arn:aws:iam::<account>:role/<name>",
        ],
    );
    check(
        "deploy:\n  cloudformation_role_arn: arn:aws:iam::123456789012:user/cfn\n",
        "6:28",
        &["is not an IAM role ARN"],
    );
}
