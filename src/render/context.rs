//! Values the templates see besides the environment file itself: partition, ELB log-delivery account, image
//! references, listener port. Derived here once, in Rust, so templates stay declarative.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{partition, Environment};

/// Regions whose load balancers deliver access logs from a regional ELB account. Regions opened after
/// August 2022 deliver through the `logdelivery.elasticloadbalancing.amazonaws.com` service principal instead.
/// Source: "Enable access logs for your Application Load Balancer", Elastic Load Balancing user guide.
pub const ELB_LOG_ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-south-1", "718504428378"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ca-central-1", "985666609251"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
    ("eu-central-1", "054676820928"),
    ("eu-north-1", "897822967062"),
    ("eu-south-1", "635631232127"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-gov-east-1", "190560391635"),
    ("us-gov-west-1", "048591011584"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
];

/// The AWS CLI image the analytics export task runs.
pub const AWS_CLI_IMAGE: &str = "public.ecr.aws/aws-cli/aws-cli:2.22.0";

/// Everything a template can read. Field names are the template contract: renaming one is a breaking change
/// for every template set.
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    /// The environment file, defaults applied, with the same keys as the YAML.
    pub env: &'a Environment,
    /// The environment's name (file stem).
    pub name: &'a str,
    pub aws: Aws,
    /// HTTPS on the listener (an imported certificate or a Route 53 domain).
    pub tls: bool,
    /// 443 with TLS, 80 without.
    pub listener_port: u16,
    /// `repository:tag` for `gateway`, `frontend` and `backend` (the environment's), and `aws_cli` (fixed).
    pub images: BTreeMap<&'static str, String>,
    /// SES is configured (which validation only allows with a Route 53 domain).
    pub ses: bool,
    /// With `images.pull_through_cache`: the ECR repository prefix of the Docker Hub pull-through cache rule
    /// (`pull_through_prefix`), under which `images` already point.
    pub pull_through_prefix: Option<String>,
}

/// The ECR repository prefix of the Docker Hub pull-through cache rule: the stack name in lower case, runs of
/// hyphens folded, cut to 19 characters, then `-docker-hub` (ECR allows 2..30 characters of
/// `[a-z0-9]+([._-][a-z0-9]+)*`).
pub fn pull_through_prefix(stack_name: &str) -> String {
    let mut name = String::new();
    for c in stack_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
    {
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        name.push(c.to_ascii_lowercase());
    }
    let name: String = name.chars().take(19).collect();
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "docker-hub".to_owned()
    } else {
        format!("{name}-docker-hub")
    }
}

/// `written` as run through the pull-through cache: a Docker Hub image becomes
/// `<account>.dkr.ecr.<region>.<suffix>/<prefix>/<repository>` with its tag or digest; any other image is kept.
pub fn through_cache(written: &str, registry_host: &str, prefix: &str) -> String {
    match crate::images::ImageRef::parse(written) {
        Ok(reference) if reference.registry == crate::images::DOCKER_HUB => {
            let mut text = format!("{registry_host}/{prefix}/{}", reference.repository);
            if let Some(tag) = &reference.tag {
                text.push_str(&format!(":{tag}"));
            }
            if let Some(digest) = &reference.digest {
                text.push_str(&format!("@{digest}"));
            }
            text
        }
        _ => written.to_owned(),
    }
}

/// Facts about the target account and region.
#[derive(Debug, Serialize)]
pub struct Aws {
    pub partition: &'static str,
    pub region: String,
    pub account: String,
    /// `amazonaws.com`, or `amazonaws.com.cn` in China.
    pub url_suffix: &'static str,
    /// The regional ELB account that writes access logs, when the region has one.
    pub elb_account: Option<&'static str>,
}

impl<'a> Context<'a> {
    pub fn new(name: &'a str, environment: &'a Environment) -> Context<'a> {
        Context::pinned(name, environment, &BTreeMap::new())
    }

    /// The context with `images.pin` applied: every image whose reference (as written) has an entry in
    /// `digests` becomes `repository@digest`. Without `images.pin` the digests are ignored.
    pub fn pinned(
        name: &'a str,
        environment: &'a Environment,
        digests: &BTreeMap<String, String>,
    ) -> Context<'a> {
        let region = environment.stack.region.clone();
        let partition = partition(&region);
        let elb_account = ELB_LOG_ACCOUNTS
            .iter()
            .find(|(known, _)| *known == region)
            .map(|(_, account)| *account);
        let tag = &environment.images.tag;
        let url_suffix = if partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let pull_through = environment
            .images
            .pull_through_cache
            .then(|| pull_through_prefix(&environment.stack.name));
        let ecr_host = format!(
            "{}.dkr.ecr.{region}.{url_suffix}",
            environment.stack.account
        );
        let images: BTreeMap<&'static str, String> = BTreeMap::from([
            ("gateway", format!("{}:{tag}", environment.images.gateway)),
            ("frontend", format!("{}:{tag}", environment.images.frontend)),
            ("backend", format!("{}:{tag}", environment.images.backend)),
            ("aws_cli", AWS_CLI_IMAGE.to_owned()),
        ])
        .into_iter()
        .map(|(key, written)| match &pull_through {
            Some(prefix) => (key, through_cache(&written, &ecr_host, prefix)),
            None => (key, written),
        })
        .collect();
        let images = if environment.images.pin {
            images
                .into_iter()
                .map(|(key, written)| {
                    let pinned = digests.get(&written).and_then(|digest| {
                        crate::images::ImageRef::parse(&written)
                            .ok()
                            .map(|reference| reference.pinned(digest))
                    });
                    (key, pinned.unwrap_or(written))
                })
                .collect()
        } else {
            images
        };
        let tls = environment.tls();
        Context {
            env: environment,
            name,
            aws: Aws {
                partition,
                url_suffix,
                account: environment.stack.account.clone(),
                region,
                elb_account,
            },
            tls,
            listener_port: if tls { 443 } else { 80 },
            images,
            ses: environment.email.configure_ses && environment.dns.route53_domain.is_some(),
            pull_through_prefix: pull_through,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_through_prefixes_fit_ecr() {
        assert_eq!(
            pull_through_prefix("openmrs-prod"),
            "openmrs-prod-docker-hub"
        );
        assert_eq!(pull_through_prefix("A--B"), "a-b-docker-hub");
        let long = pull_through_prefix("Clinic-with-a-very-long-stack-name");
        assert!(long.len() <= 30 && long.ends_with("-docker-hub"), "{long}");
        assert!(!long.contains("--"), "{long}");
    }

    #[test]
    fn only_docker_hub_images_go_through_the_cache() {
        let host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
        assert_eq!(
            through_cache("openmrs/backend:3.2.0", host, "p-docker-hub"),
            format!("{host}/p-docker-hub/openmrs/backend:3.2.0")
        );
        assert_eq!(
            through_cache("nginx", host, "p"),
            format!("{host}/p/library/nginx")
        );
        assert_eq!(
            through_cache(AWS_CLI_IMAGE, host, "p"),
            AWS_CLI_IMAGE.to_owned()
        );
    }
}
