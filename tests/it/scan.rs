//! The vulnerability gate of `omrs-gitops images` against moto (ECR scan findings and Inspector2 findings seeded
//! through moto's API) and Debian's docker-registry standing in for the ECR registry API (tag to digest).

use std::cell::RefCell;
use std::process::Command;

use serde_json::{json, Value};

use omrs_gitops::exit::ExitStatus;
use omrs_gitops::images::aws::Aws;
use omrs_gitops::images::scan::{FindingsPage, InspectorApi};

use crate::images::mini_root;
use crate::peers::{moto, moto_settings, push_image, registry, Peer};

pub const ECR_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const TODAY: &str = "2026-01-15";

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

/// The three mini images on the registry and in moto's ECR (same manifest, same digest), by repository.
struct Images {
    digests: Vec<(String, String)>,
}

fn images_everywhere(registry: &Peer, aws: &Aws) -> Images {
    let ecr = aws.ecr("us-east-1");
    let mut digests = Vec::new();
    for name in ["gateway", "frontend", "backend"] {
        let repository = format!("openmrs/{name}");
        let (manifest, digest) = push_image(&registry.url, &repository, "3.2.0");
        aws.block_on(ecr.create_repository().repository_name(&repository).send())
            .unwrap();
        aws.block_on(
            ecr.put_image()
                .repository_name(&repository)
                .image_manifest(String::from_utf8(manifest).unwrap())
                .image_tag("3.2.0")
                .image_digest(&digest)
                .send(),
        )
        .unwrap();
        digests.push((repository, digest));
    }
    Images { digests }
}

pub fn start_scan(aws: &Aws, repository: &str, digest: &str) {
    let ecr = aws.ecr("us-east-1");
    aws.block_on(
        ecr.start_image_scan()
            .repository_name(repository)
            .image_id(
                aws_sdk_ecr::types::ImageIdentifier::builder()
                    .image_digest(digest)
                    .build(),
            )
            .send(),
    )
    .unwrap();
}

