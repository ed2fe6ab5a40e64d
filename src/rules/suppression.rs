//! Suppressions, applied once after evaluation: cdk-nag's metadata (`Metadata.cdk_nag.rules_to_suppress` on a
//! resource, then at the template's top level) and the environment file's ledger, in that order; the first
//! entry that applies wins. Also reports ledger entries that expired or matched nothing.

use base64::Engine as _;
use fancy_regex::Regex;
use serde_json::Value;

use super::engine::RuleResult;
use super::{Level, Outcome, Rule};
use crate::config::Suppression;
use crate::template::{Resource, Template};

/// The rule ID cdk-nag uses to suppress validation failures (UNKNOWN verdicts).
pub const VALIDATION_FAILURE_ID: &str = "CdkNagValidationFailure";

/// What one (rule, resource[, finding]) row ended as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compliance {
    Compliant,
    NonCompliant,
    /// The rule could not decide; the reason says why.
    Unknown(String),
    Suppressed {
        reason: String,
        source: SuppressionSource,
    },
}

/// Where a suppression came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionSource {
    /// `Metadata.cdk_nag` on the resource.
    ResourceMetadata,
    /// `Metadata.cdk_nag` at the template's top level.
    TemplateMetadata,
    /// The environment file's `suppressions[index]`.
    Ledger(usize),
}

/// One report row: cdk-nag writes one per (rule, resource) and one per granular finding.
#[derive(Debug, Clone)]
pub struct Row<'t> {
    pub rule: &'static Rule,
    pub resource: &'t Resource,
    pub finding: Option<String>,
    pub compliance: Compliance,
}

impl Row<'_> {
    /// The level the row counts at for the gate: UNKNOWN is always a warning, as in cdk-nag.
    pub fn gate_level(&self) -> Option<Level> {
        match self.compliance {
            Compliance::NonCompliant => Some(self.rule.level),
            Compliance::Unknown(_) => Some(Level::Warning),
            _ => None,
        }
    }
}

/// A malformed cdk-nag suppression entry: cdk-nag fails synthesis on these, we fail with exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: resource `{logical_id}`: cdk_nag suppression {problem}")]
pub struct MetadataError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub logical_id: String,
    pub problem: String,
}

/// One parsed `rules_to_suppress` entry.
#[derive(Debug, Clone)]
struct MetadataEntry {
    id: String,
    reason: String,
    applies_to: Option<Vec<Matcher>>,
}

#[derive(Debug, Clone)]
enum Matcher {
    Exact(String),
    Pattern(Regex),
}

impl Matcher {
    fn matches(&self, finding: &str) -> bool {
        match self {
            Matcher::Exact(text) => text == finding,
            Matcher::Pattern(regex) => regex.is_match(finding).unwrap_or(false),
        }
    }
}

fn parse_entries(metadata: &Value) -> Result<Vec<MetadataEntry>, String> {
    let Some(list) = metadata.pointer("/cdk_nag/rules_to_suppress") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err("`rules_to_suppress` is not a list".to_owned());
    };
    let mut entries = Vec::new();
    for entry in list {
        let id = entry
            .get("id")
            .and_then(Value::as_str)
            .ok_or("entry has no string `id`")?
            .to_owned();
        if id.contains('[') && id.contains(']') {
            return Err(format!(
                "`{id}` names a finding in `id`; put findings in `applies_to`"
            ));
        }
        let raw_reason = entry
            .get("reason")
            .and_then(Value::as_str)
            .ok_or(format!("`{id}` has no string `reason`"))?;
        let reason = if entry.get("is_reason_encoded") == Some(&Value::Bool(true)) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw_reason)
                .map_err(|_| {
                    format!("`{id}` has `is_reason_encoded` but its reason is not base64")
                })?;
            String::from_utf8(bytes).map_err(|_| format!("`{id}`'s encoded reason is not UTF-8"))?
        } else {
            raw_reason.to_owned()
        };
        if reason.chars().count() < 10 {
            return Err(format!("`{id}` has a reason shorter than 10 characters"));
        }
        let applies_to = match entry.get("applies_to") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(Matcher::Exact(text.clone())),
                        Value::Object(map) => match map.get("regex").and_then(Value::as_str) {
                            Some(pattern) => javascript_regex(pattern).map(Matcher::Pattern),
                            None => Err(format!("`{id}`: an `applies_to` object needs `regex`")),
                        },
                        _ => Err(format!(
                            "`{id}`: `applies_to` items are strings or `{{regex}}` objects"
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(format!("`{id}`: `applies_to` is not a list")),
        };
        entries.push(MetadataEntry {
            id,
            reason,
            applies_to,
        });
    }
    Ok(entries)
}

