//! Cross-field and value rules for environment files, beyond what types express.
//!
//! Each rule adds a `Problem` naming the key path, what is wrong and what to do; `load` turns the path into a
//! file position. Rules are pure and never stop at the first problem, so one run shows everything to fix.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::model::Environment;

/// One rule violation, located by key path.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted key path, for example `service.memory`.
    pub path: String,
    pub message: String,
    pub hint: String,
    /// Point at the key (true) or at its value (false).
    pub at_key: bool,
}

/// Fargate task sizes AWS offers: CPU units, and the memory range (MiB) with its step.
/// Source: the "Task size" table of the Amazon ECS developer guide.
pub const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Retention values CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The memory sizes Fargate accepts with `cpu` units, or `None` when `cpu` is not a Fargate size.
pub fn fargate_memory_options(cpu: u32) -> Option<Vec<u32>> {
    let &(_, low, high, step) = FARGATE_SIZES.iter().find(|size| size.0 == cpu)?;
    let mut options = Vec::new();
    let mut memory = low;
    // 256 CPU allows 512, 1024, 2048: the table's step is 512 up to 1024, then 1024.
    while memory <= high {
        options.push(memory);
        memory += if cpu == 256 && memory >= 1024 {
            1024
        } else {
            step
        };
    }
    Some(options)
}

/// The AWS partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn value(&mut self, path: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            message: message.into(),
            hint: hint.into(),
            at_key: false,
        });
    }

    fn key(&mut self, path: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            message: message.into(),
            hint: hint.into(),
            at_key: true,
        });
    }

    fn range(&mut self, path: &str, value: u64, low: u64, high: u64, what: &str) {
        if value < low || value > high {
            self.value(
                path,
                format!("{value} is outside {what} range {low}..{high}"),
                format!("choose a value from {low} to {high}"),
            );
        }
    }
}

/// Every rule violation in `environment`; empty when it is deployable.
pub fn validate(environment: &Environment) -> Vec<Problem> {
    let mut check = Checker {
        problems: Vec::new(),
    };
    stack(&mut check, environment);
    images(&mut check, environment);
    image_scanning(&mut check, environment);
    service(&mut check, environment);
    network(&mut check, environment);
    dns(&mut check, environment);
    email(&mut check, environment);
    database(&mut check, environment);
    features(&mut check, environment);
    suppressions(&mut check, environment);
    deploy(&mut check, environment);
    check.problems
}

fn stack(check: &mut Checker, environment: &Environment) {
    let stack = &environment.stack;
    let name_ok = stack.name.len() <= 128
        && stack.name.starts_with(|c: char| c.is_ascii_alphabetic())
        && stack
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !name_ok {
        check.value(
            "stack.name",
            format!(
                "`{}` is not a valid CloudFormation stack name",
                printable(&stack.name)
            ),
            "start with a letter; use only letters, digits and hyphens, at most 128 characters",
        );
    }
    if stack.account.len() != 12 || !stack.account.chars().all(|c| c.is_ascii_digit()) {
        check.value(
            "stack.account",
            format!(
                "`{}` is not a 12-digit AWS account ID",
                printable(&stack.account)
            ),
            "write the account ID as a quoted string of 12 digits, for example \"123456789012\"",
        );
    }
    if !valid_region(&stack.region) {
        check.value(
            "stack.region",
            format!("`{}` is not an AWS region name", printable(&stack.region)),
            "write a region code such as `us-east-1` or `eu-west-3`",
        );
    }
    if stack.tags.len() > 50 {
        check.key(
            "stack.tags",
            format!("{} tags, AWS allows 50", stack.tags.len()),
            "remove some tags",
        );
    }
    for (key, value) in &stack.tags {
        let path = format!("stack.tags.{key}");
        if key.is_empty() || key.chars().count() > 128 || !key.chars().all(tag_char) {
            check.key(
                &path,
                format!("tag key `{}` is not a valid AWS tag key", printable(key)),
                "use 1 to 128 letters, digits, spaces and `_ . : / = + - @`",
            );
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            check.key(
                &path,
                format!("tag key `{key}` uses the reserved `aws:` prefix"),
                "rename the tag",
            );
        }
        if value.chars().count() > 256 || !value.chars().all(tag_char) {
            check.value(
                &path,
                format!(
                    "tag value `{}` is not a valid AWS tag value",
                    printable(value)
                ),
                "use at most 256 letters, digits, spaces and `_ . : / = + - @`",
            );
        }
    }
    let set = &stack.template_set;
    if set.is_empty()
        || !set.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !set
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        check.value(
            "stack.template_set",
            format!("`{}` is not a template set name", printable(set)),
            "name a folder directly under `templates/`, for example `openmrs-fargate`",
        );
    }
}

