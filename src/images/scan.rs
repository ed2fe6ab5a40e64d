//! Vulnerabilities of an image from AWS: Amazon Inspector2 (ListFindings filtered by ECR repository and image
//! hash) or ECR basic scanning (DescribeImageScanFindings), every page, normalised to `Vulnerability`.
//!
//! The SDK calls sit behind `InspectorApi` and `EcrScanApi` (implemented by `aws::Aws`), so tests can record the
//! exact request the program builds; `Inspector` and `EcrBasic` turn pages into a `ScanState`, and
//! `wait_for_scan` polls a pending scan with backoff within a bound.

use std::time::Duration;

use aws_sdk_inspector2::types::{FilterCriteria, StringComparison, StringFilter};

use crate::config::Severity;

/// One image to look up: where its ECR repository is, and the digest that runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTarget {
    /// The image as the template writes it.
    pub image: String,
    pub region: String,
    /// The registry's account.
    pub registry_id: String,
    pub repository: String,
    /// `sha256:...`
    pub digest: String,
}

/// Whether a fixed version exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fix {
    /// Fixed in this version (Inspector2 `fixedInVersion`).
    Version(String),
    /// The scanner says no fix exists yet.
    None,
    /// The scanner does not say (ECR basic scanning reports no fixed versions).
    Unknown,
}

/// One vulnerable package in one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability {
    /// The image as the template writes it.
    pub image: String,
    /// CVE (or GHSA, ALAS...) ID.
    pub cve: String,
    pub package: String,
    pub installed_version: String,
    pub fixed: Fix,
    pub severity: Severity,
    /// Short title or description, when the scanner gives one.
    pub title: String,
    /// Advisory URL, when the scanner gives one.
    pub url: Option<String>,
}

/// Where an image's scan is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanState {
    /// Still running (or not started yet): the service's status.
    Pending(String),
    Complete(Vec<Vulnerability>),
}

/// Reads the vulnerabilities of one image.
pub trait FindingsSource {
    /// The scan's state; `Err` is a service failure, one line.
    fn scan(&self, target: &ScanTarget) -> Result<ScanState, String>;
}

/// One page of Inspector2 ListFindings, already normalised (image left empty).
#[derive(Debug, Clone, Default)]
pub struct FindingsPage {
    pub findings: Vec<Vulnerability>,
    pub next_token: Option<String>,
}

/// The Inspector2 ListFindings call.
pub trait InspectorApi {
    fn list_findings(
        &self,
        region: &str,
        filter: &FilterCriteria,
        next_token: Option<&str>,
    ) -> Result<FindingsPage, String>;
}

/// One page of ECR DescribeImageScanFindings.
#[derive(Debug, Clone, Default)]
pub struct EcrScanPage {
    /// `imageScanStatus.status`: `COMPLETE`, `IN_PROGRESS`, `PENDING`, `ACTIVE`, `FAILED`...
    pub status: String,
    pub description: String,
    pub findings: Vec<Vulnerability>,
    pub next_token: Option<String>,
}

/// Why DescribeImageScanFindings gave no page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcrScanError {
    /// `ScanNotFoundException`: the image was never scanned.
    NoScan,
    Failed(String),
}

/// The ECR scan calls.
pub trait EcrScanApi {
    fn describe_image_scan_findings(
        &self,
        target: &ScanTarget,
        next_token: Option<&str>,
    ) -> Result<EcrScanPage, EcrScanError>;
    fn start_image_scan(&self, target: &ScanTarget) -> Result<(), String>;
}

fn equals(value: &str) -> StringFilter {
    StringFilter::builder()
        .comparison(StringComparison::Equals)
        .value(value)
        .build()
        .unwrap_or_else(|_| unreachable!("comparison and value are set"))
}

/// The ListFindings filter for one image: active package vulnerabilities of this ECR repository and image hash.
pub fn inspector_filter(target: &ScanTarget) -> FilterCriteria {
    FilterCriteria::builder()
        .ecr_image_repository_name(equals(&target.repository))
        .ecr_image_hash(equals(&target.digest))
        .finding_type(equals("PACKAGE_VULNERABILITY"))
        .finding_status(equals("ACTIVE"))
        .build()
}