/// `/pattern/flags` as cdk-nag reads it: the pattern between the first and the last `/`.
fn javascript_regex(literal: &str) -> Result<Regex, String> {
    let invalid = || format!("`{literal}` is not a `/pattern/flags` regular expression");
    let start = literal.find('/').ok_or_else(invalid)?;
    let end = literal
        .rfind('/')
        .filter(|end| *end > start)
        .ok_or_else(invalid)?;
    let (pattern, flags) = (&literal[start + 1..end], &literal[end + 1..]);
    let mut prefix = String::new();
    for flag in flags.chars() {
        match flag {
            'i' => prefix.push('i'),
            'm' => prefix.push('m'),
            's' => prefix.push('s'),
            'g' | 'u' | 'y' | 'd' => {}
            _ => return Err(invalid()),
        }
    }
    let full = if prefix.is_empty() {
        pattern.to_owned()
    } else {
        format!("(?{prefix}){pattern}")
    };
    Regex::new(&full)
        .map_err(|error| format!("`{literal}` is not a valid regular expression: {error}"))
}

fn entry_applies(entry: &MetadataEntry, rule_id: &str, finding: Option<&str>) -> Option<String> {
    if entry.id != rule_id {
        return None;
    }
    match (&entry.applies_to, finding) {
        (None, _) => Some(entry.reason.clone()),
        (Some(matchers), Some(finding)) => matchers
            .iter()
            .any(|matcher| matcher.matches(finding))
            .then(|| format!("[{finding}] {}", entry.reason)),
        (Some(_), None) => None,
    }
}

/// Matches `*` and `?` globs over logical IDs.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(position) = star {
            p = position + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The result of applying suppressions.
#[derive(Debug)]
pub struct Applied<'t> {
    /// One row per evaluated (rule, resource) and per granular finding; not-applicable pairs have no row.
    pub rows: Vec<Row<'t>>,
    /// Ledger entries (by index) whose `expires` day is before `today`.
    pub expired: Vec<usize>,
    /// Ledger entries (by index) that suppressed nothing.
    pub stale: Vec<usize>,
}