fn images(check: &mut Checker, environment: &Environment) {
    let images = &environment.images;
    let tag = &images.tag;
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !tag_ok {
        check.value(
            "images.tag",
            format!("`{}` is not a valid image tag", printable(tag)),
            "use letters, digits, `_`, `.` and `-`, at most 128 characters, as on the registry",
        );
    }
    for (field, repository) in [
        ("gateway", &images.gateway),
        ("frontend", &images.frontend),
        ("backend", &images.backend),
    ] {
        if !valid_repository(repository) {
            check.value(
                &format!("images.{field}"),
                format!("`{}` is not an image repository reference", printable(repository)),
                "write `[registry/]path/name` in lower case without a tag, for example `openmrs/openmrs-reference-application-3-backend`",
            );
        }
    }
}

fn image_scanning(check: &mut Checker, environment: &Environment) {
    let images = &environment.images;
    if images.fail_on.is_empty() && images.scan != super::model::ScanMode::None {
        check.key(
            "images.fail_on",
            "no severity fails the gate, so the scan can never stop a deployment",
            "list the severities that must block, for example `[CRITICAL, HIGH]`, or set `images.scan: none`",
        );
    }
    check.range(
        "images.scan_timeout_seconds",
        images.scan_timeout_seconds.into(),
        1,
        3600,
        "the scan wait's",
    );
    if images.pull_through_cache && images.docker_hub_credential_arn.is_none() {
        check.key(
            "images.pull_through_cache",
            "a Docker Hub pull-through cache rule needs `images.docker_hub_credential_arn`",
            "store a Docker Hub username and access token in a Secrets Manager secret named `ecr-pullthroughcache/...` and set its ARN as `images.docker_hub_credential_arn`",
        );
    }
    if let Some(arn) = &images.docker_hub_credential_arn {
        if !images.pull_through_cache {
            check.key(
                "images.docker_hub_credential_arn",
                "`images.docker_hub_credential_arn` is set without `images.pull_through_cache`",
                "set `images.pull_through_cache: true`, or remove the credential ARN",
            );
        }
        if let Err(why) = check_credential_arn(arn, &environment.stack) {
            check.value(
                "images.docker_hub_credential_arn",
                format!("`{}` {why}", printable(arn)),
                "use `arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>` in the stack's account and region",
            );
        }
    }
    for (index, entry) in images.allowlist.iter().enumerate() {
        let path = |field: &str| format!("images.allowlist[{index}].{field}");
        let id_ok = !entry.cve.is_empty()
            && entry.cve.len() <= 128
            && entry.cve.contains('-')
            && entry
                .cve
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
        if !id_ok {
            check.value(
                &path("cve"),
                format!("`{}` is not a vulnerability ID", printable(&entry.cve)),
                "write the ID as the scanner reports it, for example `CVE-2024-3094`",
            );
        }
        if entry
            .package
            .as_deref()
            .is_some_and(|package| package.trim().is_empty())
        {
            check.value(
                &path("package"),
                "the package name is empty",
                "name the package as the scanner reports it, for example `openssl`, or remove the key",
            );
        }
        if entry.reason.trim().chars().count() < 10 {
            check.value(
                &path("reason"),
                "the reason is shorter than 10 characters",
                "say why the vulnerability is acceptable, in words an auditor would accept",
            );
        }
        if parse_date(&entry.expires).is_none() {
            check.value(
                &path("expires"),
                format!("`{}` is not a date", printable(&entry.expires)),
                "write the last day the entry applies as `YYYY-MM-DD`",
            );
        }
        if entry.owner.trim().is_empty() {
            check.value(
                &path("owner"),
                "the owner is empty",
                "name who answers for the exception: a person, team or address",
            );
        }
    }
}