/// Statuses of a scan still to wait for (basic: `IN_PROGRESS`, `PENDING`; enhanced: `PENDING`, `IN_PROGRESS`).
fn running(status: &str) -> bool {
    matches!(status, "IN_PROGRESS" | "PENDING")
}

/// Statuses after which no findings will come.
fn failed(status: &str) -> bool {
    matches!(
        status,
        "FAILED" | "UNSUPPORTED_IMAGE" | "SCAN_ELIGIBILITY_EXPIRED" | "FINDINGS_UNAVAILABLE"
    )
}

/// Every page of DescribeImageScanFindings, or the state that stops it.
fn ecr_pages(api: &dyn EcrScanApi, target: &ScanTarget, start: bool) -> Result<ScanState, String> {
    let mut findings = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match api.describe_image_scan_findings(target, token.as_deref()) {
            Ok(page) => page,
            Err(EcrScanError::NoScan) if start => {
                api.start_image_scan(target)?;
                return Ok(ScanState::Pending("STARTED".to_owned()));
            }
            Err(EcrScanError::NoScan) => return Ok(ScanState::Pending("NOT_SCANNED".to_owned())),
            Err(EcrScanError::Failed(problem)) => return Err(problem),
        };
        if running(&page.status) {
            return Ok(ScanState::Pending(page.status));
        }
        if failed(&page.status) {
            return Err(format!(
                "the scan ended {}{}",
                page.status,
                if page.description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", page.description)
                }
            ));
        }
        findings.extend(page.findings);
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    for finding in &mut findings {
        finding.image.clone_from(&target.image);
    }
    Ok(ScanState::Complete(findings))
}

/// ECR basic scanning. An image never scanned gets a StartImageScan (once a day per image, as ECR allows).
pub struct EcrBasic<'a> {
    pub api: &'a dyn EcrScanApi,
}

impl FindingsSource for EcrBasic<'_> {
    fn scan(&self, target: &ScanTarget) -> Result<ScanState, String> {
        ecr_pages(self.api, target, true)
    }
}

/// Amazon Inspector2: the image's enhanced-scan status from ECR first (wait while `PENDING` or `IN_PROGRESS`, or
/// while Inspector has not scanned it yet), then every page of ListFindings.
pub struct Inspector<'a> {
    pub ecr: &'a dyn EcrScanApi,
    pub api: &'a dyn InspectorApi,
}

impl FindingsSource for Inspector<'_> {
    fn scan(&self, target: &ScanTarget) -> Result<ScanState, String> {
        match self.ecr.describe_image_scan_findings(target, None) {
            Ok(page) if running(&page.status) => return Ok(ScanState::Pending(page.status)),
            Ok(page) if failed(&page.status) => {
                return Err(format!("the scan ended {}", page.status))
            }
            Ok(_) => {}
            Err(EcrScanError::NoScan) => return Ok(ScanState::Pending("NOT_SCANNED".to_owned())),
            Err(EcrScanError::Failed(problem)) => return Err(problem),
        }
        let filter = inspector_filter(target);
        let mut findings = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .api
                .list_findings(&target.region, &filter, token.as_deref())?;
            findings.extend(page.findings);
            match page.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        for finding in &mut findings {
            finding.image.clone_from(&target.image);
        }
        Ok(ScanState::Complete(findings))
    }
}

/// Time for the wait: real in the binary, simulated in tests.
pub trait Clock {
    fn elapsed(&self) -> Duration;
    fn sleep(&mut self, duration: Duration);
}

/// The wall clock.
pub struct SystemClock {
    started: std::time::Instant,
}

