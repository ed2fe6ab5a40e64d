//! `omrs-gitops check`: verdict rows, cdk-nag metadata suppressions, the environment-file ledger with expiry and
//! staleness, the gate and its exit codes, and every output format (SARIF validated against the official schema).

use std::path::Path;
use std::process::Command;

use omrs_gitops::exit::ExitStatus;

use crate::support::{root, run_in, venv_tool};

const TRAILS: &str = "tests/fixtures/check/trails.yaml";

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

fn check(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut full = vec!["check"];
    full.extend_from_slice(args);
    let output = run_in(dir, &full);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn csv_is_cdk_nag_report_format() {
    let (status, csv, stderr) = check(
        &root(),
        &[
            "--template",
            TRAILS,
            "--format",
            "csv",
            "--pack",
            "hipaa-security",
        ],
    );
    assert_eq!(status, code(ExitStatus::GateFailed), "{stderr}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info"
    );
    let rows: Vec<Vec<String>> = lines[1..]
        .iter()
        .map(|line| {
            line.trim_matches('"')
                .split("\",\"")
                .map(|field| field.replace("\"\"", "\""))
                .collect()
        })
        .collect();
    let row = |rule: &str, resource: &str| {
        rows.iter()
            .find(|row| row[0] == format!("HIPAA.Security-{rule}") && row[1] == resource)
            .unwrap_or_else(|| panic!("no row for {rule} on {resource}:\n{csv}"))
    };
    // The aws:cdk:path names the resource when present.
    assert_eq!(
        row("CloudTrailEncryptionEnabled", "Stack/GoodTrail/Resource")[2],
        "Compliant"
    );
    assert_eq!(
        row("CloudTrailEncryptionEnabled", "BareTrail")[2],
        "Non-Compliant"
    );
    assert_eq!(row("CloudTrailEncryptionEnabled", "BareTrail")[3], "N/A");
    assert_eq!(row("CloudTrailEncryptionEnabled", "BareTrail")[4], "Error");
    let suppressed = row("CloudTrailEncryptionEnabled", "SuppressedTrail");
    assert_eq!(suppressed[2], "Suppressed");
    assert_eq!(
        suppressed[3],
        "Encrypted by the organisation trail's bucket key, \"outside\" this stack"
    );
    // Stack-level metadata suppresses every resource's failure of that rule.
    assert_eq!(
        row("CloudTrailCloudWatchLogsEnabled", "BareTrail")[2],
        "Suppressed"
    );
    // `applies_to` never suppresses a plain failure.
    assert_eq!(
        row("CloudTrailLogFileValidationEnabled", "SuppressedTrail")[2],
        "Non-Compliant"
    );
    assert_eq!(
        row("CloudTrailLogFileValidationEnabled", "IntrinsicTrail")[2],
        "UNKNOWN"
    );
    assert_eq!(
        rows.len(),
        12,
        "one row per evaluated rule and resource:\n{csv}"
    );
}

#[test]
fn compat_modes_differ_only_where_the_environment_fixes_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let template = "Parameters:\n  Flag: {Type: String, Default: 'true'}\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties: {IsLogging: true, S3BucketName: b, KMSKeyId: k, CloudWatchLogsLogGroupArn: a, EnableLogFileValidation: !Ref Flag}\n";
    std::fs::write(dir.path().join("t.yaml"), template).unwrap();
    let (improved, csv, _) = check(dir.path(), &["--template", "t.yaml", "--format", "csv"]);
    assert_eq!(improved, code(ExitStatus::Success));
    assert!(
        csv.contains(
            "\"HIPAA.Security-CloudTrailLogFileValidationEnabled\",\"Trail\",\"Compliant\""
        ),
        "{csv}"
    );
    let (compat, csv, _) = check(
        dir.path(),
        &[
            "--template",
            "t.yaml",
            "--format",
            "csv",
            "--compat",
            "cdk-nag",
        ],
    );
    assert_eq!(
        compat,
        code(ExitStatus::Success),
        "UNKNOWN is a warning and does not fail the default gate"
    );
    assert!(
        csv.contains("\"HIPAA.Security-CloudTrailLogFileValidationEnabled\",\"Trail\",\"UNKNOWN\""),
        "{csv}"
    );
    let (strict, _, _) = check(
        dir.path(),
        &[
            "--template",
            "t.yaml",
            "--compat",
            "cdk-nag",
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(strict, code(ExitStatus::GateFailed));
}

#[test]
fn malformed_metadata_suppressions_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    for (entry, message) in [
        (
            "{id: HIPAA.Security-CloudTrailEncryptionEnabled, reason: short}",
            "shorter than 10 characters",
        ),
        (
            "{id: 'HIPAA.Security-X[Action::s3:*]', reason: long enough reason}",
            "put findings in `applies_to`",
        ),
        (
            "{id: HIPAA.Security-X, reason: long enough reason, applies_to: [{regex: '/(/'}]}",
            "not a valid regular expression",
        ),
    ] {
        let template = format!(
            "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Metadata:\n      cdk_nag:\n        rules_to_suppress:\n          - {entry}\n    Properties: {{IsLogging: true, S3BucketName: b}}\n"
        );
        std::fs::write(dir.path().join("t.yaml"), template).unwrap();
        let (status, stdout, stderr) = check(dir.path(), &["--template", "t.yaml"]);
        assert_eq!(status, code(ExitStatus::BadInput), "{stderr}");
        assert_eq!(stdout, "");
        assert!(
            stderr.contains("t.yaml:2:3: resource `Trail`: cdk_nag suppression"),
            "{stderr}"
        );
        assert!(stderr.contains(message), "{stderr}");
    }
}

#[test]
fn encoded_reasons_and_regex_findings_are_honoured() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let reason =
        base64::engine::general_purpose::STANDARD.encode("Chiffré par la clé de l'organisation");
    let template = format!(
        "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Metadata:\n      cdk_nag:\n        rules_to_suppress:\n          - {{id: HIPAA.Security-CloudTrailEncryptionEnabled, reason: '{reason}', is_reason_encoded: true}}\n    Properties: {{IsLogging: true, S3BucketName: b, CloudWatchLogsLogGroupArn: a, EnableLogFileValidation: true}}\n"
    );
    std::fs::write(dir.path().join("t.yaml"), template).unwrap();
    let (status, csv, stderr) = check(dir.path(), &["--template", "t.yaml", "--format", "csv"]);
    assert_eq!(status, code(ExitStatus::Success), "{stderr}");
    assert!(
        csv.contains("\"Suppressed\",\"Chiffré par la clé de l'organisation\""),
        "{csv}"
    );
}