fn check_role_arn(arn: &str, stack: &super::model::Stack) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, arn_partition, service, region, account, resource] = parts[..] else {
        return Err("is not an IAM role ARN".to_owned());
    };
    let name = resource.strip_prefix("role/").unwrap_or_default();
    let name_ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    if prefix != "arn" || service != "iam" || !region.is_empty() || !name_ok {
        return Err("is not an IAM role ARN".to_owned());
    }
    if account != stack.account || arn_partition != partition(&stack.region) {
        return Err(format!(
            "is not in the stack's account `{}` (partition `{}`)",
            stack.account,
            partition(&stack.region)
        ));
    }
    Ok(())
}

fn check_credential_arn(arn: &str, stack: &super::model::Stack) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [prefix, arn_partition, service, region, account, kind, name] = parts[..] else {
        return Err("is not a Secrets Manager secret ARN".to_owned());
    };
    if prefix != "arn" || service != "secretsmanager" || kind != "secret" {
        return Err("is not a Secrets Manager secret ARN".to_owned());
    }
    if !name.starts_with("ecr-pullthroughcache/") || name.len() <= "ecr-pullthroughcache/".len() {
        return Err("names a secret outside `ecr-pullthroughcache/`, which ECR refuses".to_owned());
    }
    if region != stack.region || account != stack.account || arn_partition != partition(region) {
        return Err(format!(
            "is not in the stack's account `{}` and region `{}`",
            stack.account, stack.region
        ));
    }
    Ok(())
}

fn service(check: &mut Checker, environment: &Environment) {
    let service = &environment.service;
    match fargate_memory_options(service.cpu) {
        None => check.value(
            "service.cpu",
            format!("{} is not a Fargate CPU size", service.cpu),
            "use 256, 512, 1024, 2048, 4096, 8192 or 16384",
        ),
        Some(options) if !options.contains(&service.memory) => {
            let (low, high) = (options[0], options[options.len() - 1]);
            check.value(
                "service.memory",
                format!(
                    "Fargate does not offer {} MiB with {} CPU units",
                    service.memory, service.cpu
                ),
                format!(
                    "with cpu {} choose memory from {low} to {high} MiB in steps of {} MiB",
                    service.cpu,
                    options
                        .get(1)
                        .map(|second| second - options[0])
                        .unwrap_or(low)
                ),
            );
        }
        Some(_) => {}
    }
    if service.max_capacity < 1 {
        check.value(
            "service.max_capacity",
            "must be at least 1",
            "run at least one OpenMRS task",
        );
    }
    if service.max_capacity > 1000 {
        check.value(
            "service.max_capacity",
            "more than 1000 tasks",
            "choose at most 1000",
        );
    }
    if service.min_capacity > service.max_capacity {
        check.value(
            "service.min_capacity",
            format!(
                "minimum capacity {} is above maximum capacity {}",
                service.min_capacity, service.max_capacity
            ),
            "lower `service.min_capacity` or raise `service.max_capacity`; equal values turn autoscaling off",
        );
    }
    for (field, value) in [
        ("service.cpu_target_percent", service.cpu_target_percent),
        (
            "service.memory_target_percent",
            service.memory_target_percent,
        ),
    ] {
        if !(1..=100).contains(&value) {
            check.value(
                field,
                format!("{value} % is outside 1..100"),
                "choose a percentage from 1 to 100",
            );
        }
    }
    check.range(
        "service.sticky_session_minutes",
        service.sticky_session_minutes.into(),
        1,
        10080,
        "the load balancer's cookie duration",
    );
    check.range(
        "service.health_check_grace_seconds",
        service.health_check_grace_seconds.into(),
        0,
        2_147_483_647,
        "ECS's grace period",
    );
    log_retention(
        check,
        "service.log_retention_days",
        service.log_retention_days,
    );
}

