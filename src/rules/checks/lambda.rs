//! Checks for Lambda functions and permissions: reserved concurrency, a dead-letter target, running inside a
//! VPC, permissions that let anyone invoke a function, and the latest runtime of each language.

use std::cmp::Ordering;
use std::sync::LazyLock;

use fancy_regex::Regex;

use serde_json::Value;

use crate::rules::value::{get, primitive, read, regex, strict_eq, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

/// The newest Lambda runtime of each runtime family, as `LambdaLatestVersion` (AwsSolutions-L1) judges them:
/// **aws-cdk-lib 2.171.0**, the version the project pins (nag-rules.md §8). cdk-nag takes the newest name in
/// `Runtime.ALL` of the installed aws-cdk-lib, so the verdicts follow that library, not cdk-nag.
///
/// Rows are `(family, newest runtime whose family is exactly that)`, in `Runtime.ALL` order. The family is the
/// leading lower-case letters of the name (`nodejs` for `nodejs22.x`, `dotnetcore` for `dotnetcore3.1`,
/// `provided` for `provided.al2023`). Every family of `Runtime.ALL` must have a row, `provided` included:
/// a function's family selects every row whose name starts with it (`dotnet` also takes `dotnetcore`, `node`
/// takes `nodejs`), and the newest version among them wins.
///
/// To update for another aws-cdk-lib: list its runtimes with
/// `node -e "console.log(require('aws-cdk-lib/aws-lambda').Runtime.ALL.map(String).join('\n'))"`, and for each
/// family put its highest version (compared number by number: `python3.13` > `python3.9`, `nodejs22.x` >
/// `nodejs20.x`); add a row for a new family; change the version named above and the L1 fixture.
const LATEST_RUNTIMES: &[(&str, &str)] = &[
    ("nodejs", "nodejs22.x"),
    ("python", "python3.13"),
    ("java", "java21"),
    ("dotnet", "dotnet8"),
    ("dotnetcore", "dotnetcore3.1"),
    ("go", "go1.x"),
    ("ruby", "ruby3.3"),
    ("provided", "provided.al2023"),
];

/// cdk-nag's split of a runtime name into family (group 1) and version (group 2).
const RUNTIME_PATTERN: &str = r"^([a-z]+)(\d+(\.?\d+|\.x)?)?.*$";

static RUNTIME_REGEX: LazyLock<Result<Regex, Thrown>> = LazyLock::new(|| regex(RUNTIME_PATTERN));

const FUNCTION: &[&str] = &["AWS::Lambda::Function"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "LambdaConcurrency",
        resource_types: FUNCTION,
        problem: "The function has no reserved concurrency, so it can exhaust the account's concurrency or scale without bound",
        fix: "Set `ReservedConcurrentExecutions` to a limit above zero",
        eval: concurrency,
    },
    Check {
        name: "LambdaDLQ",
        resource_types: FUNCTION,
        problem: "The function has no dead-letter target, so failed asynchronous invocations are lost",
        fix: "Set `DeadLetterConfig.TargetArn` to an SQS queue or SNS topic",
        eval: dead_letter_queue,
    },
    Check {
        name: "LambdaFunctionPublicAccessProhibited",
        resource_types: &["AWS::Lambda::Permission"],
        problem: "The permission lets any principal invoke the function, with no account, organization or source restriction",
        fix: "Name a specific `Principal`, or add `SourceAccount`, `SourceArn` or `PrincipalOrgID` to the permission",
        eval: public_access_prohibited,
    },
    Check {
        name: "LambdaInsideVPC",
        resource_types: FUNCTION,
        problem: "The function does not run inside a VPC, so its network access is not controlled by security groups",
        fix: "Set `VpcConfig` with `SubnetIds` and `SecurityGroupIds`",
        eval: inside_vpc,
    },
    Check {
        name: "LambdaLatestVersion",
        resource_types: FUNCTION,
        problem: "The function runs on an older runtime than the newest one of its language, which will lose security updates sooner",
        fix: "Set `Runtime` to the newest runtime of its language (for example `python3.13`, `nodejs22.x`, `java21`)",
        eval: latest_version,
    },
];

fn concurrency(resource: &Resource, context: &Context<'_>) -> Verdict {
    let reserved = primitive(
        &resource.properties,
        "ReservedConcurrentExecutions",
        Kind::Number,
        context,
    )?;
    Ok(verdict(
        reserved.is_some() && !strict_eq(reserved.as_ref(), &Value::from(0)),
    ))
}

fn dead_letter_queue(resource: &Resource, _: &Context<'_>) -> Verdict {
    // An intrinsic `DeadLetterConfig` has no `TargetArn` key, so it fails.
    Ok(verdict(
        get(&resource.properties, "DeadLetterConfig.TargetArn").is_some(),
    ))
}

fn public_access_prohibited(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let anyone = strict_eq(
        read(properties, "Principal", Kind::String).as_ref(),
        &Value::from("*"),
    );
    let unrestricted = ["PrincipalOrgID", "SourceAccount", "SourceArn"]
        .iter()
        .all(|path| get(properties, path).is_none());
    Ok(verdict(!(anyone && unrestricted)))
}