impl SystemClock {
    pub fn start() -> SystemClock {
        SystemClock {
            started: std::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Why no findings came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("`{image}`: the scan is still {status} after {seconds} s; wait for it (or raise `images.scan_timeout_seconds`) and run again")]
    TimedOut {
        image: String,
        status: String,
        seconds: u64,
    },
    #[error("`{image}`: reading its vulnerabilities failed: {problem}; check that scanning is enabled for the registry and the credentials may read findings, then run again")]
    Service { image: String, problem: String },
}

/// Polls `source` until the scan completes, sleeping 1 s, 2 s, 4 s... (at most 30 s) and never past `timeout`
/// (measured from the clock's start, so one bound covers every image).
pub fn wait_for_scan(
    source: &dyn FindingsSource,
    target: &ScanTarget,
    timeout: Duration,
    clock: &mut dyn Clock,
) -> Result<Vec<Vulnerability>, ScanError> {
    let mut pause = Duration::from_secs(1);
    loop {
        match source.scan(target) {
            Ok(ScanState::Complete(findings)) => return Ok(findings),
            Ok(ScanState::Pending(status)) => {
                let elapsed = clock.elapsed();
                if elapsed >= timeout {
                    return Err(ScanError::TimedOut {
                        image: target.image.clone(),
                        status,
                        seconds: timeout.as_secs(),
                    });
                }
                clock.sleep(pause.min(timeout - elapsed));
                pause = (pause * 2).min(Duration::from_secs(30));
            }
            Err(problem) => {
                return Err(ScanError::Service {
                    image: target.image.clone(),
                    problem,
                })
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn target() -> ScanTarget {
        ScanTarget {
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/p/openmrs/backend:1".to_owned(),
            region: "us-east-1".to_owned(),
            registry_id: "123456789012".to_owned(),
            repository: "p/openmrs/backend".to_owned(),
            digest: "sha256:abc".to_owned(),
        }
    }

    fn vulnerability(cve: &str) -> Vulnerability {
        Vulnerability {
            image: String::new(),
            cve: cve.to_owned(),
            package: "openssl".to_owned(),
            installed_version: "3.0.1".to_owned(),
            fixed: Fix::Unknown,
            severity: Severity::High,
            title: String::new(),
            url: None,
        }
    }

    #[test]
    fn the_inspector_filter_names_the_repository_and_the_image_hash() {
        let filter = inspector_filter(&target());
        let only = |filters: &[StringFilter]| -> (String, String) {
            assert_eq!(filters.len(), 1);
            (
                filters[0].comparison().as_str().to_owned(),
                filters[0].value().to_owned(),
            )
        };
        assert_eq!(
            only(filter.ecr_image_repository_name()),
            ("EQUALS".to_owned(), "p/openmrs/backend".to_owned())
        );
        assert_eq!(
            only(filter.ecr_image_hash()),
            ("EQUALS".to_owned(), "sha256:abc".to_owned())
        );
        assert_eq!(only(filter.finding_status()).1, "ACTIVE");
    }

    /// Pages and statuses served in order; records the tokens asked for.
    struct Script {
        pages: RefCell<Vec<Result<EcrScanPage, EcrScanError>>>,
        tokens: RefCell<Vec<Option<String>>>,
        started: RefCell<u32>,
    }

    impl EcrScanApi for Script {
        fn describe_image_scan_findings(
            &self,
            _: &ScanTarget,
            next_token: Option<&str>,
        ) -> Result<EcrScanPage, EcrScanError> {
            self.tokens.borrow_mut().push(next_token.map(str::to_owned));
            self.pages.borrow_mut().remove(0)
        }
        fn start_image_scan(&self, _: &ScanTarget) -> Result<(), String> {
            *self.started.borrow_mut() += 1;
            Ok(())
        }
    }

    fn page(status: &str, cves: &[&str], next: Option<&str>) -> Result<EcrScanPage, EcrScanError> {
        Ok(EcrScanPage {
            status: status.to_owned(),
            description: String::new(),
            findings: cves.iter().map(|cve| vulnerability(cve)).collect(),
            next_token: next.map(str::to_owned),
        })
    }

    struct FakeClock {
        now: Duration,
        sleeps: Vec<u64>,
    }

    impl Clock for FakeClock {
        fn elapsed(&self) -> Duration {
            self.now
        }
        fn sleep(&mut self, duration: Duration) {
            self.sleeps.push(duration.as_secs());
            self.now += duration;
        }
    }

    #[test]
    fn basic_scanning_starts_a_scan_waits_with_backoff_and_reads_every_page() {
        let script = Script {
            pages: RefCell::new(vec![
                Err(EcrScanError::NoScan),
                page("IN_PROGRESS", &[], None),
                page("IN_PROGRESS", &[], None),
                page("COMPLETE", &["CVE-1"], Some("t1")),
                page("COMPLETE", &["CVE-2"], None),
            ]),
            tokens: RefCell::new(Vec::new()),
            started: RefCell::new(0),
        };
        let mut clock = FakeClock {
            now: Duration::ZERO,
            sleeps: Vec::new(),
        };
        let found = wait_for_scan(
            &EcrBasic { api: &script },
            &target(),
            Duration::from_secs(60),
            &mut clock,
        )
        .unwrap();
        assert_eq!(*script.started.borrow(), 1);
        assert_eq!(clock.sleeps, [1, 2, 4]);
        assert_eq!(
            found.iter().map(|v| v.cve.as_str()).collect::<Vec<_>>(),
            ["CVE-1", "CVE-2"]
        );
        assert_eq!(found[0].image, target().image);
        assert_eq!(
            script.tokens.borrow().last().cloned().flatten().as_deref(),
            Some("t1")
        );
    }

    #[test]
    fn a_scan_that_stays_pending_times_out_and_a_failed_scan_is_a_service_error() {
        let pages = (0..20).map(|_| page("PENDING", &[], None)).collect();
        let script = Script {
            pages: RefCell::new(pages),
            tokens: RefCell::new(Vec::new()),
            started: RefCell::new(0),
        };
        let mut clock = FakeClock {
            now: Duration::ZERO,
            sleeps: Vec::new(),
        };
        let error = wait_for_scan(
            &EcrBasic { api: &script },
            &target(),
            Duration::from_secs(10),
            &mut clock,
        )
        .unwrap_err();
        assert_eq!(clock.sleeps, [1, 2, 4, 3], "never sleeps past the bound");
        assert!(
            error.to_string().contains("still PENDING after 10 s"),
            "{error}"
        );
        let script = Script {
            pages: RefCell::new(vec![page("UNSUPPORTED_IMAGE", &[], None)]),
            tokens: RefCell::new(Vec::new()),
            started: RefCell::new(0),
        };
        let error = wait_for_scan(
            &EcrBasic { api: &script },
            &target(),
            Duration::from_secs(10),
            &mut clock,
        )
        .unwrap_err();
        assert!(matches!(error, ScanError::Service { .. }), "{error}");
    }

    struct Pages(RefCell<Vec<FindingsPage>>, RefCell<Vec<Option<String>>>);

    impl InspectorApi for Pages {
        fn list_findings(
            &self,
            _: &str,
            _: &FilterCriteria,
            next_token: Option<&str>,
        ) -> Result<FindingsPage, String> {
            self.1.borrow_mut().push(next_token.map(str::to_owned));
            Ok(self.0.borrow_mut().remove(0))
        }
    }

    #[test]
    fn inspector_reads_every_page_once_the_image_is_scanned() {
        let ecr = Script {
            pages: RefCell::new(vec![page("ACTIVE", &[], None)]),
            tokens: RefCell::new(Vec::new()),
            started: RefCell::new(0),
        };
        let api = Pages(
            RefCell::new(vec![
                FindingsPage {
                    findings: vec![vulnerability("CVE-1")],
                    next_token: Some("n".to_owned()),
                },
                FindingsPage {
                    findings: vec![vulnerability("CVE-2")],
                    next_token: None,
                },
            ]),
            RefCell::new(Vec::new()),
        );
        let state = Inspector {
            ecr: &ecr,
            api: &api,
        }
        .scan(&target())
        .unwrap();
        let ScanState::Complete(found) = state else {
            panic!("{state:?}")
        };
        assert_eq!(found.len(), 2);
        assert_eq!(*api.1.borrow(), [None, Some("n".to_owned())]);
    }
}