fn log_retention(check: &mut Checker, path: &str, days: u32) {
    if !LOG_RETENTION_DAYS.contains(&days) {
        check.value(
            path,
            format!("CloudWatch Logs does not offer a retention of {days} days"),
            format!(
                "choose one of {}",
                LOG_RETENTION_DAYS
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

fn network(check: &mut Checker, environment: &Environment) {
    let network = &environment.network;
    match parse_ipv4_cidr(&network.vpc_cidr) {
        Err(why) => check.value(
            "network.vpc_cidr",
            format!(
                "`{}` is not an IPv4 CIDR: {why}",
                printable(&network.vpc_cidr)
            ),
            "write a network address and prefix, for example `10.0.0.0/16`",
        ),
        Ok((_, prefix)) if prefix != 16 => check.value(
            "network.vpc_cidr",
            format!("the VPC must be a /16, not a /{prefix}"),
            "use a /16 such as `10.0.0.0/16`: it is split into four /18 subnets",
        ),
        Ok(_) => {}
    }
    if let Some(cidr) = &network.allowed_ipv4_cidr {
        if let Err(why) = parse_ipv4_cidr(cidr) {
            check.value(
                "network.allowed_ipv4_cidr",
                format!("`{}` is not an IPv4 CIDR: {why}", printable(cidr)),
                "write a network address and prefix, for example `203.0.113.0/24`, or remove the key",
            );
        }
    }
    if let Some(cidr) = &network.allowed_ipv6_cidr {
        if let Err(why) = parse_ipv6_cidr(cidr) {
            check.value(
                "network.allowed_ipv6_cidr",
                format!("`{}` is not an IPv6 CIDR: {why}", printable(cidr)),
                "write a network address and prefix, for example `2001:db8::/32`, or remove the key",
            );
        }
    }
}

fn dns(check: &mut Checker, environment: &Environment) {
    let dns = &environment.dns;
    if let Some(domain) = &dns.route53_domain {
        if !valid_domain(domain) {
            check.value(
                "dns.route53_domain",
                format!("`{}` is not a domain name", printable(domain)),
                "write the hosted zone's domain in lower case without a trailing dot, for example `example.org`",
            );
        }
        if dns.hosted_zone_id.is_none() {
            check.key(
                "dns.route53_domain",
                "a Route 53 domain needs `dns.hosted_zone_id`",
                "add `hosted_zone_id` (Route 53 console, or `aws route53 list-hosted-zones-by-name`)",
            );
        }
    }
    if let Some(zone) = &dns.hosted_zone_id {
        if dns.route53_domain.is_none() {
            check.key(
                "dns.hosted_zone_id",
                "`dns.hosted_zone_id` is set without `dns.route53_domain`",
                "add the zone's domain as `dns.route53_domain`, or remove `hosted_zone_id`",
            );
        }
        let zone_ok = zone.len() <= 32
            && zone.starts_with('Z')
            && zone
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !zone_ok {
            check.value(
                "dns.hosted_zone_id",
                format!("`{}` is not a Route 53 hosted zone ID", printable(zone)),
                "copy the ID from Route 53, for example `Z0123456789ABCDEFGHIJ` (without `/hostedzone/`)",
            );
        }
    }
    if let Some(arn) = &dns.certificate_arn {
        if let Err(why) = check_certificate_arn(arn, &environment.stack.region) {
            check.value(
                "dns.certificate_arn",
                format!("`{}` {why}", printable(arn)),
                "use the ARN of an ACM certificate in the stack's region: `arn:aws:acm:<region>:<account>:certificate/<id>`",
            );
        }
    }
}

fn email(check: &mut Checker, environment: &Environment) {
    let email = &environment.email;
    if email.configure_ses && environment.dns.route53_domain.is_none() {
        check.value(
            "email.configure_ses",
            "SES needs a domain to send and receive mail for, and `dns.route53_domain` is not set",
            "set `dns.route53_domain` and `dns.hosted_zone_id`, or set `configure_ses: false`",
        );
    }
    if let Some(address) = &email.forwarding_address {
        if !email.configure_ses {
            check.key(
                "email.forwarding_address",
                "mail forwarding needs SES, and `email.configure_ses` is false",
                "set `email.configure_ses: true` (with a Route 53 domain), or remove `forwarding_address`",
            );
        }
        if !valid_email(address) {
            check.value(
                "email.forwarding_address",
                format!("`{}` is not an email address", printable(address)),
                "write one address such as `records@clinic.example.org`",
            );
        }
    }
}

fn database(check: &mut Checker, environment: &Environment) {
    let database = &environment.database;
    check.range(
        "database.backup_retention_days",
        database.backup_retention_days.into(),
        1,
        35,
        "Aurora's backup retention",
    );
    let half_steps = |acu: f64| (acu * 2.0).fract() == 0.0;
    if !(0.0..=256.0).contains(&database.min_acu) || !half_steps(database.min_acu) {
        check.value(
            "database.min_acu",
            format!("{} ACU is not a Serverless v2 capacity", database.min_acu),
            "choose 0 to 256 in steps of 0.5",
        );
    }
    if !(1.0..=256.0).contains(&database.max_acu) || !half_steps(database.max_acu) {
        check.value(
            "database.max_acu",
            format!(
                "{} ACU is not a Serverless v2 maximum capacity",
                database.max_acu
            ),
            "choose 1 to 256 in steps of 0.5",
        );
    }
    if database.min_acu > database.max_acu {
        check.value(
            "database.min_acu",
            format!(
                "minimum {} ACU is above maximum {} ACU",
                database.min_acu, database.max_acu
            ),
            "lower `database.min_acu` or raise `database.max_acu`",
        );
    }
    check.range(
        "database.port",
        database.port.into(),
        1150,
        65535,
        "Aurora MySQL's port",
    );
    let year = 31_536_000;
    check.range(
        "database.net_read_timeout",
        database.net_read_timeout,
        1,
        year,
        "MySQL's",
    );
    check.range(
        "database.net_write_timeout",
        database.net_write_timeout,
        1,
        year,
        "MySQL's",
    );
    check.range(
        "database.wait_timeout",
        database.wait_timeout,
        1,
        year,
        "MySQL's",
    );
    check.range(
        "database.connect_timeout",
        database.connect_timeout,
        2,
        year,
        "MySQL's",
    );
    check.range(
        "database.max_execution_time",
        database.max_execution_time,
        0,
        4_294_967_295,
        "MySQL's",
    );
    check.range(
        "database.aurora_ml_inference_timeout",
        database.aurora_ml_inference_timeout,
        1,
        2_147_483_647,
        "Aurora ML's",
    );
}

fn features(check: &mut Checker, environment: &Environment) {
    log_retention(
        check,
        "features.cloudtrail_log_retention_days",
        environment.features.cloudtrail_log_retention_days,
    );
}

fn suppressions(check: &mut Checker, environment: &Environment) {
    for (index, suppression) in environment.suppressions.iter().enumerate() {
        let path = |field: &str| format!("suppressions[{index}].{field}");
        match crate::rules::packs::level_of(&suppression.rule) {
            None => check.value(
                &path("rule"),
                format!("`{}` is not a rule ID", printable(&suppression.rule)),
                "use a full rule ID as `omrs-gitops check --list-rules` prints it, for example `HIPAA.Security-S3BucketReplicationEnabled`",
            ),
            Some(level) => {
                if level == crate::rules::Level::Error && suppression.expires.is_none() {
                    check.key(
                        &path("rule"),
                        format!("`{}` is an Error-level rule, so its suppression needs `expires`", suppression.rule),
                        "add `expires: YYYY-MM-DD`, the day the exception must be reviewed again",
                    );
                }
            }
        }
        if suppression.reason.trim().chars().count() < 10 {
            check.value(
                &path("reason"),
                "the reason is shorter than 10 characters",
                "say why the finding is acceptable, in words an auditor would accept",
            );
        }
        if let Some(expires) = &suppression.expires {
            if parse_date(expires).is_none() {
                check.value(
                    &path("expires"),
                    format!("`{}` is not a date", printable(expires)),
                    "write the last day the suppression applies as `YYYY-MM-DD`",
                );
            }
        }
        if suppression.resource.is_empty()
            || suppression
                .resource
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || c == '*' || c == '?'))
        {
            check.value(
                &path("resource"),
                format!(
                    "`{}` is not a logical ID or glob",
                    printable(&suppression.resource)
                ),
                "write a logical ID such as `EmailStorageBucket`, or a glob such as `*Bucket`",
            );
        }
    }
}

fn deploy(check: &mut Checker, environment: &Environment) {
    let deploy = &environment.deploy;
    if let Some(bucket) = &deploy.artifact_bucket {
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid {
            check.value(
                "deploy.artifact_bucket",
                format!("`{}` is not an S3 bucket name", printable(bucket)),
                "use 3..63 lower-case letters, digits, hyphens and dots, starting and ending with a letter or digit",
            );
        }
    }
    if let Some(arn) = &deploy.cloudformation_role_arn {
        if let Err(why) = check_role_arn(arn, &environment.stack) {
            check.value(
                "deploy.cloudformation_role_arn",
                format!("`{}` {why}", printable(arn)),
                "use the ARN of an IAM role in the stack's account: `arn:aws:iam::<account>:role/<name>`",
            );
        }
    }
    if !(1..=720).contains(&deploy.timeout_minutes) {
        check.value(
            "deploy.timeout_minutes",
            format!("{} minutes is out of range", deploy.timeout_minutes),
            "use 1..720 minutes",
        );
    }
    for (index, id) in deploy.allow_replacement.iter().enumerate() {
        if !is_logical_id(id) {
            check.value(
                &format!("deploy.allow_replacement[{index}]"),
                format!("`{}` is not a logical ID", printable(id)),
                "write the resource's logical ID as the template names it, for example `DatabaseCluster`",
            );
        }
    }
    for (index, entry) in environment.drift.ignore.iter().enumerate() {
        let path = |field: &str| format!("drift.ignore[{index}].{field}");
        if !is_logical_id(&entry.resource) {
            check.value(
                &path("resource"),
                format!("`{}` is not a logical ID", printable(&entry.resource)),
                "write the drifted resource's logical ID, for example `Service`",
            );
        }
        if entry.reason.trim().chars().count() < 10 {
            check.value(
                &path("reason"),
                "the reason is shorter than 10 characters",
                "say why the drift is acceptable",
            );
        }
        if let Some(expires) = &entry.expires {
            if parse_date(expires).is_none() {
                check.value(
                    &path("expires"),
                    format!("`{}` is not a date", printable(expires)),
                    "write the last day the entry applies as `YYYY-MM-DD`",
                );
            }
        }
    }
}

fn is_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A `YYYY-MM-DD` date as (year, month, day), checked against the calendar.
pub fn parse_date(text: &str) -> Option<(i32, u32, u32)> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day): (i32, u32, u32) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

/// Shows a hostile or invisible value safely inside a one-line message.
fn printable(value: &str) -> String {
    let mut shown: String = value
        .chars()
        .take(80)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > 80 {
        shown.push('…');
    }
    shown
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts.iter().all(|part| !part.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| part.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

fn valid_repository(repository: &str) -> bool {
    if repository.is_empty() || repository.len() > 255 {
        return false;
    }
    let mut parts = repository.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let is_registry = first
            && parts.peek().is_some()
            && (part.contains('.') || part.contains(':') || part == "localhost");
        first = false;
        let ok = if is_registry {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        } else {
            !part.is_empty()
                && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        };
        if !ok {
            return false;
        }
    }
    true
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

fn valid_email(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
                && valid_domain(&domain.to_ascii_lowercase())
        }
        None => false,
    }
}

fn parse_ipv4_cidr(cidr: &str) -> Result<(Ipv4Addr, u8), String> {
    let (address, prefix) = cidr.split_once('/').ok_or("no `/prefix`")?;
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("`{}` is not an IPv4 address", printable(address)))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| "the prefix is not a number".to_owned())?;
    if prefix > 32 {
        return Err(format!("prefix /{prefix} is longer than 32"));
    }
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    if u32::from(address) & !mask != 0 {
        return Err(format!(
            "host bits are set (the network address is `{}/{prefix}`)",
            Ipv4Addr::from(u32::from(address) & mask)
        ));
    }
    Ok((address, prefix))
}