/// cdk-nag's "absent or `.length == 0`" on the resolved `VpcConfig`: a list or string of length zero is empty;
/// an intrinsic is a plain object there, has no length and so counts as non-empty. (Not `elb.rs`'s
/// `string_list_len`, which measures a list as CDK holds it before resolution, where an intrinsic is a
/// one-element token list; the two agree on emptiness but not on length.)
fn absent_or_empty(value: Option<&Value>) -> bool {
    match value {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::String(text)) => text.is_empty(),
        Some(_) => false,
    }
}

fn inside_vpc(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "VpcConfig").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let no_groups = absent_or_empty(get(properties, "VpcConfig.SecurityGroupIds"));
    let no_subnets = absent_or_empty(get(properties, "VpcConfig.SubnetIds"));
    Ok(verdict(!(no_groups && no_subnets)))
}

fn latest_version(resource: &Resource, context: &Context<'_>) -> Verdict {
    let runtime = primitive(&resource.properties, "Runtime", Kind::String, context)?;
    // Container-image functions have no runtime.
    if !truthy(runtime.as_ref()) {
        return Ok(Outcome::NotApplicable);
    }
    let runtime = runtime.as_ref().and_then(Value::as_str).unwrap_or_default();
    let family = runtime_parts(runtime)?.0;
    if family == "provided" {
        return Ok(Outcome::NotApplicable);
    }
    let mut newest: Option<(&str, String)> = None;
    for (_, latest) in LATEST_RUNTIMES
        .iter()
        .filter(|(_, latest)| latest.starts_with(&family))
    {
        let version = runtime_parts(latest)?.1;
        // The last of equal versions wins, as after cdk-nag's stable sort.
        if newest
            .as_ref()
            .is_none_or(|(_, best)| compare_versions(&version, best) != Ordering::Less)
        {
            newest = Some((latest, version));
        }
    }
    let Some((newest, _)) = newest else {
        return Err(Thrown(format!(
            "no known Lambda runtime belongs to the family `{family}` of `{runtime}`"
        )));
    };
    Ok(verdict(runtime == newest))
}

/// Family and version (`"0"` when there is none) of a runtime name; a name that does not start with a
/// lower-case letter does not match, and cdk-nag throws.
fn runtime_parts(runtime: &str) -> Result<(String, String), Thrown> {
    let pattern = RUNTIME_REGEX.as_ref().map_err(Clone::clone)?;
    let captures = pattern
        .captures(runtime)
        .map_err(|error| Thrown(format!("matching the runtime `{runtime}` failed: {error}")))?
        .ok_or_else(|| {
            Thrown(format!(
                "the runtime `{runtime}` is not a family followed by a version"
            ))
        })?;
    let group = |index| captures.get(index).map(|m| m.as_str().to_owned());
    Ok((
        group(1).unwrap_or_default(),
        group(2).unwrap_or_else(|| "0".to_owned()),
    ))
}

/// JavaScript's `a.localeCompare(b, undefined, {numeric: true, sensitivity: 'base'})` for runtime versions:
/// runs of digits compare as numbers; other characters compare case-insensitively, punctuation before digits
/// before letters (the collation order); a prefix sorts first.
fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (version_tokens(a), version_tokens(b));
    for (x, y) in a.iter().zip(&b) {
        let order = match (x, y) {
            (VersionToken::Number(x), VersionToken::Number(y)) => {
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            (VersionToken::Number(_), VersionToken::Char(c)) => {
                if c.is_alphabetic() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (VersionToken::Char(c), VersionToken::Number(_)) => {
                if c.is_alphabetic() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (VersionToken::Char(x), VersionToken::Char(y)) => char_class(*x)
                .cmp(&char_class(*y))
                .then_with(|| x.to_lowercase().cmp(y.to_lowercase())),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// A digit run (without leading zeros) or one other character.
#[derive(Debug)]
enum VersionToken {
    Number(String),
    Char(char),
}

fn version_tokens(version: &str) -> Vec<VersionToken> {
    let mut tokens = Vec::new();
    let mut digits = String::new();
    for c in version.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            tokens.push(number_token(&digits));
            digits.clear();
        }
        tokens.push(VersionToken::Char(c));
    }
    if !digits.is_empty() {
        tokens.push(number_token(&digits));
    }
    tokens
}

fn number_token(digits: &str) -> VersionToken {
    let trimmed = digits.trim_start_matches('0');
    VersionToken::Number(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
}

/// Collation class of a non-digit character: punctuation and symbols sort before letters.
fn char_class(c: char) -> u8 {
    u8::from(c.is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("3.13", "3.9"), Ordering::Greater);
        assert_eq!(compare_versions("22.x", "20.x"), Ordering::Greater);
        assert_eq!(compare_versions("8", "3.1"), Ordering::Greater);
        assert_eq!(compare_versions("0", "3.13"), Ordering::Less);
        assert_eq!(compare_versions("1.x", "1.X"), Ordering::Equal);
        assert_eq!(compare_versions("2", "2.7"), Ordering::Less);
    }

    #[test]
    fn every_row_is_its_own_family() {
        for (family, latest) in LATEST_RUNTIMES {
            assert_eq!(
                runtime_parts(latest).map(|parts| parts.0).as_deref(),
                Ok(*family)
            );
        }
    }
}