pub fn post(moto: &Peer, path: &str, body: &Value) {
    let response = ureq::agent()
        .post(format!("{}{path}", moto.url))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// Runs the command against moto and the registry, with moto's test credentials.
fn run(
    dir: &std::path::Path,
    moto: &Peer,
    registry: &Peer,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_omrs-gitops"))
        .arg("images")
        .args(args)
        .arg("--registry-endpoint")
        .arg(format!("{ECR_HOST}={}", registry.url))
        .current_dir(dir)
        .env_remove("OMRS_GITOPS_ROOT")
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("OMRS_GITOPS_TODAY", TODAY)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn ecr_result(repository: &str, digest: &str, status: &str, findings: Value) -> Value {
    json!({
        "registryId": "123456789012",
        "repositoryName": repository,
        "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": status, "description": status},
        "imageScanFindings": {"findings": findings, "findingSeverityCounts": {}},
    })
}

pub fn basic_finding(cve: &str, package: &str, version: &str, severity: &str) -> Value {
    json!({
        "name": cve,
        "uri": format!("https://nvd.nist.gov/vuln/detail/{cve}"),
        "severity": severity,
        "attributes": [
            {"key": "package_version", "value": version},
            {"key": "package_name", "value": package},
        ],
    })
}

const ALLOWLIST: &str = "  scan: ecr-basic\n  scan_timeout_seconds: 30\n  allowlist:\n    - cve: CVE-2024-0002\n      package: zlib\n      reason: zlib inflate is not reachable from OpenMRS\n      expires: \"2026-06-30\"\n      owner: platform-team\n    - cve: CVE-2023-9999\n      reason: accepted last year for the old base image\n      expires: \"2026-01-14\"\n      owner: platform-team\n    - cve: CVE-2020-1111\n      reason: fixed upstream long ago, entry kept by mistake\n      expires: \"2027-01-01\"\n      owner: platform-team\n";

#[test]
fn ecr_basic_findings_go_through_the_gate_with_allowlist_expiry_and_staleness() {
    let registry = registry();
    let moto = moto();
    let aws = Aws::new(moto_settings(&moto)).unwrap();
    let images = images_everywhere(&registry, &aws);
    let (gateway, frontend, backend) = (&images.digests[0], &images.digests[1], &images.digests[2]);
    // Two images were scanned on push; the backend never was, so the command starts its scan and waits.
    start_scan(&aws, &gateway.0, &gateway.1);
    start_scan(&aws, &frontend.0, &frontend.1);
    post(
        &moto,
        "/moto-api/static/ecr/scan-finding-results",
        &json!({"region": "us-east-1", "results": [
            ecr_result(&gateway.0, &gateway.1, "COMPLETE", json!([])),
            ecr_result(&frontend.0, &frontend.1, "COMPLETE", json!([basic_finding("CVE-2023-9999", "libxml2", "2.9.14", "MEDIUM")])),
            ecr_result(&backend.0, &backend.1, "COMPLETE", json!([
                basic_finding("CVE-2024-0001", "openssl", "3.0.11", "CRITICAL"),
                basic_finding("CVE-2024-0002", "zlib", "1.2.13", "HIGH"),
            ])),
        ]}),
    );
    let dir = mini_root(ECR_HOST, "3.2.0", ALLOWLIST);
    let (status, json_text, stderr) = run(dir.path(), &moto, &registry, &["--format", "json"]);
    assert_eq!(status, code(ExitStatus::GateFailed), "{stderr}");
    let value: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(value["passed"], false);
    let scan = &value["environments"][0]["scan"];
    assert_eq!(scan["mode"], "ecr-basic");
    let findings = scan["findings"].as_array().unwrap();
    let summary: Vec<(String, String, bool, Value)> = findings
        .iter()
        .map(|finding| {
            (
                finding["cve"].as_str().unwrap().to_owned(),
                finding["severity"].as_str().unwrap().to_owned(),
                finding["blocking"].as_bool().unwrap(),
                finding["allowed_by"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "CVE-2024-0001".to_owned(),
                "CRITICAL".to_owned(),
                true,
                Value::Null
            ),
            (
                "CVE-2024-0002".to_owned(),
                "HIGH".to_owned(),
                false,
                json!(0)
            ),
            (
                "CVE-2023-9999".to_owned(),
                "MEDIUM".to_owned(),
                false,
                Value::Null
            ),
        ]
    );
    assert_eq!(
        findings[0]["image"],
        format!("{ECR_HOST}/openmrs/backend:3.2.0")
    );
    assert_eq!(findings[0]["package"], "openssl");
    assert_eq!(findings[0]["installed_version"], "3.0.11");
    assert_eq!(
        findings[0]["fix"], "unknown",
        "basic scanning reports no fixed version"
    );
    assert_eq!(scan["expired_allowlist"][0]["index"], 1);
    assert_eq!(scan["stale_allowlist"][0]["index"], 2);
    assert_eq!(scan["stale_allowlist"].as_array().unwrap().len(), 1);

    let (status, text, _) = run(dir.path(), &moto, &registry, &[]);
    assert_eq!(status, code(ExitStatus::GateFailed));
    assert!(
        text.contains("vulnerabilities (ecr-basic): 3 findings, 1 blocking; gate FAILED"),
        "{text}"
    );
    assert!(
        text.contains("images.allowlist[1] (CVE-2023-9999) expired on 2026-01-14"),
        "{text}"
    );
    assert!(
        text.contains("images.allowlist[2] (CVE-2020-1111) matches no finding (stale)"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|line| line.contains("CVE-2024-0001"))
        .unwrap();
    assert!(
        row.contains("CRITICAL") && row.contains("openssl") && row.contains("BLOCKING"),
        "{row}"
    );

    let (status, sarif, _) = run(dir.path(), &moto, &registry, &["--format", "sarif"]);
    assert_eq!(status, code(ExitStatus::GateFailed));
    crate::check::validate_sarif(&sarif);
    let value: Value = serde_json::from_str(&sarif).unwrap();
    let rules: Vec<&str> = value["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["CVE-2024-0001", "CVE-2024-0002", "CVE-2023-9999"]);
    assert_eq!(
        value["runs"][0]["results"][1]["suppressions"][0]["kind"],
        "external"
    );

    let (status, markdown, _) = run(dir.path(), &moto, &registry, &["--format", "markdown"]);
    assert_eq!(status, code(ExitStatus::GateFailed));
    assert!(
        markdown.contains("**Vulnerability gate (ecr-basic): FAILED**"),
        "{markdown}"
    );
    assert!(
        markdown.contains("**Expired allowlist entry** `images.allowlist[1]`"),
        "{markdown}"
    );

    // Only HIGH and above fail by default: with the critical one allowlisted and the expired entry gone, it passes.
    let passing = mini_root(
        ECR_HOST,
        "3.2.0",
        "  scan: ecr-basic\n  allowlist:\n    - cve: CVE-2024-0001\n      reason: openssl is patched by the runtime layer\n      expires: \"2026-01-15\"\n      owner: platform-team\n    - cve: CVE-2024-0002\n      reason: zlib inflate is not reachable from OpenMRS\n      expires: \"2026-06-30\"\n      owner: platform-team\n",
    );
    let (status, _, stderr) = run(passing.path(), &moto, &registry, &[]);
    assert_eq!(status, code(ExitStatus::Success), "{stderr}");
}

#[test]
fn a_scan_that_does_not_finish_in_time_is_a_service_failure() {
    let registry = registry();
    let moto = moto();
    let aws = Aws::new(moto_settings(&moto)).unwrap();
    let images = images_everywhere(&registry, &aws);
    for (repository, digest) in &images.digests {
        start_scan(&aws, repository, digest);
    }
    let results: Vec<Value> = images
        .digests
        .iter()
        .map(|(repository, digest)| ecr_result(repository, digest, "IN_PROGRESS", json!([])))
        .collect();
    post(
        &moto,
        "/moto-api/static/ecr/scan-finding-results",
        &json!({"region": "us-east-1", "results": results}),
    );
    let dir = mini_root(
        ECR_HOST,
        "3.2.0",
        "  scan: ecr-basic\n  scan_timeout_seconds: 1\n",
    );
    let (status, stdout, stderr) = run(dir.path(), &moto, &registry, &[]);
    assert_eq!(status, code(ExitStatus::ServiceFailed), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("openmrs/gateway:3.2.0`: the scan is still IN_PROGRESS after 1 s; wait for it (or raise `images.scan_timeout_seconds`)"),
        "{stderr}"
    );
}

/// Records every ListFindings request the program builds, then sends it to moto.
struct Recorder<'a> {
    aws: &'a Aws,
    requests: RefCell<
        Vec<(
            String,
            aws_sdk_inspector2::types::FilterCriteria,
            Option<String>,
        )>,
    >,
}

impl InspectorApi for Recorder<'_> {
    fn list_findings(
        &self,
        region: &str,
        filter: &aws_sdk_inspector2::types::FilterCriteria,
        next_token: Option<&str>,
    ) -> Result<FindingsPage, String> {
        self.requests.borrow_mut().push((
            region.to_owned(),
            filter.clone(),
            next_token.map(str::to_owned),
        ));
        self.aws.list_findings(region, filter, next_token)
    }
}

fn inspector_finding(
    repository: &str,
    digest: &str,
    cve: &str,
    package: &str,
    fixed: &str,
    severity: &str,
) -> Value {
    json!({
        "findingArn": format!("arn:aws:inspector2:us-east-1:123456789012:finding/{cve}"),
        "awsAccountId": "123456789012",
        "type": "PACKAGE_VULNERABILITY",
        "description": format!("{cve} in {package}"),
        "title": format!("{cve} - {package}"),
        "severity": severity,
        "status": "ACTIVE",
        "firstObservedAt": 1_700_000_000,
        "lastObservedAt": 1_700_000_000,
        "resources": [{
            "type": "AWS_ECR_CONTAINER_IMAGE",
            "id": format!("arn:aws:ecr:us-east-1:123456789012:repository/{repository}/{digest}"),
            "details": {"awsEcrContainerImage": {"repositoryName": repository, "imageHash": digest, "registry": "123456789012"}},
        }],
        "packageVulnerabilityDetails": {
            "vulnerabilityId": cve,
            "source": "NVD",
            "sourceUrl": format!("https://nvd.nist.gov/vuln/detail/{cve}"),
            "vulnerablePackages": [{"name": package, "version": "1.0.0", "fixedInVersion": fixed}],
        },
        "fixAvailable": if fixed == "NotAvailable" { "NO" } else { "YES" },
    })
}

#[test]
fn inspector_findings_are_listed_by_repository_and_image_hash_and_ignore_unfixed_drops_unfixed_ones(
) {
    use omrs_gitops::images::scan::{EcrBasic, Inspector, SystemClock};
    use omrs_gitops::pipeline::images::{collect_images, scan_images, ScanSettings};
    use omrs_gitops::source::DiskSource;
    use omrs_gitops::workspace::{load_all, render_all, resolve};

    let registry = registry();
    let moto = moto();
    let aws = Aws::new(moto_settings(&moto)).unwrap();
    let images = images_everywhere(&registry, &aws);
    // Inspector has scanned every image: ECR reports the enhanced scan's status (moto's default answer: COMPLETE).
    for (repository, digest) in &images.digests {
        start_scan(&aws, repository, digest);
    }
    let (gateway, backend) = (&images.digests[0], &images.digests[2]);
    // One queued batch per distinct ListFindings request, in the order the images are read.
    post(
        &moto,
        "/moto-api/static/inspector2/findings-results",
        &json!({"region": "us-east-1", "account_id": "123456789012", "results": [
            [inspector_finding(&gateway.0, &gateway.1, "CVE-2024-1000", "nginx", "1.25.4", "MEDIUM")],
            [],
            [inspector_finding(&backend.0, &backend.1, "CVE-2024-2000", "tomcat", "NotAvailable", "CRITICAL")],
        ]}),
    );
    let dir = mini_root(ECR_HOST, "3.2.0", "  scan: inspector\n");

    // The request the program builds: one ListFindings per image, filtered by its repository and image hash.
    let source = DiskSource::new(dir.path());
    let refs = resolve(&source, &[]).unwrap();
    let rendered = render_all(&source, load_all(&source, &refs).unwrap()).unwrap();
    let mut report = collect_images(&rendered).unwrap();
    for (repository, digest) in &images.digests {
        report
            .digests
            .insert(format!("{ECR_HOST}/{repository}:3.2.0"), digest.clone());
    }
    let recorder = Recorder {
        aws: &aws,
        requests: RefCell::new(Vec::new()),
    };
    let settings = ScanSettings {
        inspector: &Inspector {
            ecr: &aws,
            api: &recorder,
        },
        ecr_basic: &EcrBasic { api: &aws },
        ignore_unfixed: false,
        today: (2026, 1, 15),
    };
    scan_images(&mut report, &settings, &mut SystemClock::start()).unwrap();
    let requests = recorder.requests.borrow();
    assert_eq!(requests.len(), 3, "every image, one page each");
    for ((region, filter, token), (repository, digest)) in requests.iter().zip(&images.digests) {
        assert_eq!(region, "us-east-1");
        assert!(token.is_none());
        let equals =
            |filters: &[aws_sdk_inspector2::types::StringFilter]| -> Vec<(String, String)> {
                filters
                    .iter()
                    .map(|f| (f.comparison().as_str().to_owned(), f.value().to_owned()))
                    .collect()
            };
        assert_eq!(
            equals(filter.ecr_image_repository_name()),
            [("EQUALS".to_owned(), repository.clone())]
        );
        assert_eq!(
            equals(filter.ecr_image_hash()),
            [("EQUALS".to_owned(), digest.clone())]
        );
        assert_eq!(
            equals(filter.finding_status()),
            [("EQUALS".to_owned(), "ACTIVE".to_owned())]
        );
    }
    let gate = &report.environments[0].scan.as_ref().unwrap().gate;
    assert!(!gate.passed());
    assert_eq!(gate.findings[0].vulnerability.cve, "CVE-2024-2000");
    assert_eq!(
        gate.findings[0].vulnerability.fixed,
        omrs_gitops::images::scan::Fix::None
    );

    // The command, end to end: the critical finding has no fix, so `--ignore-unfixed` lets the gate pass.
    let (status, json_text, stderr) = run(dir.path(), &moto, &registry, &["--format", "json"]);
    assert_eq!(status, code(ExitStatus::GateFailed), "{stderr}");
    let value: Value = serde_json::from_str(&json_text).unwrap();
    let findings = value["environments"][0]["scan"]["findings"]
        .as_array()
        .unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["fixed_version"], Value::Null);
    assert_eq!(findings[0]["fix"], "unfixed");
    assert_eq!(findings[1]["fixed_version"], "1.25.4");
    assert_eq!(
        findings[1]["url"],
        "https://nvd.nist.gov/vuln/detail/CVE-2024-1000"
    );
    let (status, json_text, stderr) = run(
        dir.path(),
        &moto,
        &registry,
        &["--format", "json", "--ignore-unfixed"],
    );
    assert_eq!(status, code(ExitStatus::Success), "{stderr}");
    let value: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(value["environments"][0]["scan"]["dropped_unfixed"], 1);
    assert_eq!(value["passed"], true);
}
