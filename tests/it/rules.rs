//! Every rule against its fixture `tests/fixtures/rules/<rule id>.yaml`: a CloudFormation template whose
//! logical IDs start with the expected verdict (`Compliant`, `NonCompliant`, `NotApplicable`, `Unknown`). A
//! resource whose `Metadata.omrs_expect_findings` lists strings expects exactly those granular findings.
//! Fixtures are evaluated in `--compat cdk-nag` mode unless the fixture's top-level
//! `Metadata.omrs_compat` says `improved`.

use std::collections::BTreeMap;

use omrs_gitops::rules::engine::{known_values, run};
use omrs_gitops::rules::{checks, packs, Compat, Context, Outcome, Pack};

use crate::support::root;

/// Rules that flag every resource they apply to (AwsSolutions-VPC3 flags every network ACL and entry).
const ALWAYS_NON_COMPLIANT: &[&str] = &["AwsSolutions-VPC3"];

const PREFIXES: &[&str] = &["NonCompliant", "Compliant", "NotApplicable", "Unknown"];

fn expected(logical_id: &str) -> Option<&'static str> {
    PREFIXES
        .iter()
        .copied()
        .find(|prefix| logical_id.starts_with(prefix))
}

fn kind(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Compliant => "Compliant",
        Outcome::NonCompliant | Outcome::Findings(_) => "NonCompliant",
        Outcome::NotApplicable => "NotApplicable",
        Outcome::Unknown(_) => "Unknown",
    }
}

/// The fixture of a rule: its own file, or for a check shared between packs, the file of the other pack's rule
/// that runs the same check (same function, same verdicts).
fn fixture_path(rule: &omrs_gitops::rules::Rule) -> std::path::PathBuf {
    let own = root().join(format!("tests/fixtures/rules/{}.yaml", rule.id));
    if own.exists() {
        return own;
    }
    packs::rules(&Pack::ALL)
        .into_iter()
        .filter(|other| other.check == rule.check && other.id != rule.id)
        .map(|other| root().join(format!("tests/fixtures/rules/{}.yaml", other.id)))
        .find(|path| path.exists())
        .unwrap_or(own)
}

/// Checks one rule against its fixture; returns the problems found.
fn check_fixture(rule: &omrs_gitops::rules::Rule) -> Vec<String> {
    let path = fixture_path(rule);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return vec![format!("{}: no fixture file {}", rule.id, path.display())];
    };
    let template = match omrs_gitops::template::parse(&path.display().to_string(), &text) {
        Ok(template) => template,
        Err(error) => return vec![format!("{}: {error}", rule.id)],
    };
    let Some(check) = checks::find(rule.check) else {
        return vec![format!(
            "{}: check `{}` is not registered",
            rule.id, rule.check
        )];
    };
    let compat = match template
        .document
        .pointer("/Metadata/omrs_compat")
        .and_then(serde_json::Value::as_str)
    {
        Some("improved") => Compat::Improved,
        _ => Compat::CdkNag,
    };
    let known = if compat == Compat::Improved {
        known_values(&template, Some("us-east-1"), Some("123456789012"))
    } else {
        BTreeMap::new()
    };
    let context = Context {
        template: &template,
        compat,
        known: &known,
    };
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for resource in &template.resources {
        let Some(want) = expected(&resource.logical_id) else {
            problems.push(format!(
                "{}: `{}` has no verdict prefix",
                rule.id, resource.logical_id
            ));
            continue;
        };
        *seen.entry(want).or_insert(0) += 1;
        let outcome = run(check, resource, &context);
        if kind(&outcome) != want {
            problems.push(format!(
                "{}: `{}` expected {want}, got {outcome:?}",
                rule.id, resource.logical_id
            ));
            continue;
        }
        if let Some(findings) = resource
            .metadata
            .get("omrs_expect_findings")
            .and_then(serde_json::Value::as_array)
        {
            let findings: Vec<String> = findings
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect();
            if outcome != Outcome::Findings(findings.clone()) {
                problems.push(format!(
                    "{}: `{}` expected findings {findings:?}, got {outcome:?}",
                    rule.id, resource.logical_id
                ));
            }
        }
    }
    for needed in ["Compliant", "NonCompliant", "NotApplicable"] {
        // A rule that flags every resource of its types has no compliant case.
        if needed == "Compliant" && ALWAYS_NON_COMPLIANT.contains(&rule.id) {
            continue;
        }
        if !seen.contains_key(needed) {
            problems.push(format!("{}: the fixture has no {needed} resource", rule.id));
        }
    }
    problems
}

#[test]
fn every_rule_matches_its_fixture() {
    let problems: Vec<String> = packs::rules(&Pack::ALL)
        .into_iter()
        .flat_map(check_fixture)
        .collect();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn registry_is_consistent() {
    let mut names = BTreeMap::new();
    for check in checks::all() {
        assert!(
            names.insert(check.name, ()).is_none(),
            "check `{}` is registered twice",
            check.name
        );
        assert!(
            !check.resource_types.is_empty(),
            "{} applies to no type",
            check.name
        );
        assert!(
            check.problem.len() > 20 && check.fix.len() > 10,
            "{} needs a problem and a fix text",
            check.name
        );
        assert!(
            !check.problem.ends_with('.') && !check.fix.ends_with('.'),
            "{}: messages have no trailing period",
            check.name
        );
    }
    assert_eq!(packs::rules(&[Pack::HipaaSecurity]).len(), 90);
    assert_eq!(packs::rules(&[Pack::AwsSolutions]).len(), 133);
    let rules = packs::rules(&Pack::ALL);
    let mut ids = BTreeMap::new();
    for check in checks::all() {
        assert!(
            rules.iter().any(|rule| rule.check == check.name),
            "check `{}` is in no pack",
            check.name
        );
    }
    for rule in rules {
        assert!(
            ids.insert(rule.id, ()).is_none(),
            "rule `{}` is listed twice",
            rule.id
        );
        assert!(
            checks::find(rule.check).is_some(),
            "rule `{}` names the unregistered check `{}`",
            rule.id,
            rule.check
        );
        assert!(
            rule.pack != Pack::HipaaSecurity || !rule.controls.is_empty(),
            "{} maps to no HIPAA control",
            rule.id
        );
    }
}