/// Turns verdicts into rows, applying metadata suppressions and then `ledger`. `today` is `(year, month, day)`.
pub fn apply<'t>(
    template: &'t Template,
    results: Vec<RuleResult<'t>>,
    ledger: &[Suppression],
    today: (i32, u32, u32),
) -> Result<Applied<'t>, MetadataError> {
    let stack_entries = parse_entries(template.document.get("Metadata").unwrap_or(&Value::Null))
        .map_err(|problem| MetadataError {
            file: template.file.clone(),
            line: 1,
            column: 1,
            logical_id: "(template Metadata)".to_owned(),
            problem,
        })?;
    let mut resource_entries: Vec<Vec<MetadataEntry>> =
        Vec::with_capacity(template.resources.len());
    for resource in &template.resources {
        resource_entries.push(parse_entries(&resource.metadata).map_err(|problem| {
            MetadataError {
                file: template.file.clone(),
                line: resource.position.line,
                column: resource.position.column,
                logical_id: resource.logical_id.clone(),
                problem,
            }
        })?);
    }
    let expired: Vec<usize> = ledger
        .iter()
        .enumerate()
        .filter(|(_, entry)| {
            entry
                .expires
                .as_deref()
                .and_then(crate::config::parse_date)
                .is_some_and(|day| day < today)
        })
        .map(|(index, _)| index)
        .collect();
    let mut used = vec![false; ledger.len()];
    let mut rows = Vec::with_capacity(results.len());
    for result in results {
        let index = result.index;
        let mut suppress = |rule_id: &str,
                            finding: Option<&str>,
                            ledger_only: bool|
         -> Option<(String, SuppressionSource)> {
            for entry in resource_entries[index].iter().filter(|_| !ledger_only) {
                if let Some(reason) = entry_applies(entry, rule_id, finding) {
                    return Some((reason, SuppressionSource::ResourceMetadata));
                }
            }
            for entry in stack_entries.iter().filter(|_| !ledger_only) {
                if let Some(reason) = entry_applies(entry, rule_id, finding) {
                    return Some((reason, SuppressionSource::TemplateMetadata));
                }
            }
            for (position, entry) in ledger.iter().enumerate() {
                let finding_ok = match (&entry.finding, finding) {
                    (None, _) => true,
                    (Some(wanted), Some(finding)) => wanted == finding,
                    (Some(_), None) => false,
                };
                if entry.rule == rule_id
                    && finding_ok
                    && glob_matches(&entry.resource, &result.resource.logical_id)
                {
                    used[position] = true;
                    let reason = match finding {
                        Some(finding) if entry.finding.is_some() => {
                            format!("[{finding}] {}", entry.reason)
                        }
                        _ => entry.reason.clone(),
                    };
                    return Some((reason, SuppressionSource::Ledger(position)));
                }
            }
            None
        };
        let row = |finding: Option<String>, compliance| Row {
            rule: result.rule,
            resource: result.resource,
            finding,
            compliance,
        };
        match result.outcome {
            Outcome::NotApplicable => {}
            Outcome::Compliant => rows.push(row(None, Compliance::Compliant)),
            Outcome::NonCompliant => rows.push(row(
                None,
                match suppress(result.rule.id, None, false) {
                    Some((reason, source)) => Compliance::Suppressed { reason, source },
                    None => Compliance::NonCompliant,
                },
            )),
            Outcome::Findings(findings) => {
                for finding in findings {
                    let compliance = match suppress(result.rule.id, Some(&finding), false) {
                        Some((reason, source)) => Compliance::Suppressed { reason, source },
                        None => Compliance::NonCompliant,
                    };
                    rows.push(row(Some(finding), compliance));
                }
            }
            Outcome::Unknown(why) => rows.push(row(
                None,
                // cdk-nag suppresses validation failures only through `CdkNagValidationFailure`; the ledger may
                // also name the rule itself.
                match suppress(VALIDATION_FAILURE_ID, None, false)
                    .or_else(|| suppress(result.rule.id, None, true))
                {
                    Some((reason, source)) => Compliance::Suppressed { reason, source },
                    None => Compliance::Unknown(why),
                },
            )),
        }
    }
    let stale = used
        .iter()
        .enumerate()
        .filter(|(_, used)| !**used)
        .map(|(index, _)| index)
        .collect();
    Ok(Applied {
        rows,
        expired,
        stale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("*Bucket", "EmailStorageBucket"));
        assert!(glob_matches("Nat?", "Nat1"));
        assert!(!glob_matches("Nat?", "Nat12"));
        assert!(glob_matches("*", "Anything"));
        assert!(!glob_matches("Email*", "StorageBucket"));
    }

    #[test]
    fn javascript_regex_literals() {
        let regex =
            javascript_regex("/^Action::s3:.*$/i").unwrap_or_else(|error| panic!("{error}"));
        assert!(regex.is_match("ACTION::S3:GetObject").unwrap_or(false));
        assert!(javascript_regex("no-slashes").is_err());
        assert!(javascript_regex("/(/").is_err());
    }
}