#[test]
fn unreadable_template_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (status, _, stderr) = check(dir.path(), &["--template", "missing.yaml"]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(stderr.contains("missing.yaml: cannot read"), "{stderr}");
    std::fs::write(dir.path().join("bad.yaml"), "Resources: [\n").unwrap();
    let (status, _, stderr) = check(dir.path(), &["--template", "bad.yaml"]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(
        stderr.contains("bad.yaml:2:1: not valid JSON or YAML"),
        "{stderr}"
    );
}

/// A repository whose one environment renders a single trail without log file validation.
fn ledger_repo(suppressions: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    write(
        "templates/trail/main.json.j2",
        "{\"Resources\": {\n  \"Trail\": {\"Type\": \"AWS::CloudTrail::Trail\", \"Properties\": {\"IsLogging\": true, \"S3BucketName\": \"b\", \"KMSKeyId\": \"k\", \"CloudWatchLogsLogGroupArn\": \"a\"}},\n  \"Other\": {\"Type\": \"AWS::CloudTrail::Trail\", \"Properties\": {\"IsLogging\": true, \"S3BucketName\": \"b\", \"KMSKeyId\": \"k\", \"CloudWatchLogsLogGroupArn\": \"a\", \"EnableLogFileValidation\": true}}\n}}\n",
    );
    write(
        "pipelines/env.yaml",
        &format!("stack:\n  name: t\n  account: \"123456789012\"\n  region: us-east-1\n  template_set: trail\n{suppressions}"),
    );
    dir
}

const LEDGER: &str = "suppressions:\n  - rule: HIPAA.Security-CloudTrailLogFileValidationEnabled\n    resource: \"Tr*\"\n    reason: Validation happens in the organisation's log archive account\n    expires: 2030-01-31\n    owner: security@clinic.example.org\n";

#[test]
fn ledger_suppresses_until_it_expires() {
    let repo = ledger_repo(LEDGER);
    let run = |today: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_omrs-gitops"))
            .args(["check", "--format", "text"])
            .current_dir(repo.path())
            .env("OMRS_GITOPS_TODAY", today)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (status, text) = run("2030-01-31");
    assert_eq!(status, code(ExitStatus::Success), "{text}");
    assert!(
        text.contains(
            "suppressed HIPAA.Security-CloudTrailLogFileValidationEnabled: Validation happens"
        ),
        "{text}"
    );
    assert!(
        text.contains("templates/trail/main.json.j2:2"),
        "findings point at the template source line: {text}"
    );
    let (status, text) = run("2030-02-01");
    assert_eq!(status, code(ExitStatus::GateFailed), "{text}");
    assert!(text.contains("suppressions[0] (HIPAA.Security-CloudTrailLogFileValidationEnabled on Tr*) expired on 2030-01-31"), "{text}");
}

#[test]
fn ledger_entries_that_match_nothing_are_stale() {
    let repo = ledger_repo(&LEDGER.replace("\"Tr*\"", "Nothing"));
    let (status, json, _) = check(repo.path(), &["--format", "json"]);
    assert_eq!(
        status,
        code(ExitStatus::GateFailed),
        "the finding is no longer suppressed"
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["templates"][0]["stale_suppressions"][0]["resource"],
        "Nothing"
    );
    assert_eq!(value["passed"], false);
}

#[test]
fn ledger_entries_are_validated_with_positions() {
    let repo = ledger_repo("suppressions:\n  - rule: HIPAA.Security-NoSuchRule\n    resource: Trail\n    reason: short\n  - rule: HIPAA.Security-CloudTrailEncryptionEnabled\n    resource: Trail\n    reason: a long enough reason for auditors\n    expires: 2030-02-30\n");
    let (status, _, stderr) = check(repo.path(), &[]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(stderr.contains("pipelines/env.yaml:7:11: `suppressions[0].rule`: `HIPAA.Security-NoSuchRule` is not a rule ID"), "{stderr}");
    assert!(stderr.contains("pipelines/env.yaml:9:13: `suppressions[0].reason`: the reason is shorter than 10 characters"), "{stderr}");
    assert!(
        stderr.contains(
            "pipelines/env.yaml:13:14: `suppressions[1].expires`: `2030-02-30` is not a date"
        ),
        "{stderr}"
    );
    let repo = ledger_repo("suppressions:\n  - rule: HIPAA.Security-CloudTrailEncryptionEnabled\n    resource: Trail\n    reason: a long enough reason for auditors\n");
    let (status, _, stderr) = check(repo.path(), &[]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(
        stderr.contains("is an Error-level rule, so its suppression needs `expires`"),
        "{stderr}"
    );
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_points_at_lines() {
    let (_, sarif, stderr) = check(&root(), &["--template", TRAILS, "--format", "sarif"]);
    let value: serde_json::Value =
        serde_json::from_str(&sarif).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    let results = value["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!results.is_empty());
    let bare = results
        .iter()
        .find(|result| {
            result["ruleId"] == "HIPAA.Security-CloudTrailEncryptionEnabled"
                && result["message"]["text"]
                    .as_str()
                    .is_some_and(|text| text.contains("`BareTrail`"))
        })
        .unwrap_or_else(|| panic!("no result for BareTrail: {sarif}"));
    assert_eq!(
        bare["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        TRAILS
    );
    assert_eq!(
        bare["locations"][0]["physicalLocation"]["region"]["startLine"],
        20
    );
    assert_eq!(bare["level"], "error");
    let suppressed = results
        .iter()
        .filter(|result| result.get("suppressions").is_some())
        .count();
    assert_eq!(
        suppressed, 4,
        "one resource-level and three stack-level suppressions"
    );
    validate_sarif(&sarif);
}

/// Validates a SARIF document with the venv's jsonschema against the official OASIS schema.
pub fn validate_sarif(sarif: &str) {
    let python = venv_tool("python");
    let schema = root().join("target/test-tools/sarif-schema-2.1.0.json");
    assert!(
        schema.exists(),
        "{} is missing: run `scripts/test`",
        schema.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("result.sarif");
    std::fs::write(&document, sarif).unwrap();
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\njsonschema.Draft7Validator.check_schema(schema)\nerrors = list(jsonschema.Draft7Validator(schema).iter_errors(json.load(open(sys.argv[2]))))\nfor error in errors: print(list(error.path), error.message)\nsys.exit(1 if errors else 0)",
        ])
        .arg(&schema)
        .arg(&document)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "SARIF does not validate against the official schema:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_format_renders_and_list_rules_prints_the_registry() {
    for format in ["text", "json", "markdown"] {
        let (status, output, _) = check(&root(), &["--template", TRAILS, "--format", format]);
        assert_eq!(status, code(ExitStatus::GateFailed));
        assert!(output.contains("BareTrail"), "{format}: {output}");
    }
    let (status, json, _) = check(&root(), &["--template", TRAILS, "--format", "json"]);
    assert_eq!(status, code(ExitStatus::GateFailed));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["templates"][0]["summary"]["unknown"], 1);
    let (status, list, _) = check(
        &root(),
        &[
            "--list-rules",
            "--format",
            "json",
            "--pack",
            "hipaa-security",
        ],
    );
    assert_eq!(status, code(ExitStatus::Success));
    let rules: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(rules["rules"].as_array().map(Vec::len), Some(90));
    let (_, list, _) = check(&root(), &["--list-rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        rules["rules"].as_array().map(Vec::len),
        Some(235),
        "every pack by default: 90 + 133 + 12"
    );
    assert_eq!(
        rules["rules"][0]["id"],
        "HIPAA.Security-APIGWCacheEnabledAndEncrypted"
    );
}

/// Checks a shipped environment in process, with a fixed day so the outcome does not depend on the clock.
fn check_shipped(name: &str) -> omrs_gitops::pipeline::check::CheckedTemplate {
    use omrs_gitops::pipeline::check::{check_rendered, CheckOptions};
    use omrs_gitops::rules::{Compat, Level, Pack};
    let path = format!("pipelines/{name}.yaml");
    let environment = omrs_gitops::config::NamedEnvironment {
        name: name.to_owned(),
        path: path.clone(),
        environment: crate::support::load(&path),
    };
    let rendered = crate::support::render_env(name, &environment.environment);
    let options = CheckOptions {
        packs: Pack::ALL.to_vec(),
        compat: Compat::Improved,
        fail_on: Level::Error,
        today: (2026, 11, 26),
    };
    check_rendered(
        &environment,
        &rendered,
        &crate::support::template_set(),
        &options,
    )
    .unwrap_or_else(|failure| panic!("{}", failure.message))
}

#[test]
fn shipped_environments_have_no_unsuppressed_hipaa_findings_and_no_errors_in_any_pack() {
    use omrs_gitops::rules::suppression::Compliance;
    use omrs_gitops::rules::{Level, Pack};
    for name in ["dev", "staging", "prod"] {
        let checked = check_shipped(name);
        // HIPAA.Security: nothing open at all. Every pack: no open Error-level finding (the OpenMRS pack's
        // image-digest warnings remain until images are pinned).
        let open: Vec<String> = checked
            .rows
            .iter()
            .filter(|row| {
                matches!(
                    row.compliance,
                    Compliance::NonCompliant | Compliance::Unknown(_)
                ) && (row.rule.pack == Pack::HipaaSecurity
                    || row.gate_level() == Some(Level::Error))
            })
            .map(|row| {
                format!(
                    "{} on {} ({:?})",
                    row.rule.id, row.logical_id, row.compliance
                )
            })
            .collect();
        assert!(
            open.is_empty(),
            "{name} has unsuppressed findings:\n{}",
            open.join("\n")
        );
        assert!(
            checked.expired.is_empty() && checked.stale.is_empty(),
            "{name}: expired or stale suppressions"
        );
        for row in &checked.rows {
            if let Compliance::Suppressed { reason, .. } = &row.compliance {
                assert!(reason.len() >= 40, "{name}: the suppression of {} on {} needs a reason an auditor can follow: {reason}", row.rule.id, row.logical_id);
            }
        }
    }
}

#[test]
fn shipped_environments_check_reports_match_golden_files() {
    for name in ["dev", "staging", "prod"] {
        let checked = check_shipped(name);
        insta::assert_snapshot!(
            format!("check-{name}-csv"),
            omrs_gitops::report::check::csv(&checked)
        );
    }
}

#[test]
fn rules_reference_is_generated_from_the_registry() {
    let generated = omrs_gitops::report::check::rules_reference();
    let shipped = root().join("docs/rules.md");
    if std::env::var_os("OMRS_GITOPS_BLESS").is_some() {
        std::fs::write(&shipped, &generated).unwrap();
    }
    let current = std::fs::read_to_string(&shipped).unwrap_or_default();
    assert!(
        current == generated,
        "docs/rules.md is stale: run `OMRS_GITOPS_BLESS=1 cargo test`"
    );
    for rule in omrs_gitops::rules::packs::rules(&omrs_gitops::rules::Pack::ALL) {
        assert!(
            generated.contains(&format!("| `{}` |", rule.id)),
            "{} is not documented",
            rule.id
        );
    }
}

#[test]
fn every_pack_works_with_every_format() {
    const MIXED: &str = "tests/fixtures/check/mixed.yaml";
    for (pack, rule, finding) in [
        ("aws-solutions", "AwsSolutions-IAM5", Some("Action::s3:*")),
        (
            "openmrs",
            "OpenMRS-CredentialsFromSecretsManager",
            Some("Environment::OMRS_DB_PASSWORD"),
        ),
        (
            "hipaa-security",
            "HIPAA.Security-S3BucketLoggingEnabled",
            None,
        ),
    ] {
        for format in ["text", "json", "sarif", "markdown", "csv"] {
            let (status, output, stderr) = check(
                &root(),
                &["--template", MIXED, "--pack", pack, "--format", format],
            );
            assert_eq!(
                status,
                code(ExitStatus::GateFailed),
                "{pack} {format}: {stderr}"
            );
            assert!(
                output.contains(rule),
                "{pack} {format} does not name {rule}:\n{output}"
            );
            if let (Some(finding), "json") = (finding, format) {
                let value: serde_json::Value = serde_json::from_str(&output).unwrap();
                let results = value["templates"][0]["results"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                assert!(
                    results
                        .iter()
                        .any(|result| result["rule_id"] == rule && result["finding"] == finding),
                    "{output}"
                );
                assert!(
                    results
                        .iter()
                        .all(|result| result["rule_id"].as_str().is_some_and(
                            |id| id.starts_with(rule.split('-').next().unwrap_or_default())
                        )),
                    "only the selected pack runs"
                );
            }
            if format == "sarif" {
                validate_sarif(&output);
            }
        }
    }
    let (_, json, _) = check(&root(), &["--template", MIXED, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let packs: std::collections::BTreeSet<String> = value["templates"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|result| result["pack"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        packs.into_iter().collect::<Vec<_>>(),
        ["AwsSolutions", "HIPAA.Security", "OpenMRS"],
        "no --pack runs all three"
    );
}
