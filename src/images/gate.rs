//! The vulnerability gate (pure): `--ignore-unfixed`, the environment's allowlist, then `images.fail_on`.
//!
//! An allowlist entry covers a finding when the vulnerability ID matches (and the package, when the entry names
//! one), ignoring case. An expired entry covers nothing and fails the gate by itself; an entry that is not
//! expired and matches no finding (before `--ignore-unfixed` drops any) is stale: reported, not failing.

use crate::config::{parse_date, AllowlistEntry, Severity};

use super::scan::{Fix, Vulnerability};

/// A finding after the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatedFinding {
    pub vulnerability: Vulnerability,
    /// Index of the allowlist entry that accepts it.
    pub allowed_by: Option<usize>,
    /// Its severity is in `fail_on` and no entry accepts it.
    pub blocking: bool,
}

/// What the gate decided for one environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// Most severe first, then by image, vulnerability ID and package.
    pub findings: Vec<GatedFinding>,
    /// Findings `--ignore-unfixed` dropped (the scanner says no fix exists).
    pub dropped_unfixed: usize,
    /// Allowlist entries (by index) whose `expires` day is before today.
    pub expired: Vec<usize>,
    /// Allowlist entries (by index), not expired, that match no finding.
    pub stale: Vec<usize>,
}

impl Gate {
    /// Passes when nothing blocks and no allowlist entry has expired.
    pub fn passed(&self) -> bool {
        self.expired.is_empty() && !self.findings.iter().any(|finding| finding.blocking)
    }

    pub fn blocking(&self) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.blocking)
            .count()
    }
}

fn covers(entry: &AllowlistEntry, vulnerability: &Vulnerability) -> bool {
    entry.cve.eq_ignore_ascii_case(&vulnerability.cve)
        && entry
            .package
            .as_deref()
            .is_none_or(|package| package.eq_ignore_ascii_case(&vulnerability.package))
}

/// Applies the gate. `today` is `(year, month, day)`.
pub fn gate(
    findings: Vec<Vulnerability>,
    fail_on: &[Severity],
    allowlist: &[AllowlistEntry],
    ignore_unfixed: bool,
    today: (i32, u32, u32),
) -> Gate {
    let expired: Vec<usize> = allowlist
        .iter()
        .enumerate()
        .filter(|(_, entry)| parse_date(&entry.expires).is_none_or(|day| day < today))
        .map(|(index, _)| index)
        .collect();
    let stale = allowlist
        .iter()
        .enumerate()
        .filter(|(index, entry)| {
            !expired.contains(index) && !findings.iter().any(|finding| covers(entry, finding))
        })
        .map(|(index, _)| index)
        .collect();
    let before = findings.len();
    let kept: Vec<Vulnerability> = findings
        .into_iter()
        .filter(|finding| !(ignore_unfixed && finding.fixed == Fix::None))
        .collect();
    let dropped_unfixed = before - kept.len();
    let mut gated: Vec<GatedFinding> = kept
        .into_iter()
        .map(|vulnerability| {
            let allowed_by = allowlist
                .iter()
                .enumerate()
                .find(|(index, entry)| !expired.contains(index) && covers(entry, &vulnerability))
                .map(|(index, _)| index);
            GatedFinding {
                blocking: allowed_by.is_none() && fail_on.contains(&vulnerability.severity),
                vulnerability,
                allowed_by,
            }
        })
        .collect();
    gated.sort_by(|a, b| {
        let key = |finding: &GatedFinding| {
            let v = &finding.vulnerability;
            (
                v.severity,
                v.image.clone(),
                v.cve.clone(),
                v.package.clone(),
                v.installed_version.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    gated.dedup_by(|a, b| a.vulnerability == b.vulnerability);
    Gate {
        findings: gated,
        dropped_unfixed,
        expired,
        stale,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn finding(cve: &str, package: &str, severity: Severity, fixed: Fix) -> Vulnerability {
        Vulnerability {
            image: "img".to_owned(),
            cve: cve.to_owned(),
            package: package.to_owned(),
            installed_version: "1".to_owned(),
            fixed,
            severity,
            title: String::new(),
            url: None,
        }
    }

    fn entry(cve: &str, package: Option<&str>, expires: &str) -> AllowlistEntry {
        AllowlistEntry {
            cve: cve.to_owned(),
            package: package.map(str::to_owned),
            reason: "not reachable in OpenMRS".to_owned(),
            expires: expires.to_owned(),
            owner: "platform".to_owned(),
        }
    }

    const TODAY: (i32, u32, u32) = (2026, 1, 15);

    #[test]
    fn severities_allowlist_expiry_staleness_and_unfixed() {
        let findings = vec![
            finding(
                "CVE-1",
                "openssl",
                Severity::Critical,
                Fix::Version("3.0.2".into()),
            ),
            finding("CVE-2", "zlib", Severity::High, Fix::None),
            finding("CVE-3", "curl", Severity::Medium, Fix::Unknown),
            finding(
                "CVE-4",
                "glibc",
                Severity::High,
                Fix::Version("2.40".into()),
            ),
        ];
        let fail_on = [Severity::Critical, Severity::High];
        let allowlist = [
            entry("cve-1", Some("OpenSSL"), "2026-01-15"), // matches, last day today
            entry("CVE-4", Some("other"), "2027-01-01"),   // package differs: stale
            entry("CVE-4", None, "2026-01-14"),            // expired yesterday: covers nothing
            entry("CVE-9", None, "2027-01-01"),            // stale
        ];
        let result = gate(findings.clone(), &fail_on, &allowlist, false, TODAY);
        assert_eq!(result.expired, [2]);
        assert_eq!(result.stale, [1, 3]);
        let blocking: Vec<&str> = result
            .findings
            .iter()
            .filter(|f| f.blocking)
            .map(|f| f.vulnerability.cve.as_str())
            .collect();
        assert_eq!(blocking, ["CVE-2", "CVE-4"]);
        assert_eq!(result.findings[0].allowed_by, Some(0));
        assert!(!result.passed());

        let result = gate(findings.clone(), &fail_on, &allowlist[..2], true, TODAY);
        assert_eq!(
            result.dropped_unfixed, 1,
            "only the finding with no fix goes"
        );
        assert_eq!(result.blocking(), 1);

        let result = gate(
            findings,
            &fail_on,
            &[
                entry("CVE-1", None, "2030-01-01"),
                entry("CVE-2", None, "2030-01-01"),
                entry("CVE-4", None, "2030-01-01"),
            ],
            false,
            TODAY,
        );
        assert!(result.passed(), "{result:?}");
        assert_eq!(
            result.findings.len(),
            4,
            "allowlisted findings are still reported"
        );
    }
}