fn parse_ipv6_cidr(cidr: &str) -> Result<(Ipv6Addr, u8), String> {
    let (address, prefix) = cidr.split_once('/').ok_or("no `/prefix`")?;
    let address: Ipv6Addr = address
        .parse()
        .map_err(|_| format!("`{}` is not an IPv6 address", printable(address)))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| "the prefix is not a number".to_owned())?;
    if prefix > 128 {
        return Err(format!("prefix /{prefix} is longer than 128"));
    }
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    if u128::from(address) & !mask != 0 {
        return Err(format!(
            "host bits are set (the network address is `{}/{prefix}`)",
            Ipv6Addr::from(u128::from(address) & mask)
        ));
    }
    Ok((address, prefix))
}

fn check_certificate_arn(arn: &str, stack_region: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, arn_partition, service, region, account, resource] = parts[..] else {
        return Err("is not an ARN (expected six `:`-separated parts)".to_owned());
    };
    if prefix != "arn" || !["aws", "aws-cn", "aws-us-gov"].contains(&arn_partition) {
        return Err("is not an ARN".to_owned());
    }
    if service != "acm" {
        return Err(format!(
            "is an ARN of `{service}`, not of an ACM certificate"
        ));
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err("has no 12-digit account".to_owned());
    }
    let id = resource.strip_prefix("certificate/").unwrap_or("");
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err("does not end in `certificate/<id>`".to_owned());
    }
    if region != stack_region {
        return Err(format!(
            "is in region `{region}`, but a load balancer can only use a certificate from its own region `{stack_region}`"
        ));
    }
    if arn_partition != partition(stack_region) {
        return Err(format!(
            "is in partition `{arn_partition}`, not the stack region's"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_table_matches_aws() {
        assert_eq!(fargate_memory_options(256), Some(vec![512, 1024, 2048]));
        assert_eq!(
            fargate_memory_options(512),
            Some(vec![1024, 2048, 3072, 4096])
        );
        let large = fargate_memory_options(16384).unwrap_or_default();
        assert_eq!(large.first(), Some(&32768));
        assert_eq!(large.last(), Some(&122880));
        assert_eq!(fargate_memory_options(3000), None);
    }

    #[test]
    fn cidrs() {
        assert!(parse_ipv4_cidr("10.0.0.0/16").is_ok());
        assert!(parse_ipv4_cidr("0.0.0.0/0").is_ok());
        assert!(parse_ipv4_cidr("10.0.0.1/16").is_err());
        assert!(parse_ipv4_cidr("10.0.0/16").is_err());
        assert!(parse_ipv4_cidr("10.0.0.0/33").is_err());
        assert!(parse_ipv6_cidr("::/0").is_ok());
        assert!(parse_ipv6_cidr("2001:db8::/32").is_ok());
        assert!(parse_ipv6_cidr("2001:db8::1/32").is_err());
    }

    #[test]
    fn repositories() {
        assert!(valid_repository(
            "openmrs/openmrs-reference-application-3-backend"
        ));
        assert!(valid_repository(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/openmrs/backend"
        ));
        assert!(valid_repository("localhost:5000/openmrs/backend"));
        assert!(!valid_repository("openmrs/Backend"));
        assert!(!valid_repository("openmrs/backend:tag"));
        assert!(!valid_repository("openmrs//backend"));
    }
}
