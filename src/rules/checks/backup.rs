//! Checks that data stores are protected by AWS Backup: a DynamoDB table, EBS volume, EFS file system or RDS DB
//! instance must be listed in `BackupSelection.Resources` of an `AWS::Backup::BackupSelection` in the same
//! template.
//!
//! As cdk-nag does it: each listed resource is turned into JSON text and searched (unanchored) for the logical
//! ID followed by a non-word character, so `{"Fn::GetAtt": ["Table", "Arn"]}`, `{"Ref": "Volume"}` and
//! `arn:...:${Db}` all count. Tag-based selections (`ListOfTags`, `Conditions`) and wildcard ARNs are not
//! recognised, and the ID is inserted into the regex unescaped.

use fancy_regex::Regex;

use crate::rules::value::{
    as_list, get, js_string, json_text, read, regex, regex_test, verdict, Kind,
};
use crate::rules::{Check, Context, Thrown, Verdict};
use crate::template::Resource;

/// cdk-nag's end of a logical ID: not followed by a word character.
const WORD_END: &str = r"(?![\w])";
/// cdk-nag's end of a name: not followed by a word character, `-` or `.`.
pub(super) const NAME_END: &str = r"(?![\w\-_\.])";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "DynamoDBInBackupPlan",
        resource_types: &["AWS::DynamoDB::Table"],
        problem: "The table is not selected by any AWS Backup plan in this template, so it has no managed backups",
        fix: "List the table (`!GetAtt <Table>.Arn`) in `BackupSelection.Resources` of an `AWS::Backup::BackupSelection`",
        eval: dynamodb_in_backup_plan,
    },
    Check {
        name: "EC2EBSInBackupPlan",
        resource_types: &["AWS::EC2::Volume"],
        problem: "The EBS volume is not selected by any AWS Backup plan in this template, so it has no managed backups",
        fix: "List the volume (an ARN built from `!Ref <Volume>`) in `BackupSelection.Resources` of an `AWS::Backup::BackupSelection`",
        eval: ebs_in_backup_plan,
    },
    Check {
        name: "EFSInBackupPlan",
        resource_types: &["AWS::EFS::FileSystem"],
        problem: "The file system is not selected by any AWS Backup plan in this template, so it has no managed backups",
        fix: "List the file system (`!GetAtt <FileSystem>.Arn`) in `BackupSelection.Resources` of an `AWS::Backup::BackupSelection`",
        eval: efs_in_backup_plan,
    },
    Check {
        name: "RDSInBackupPlan",
        resource_types: &["AWS::RDS::DBInstance"],
        problem: "The DB instance is not selected by any AWS Backup plan in this template, so it has no managed backups",
        fix: "List the instance (an ARN built from `!Ref <DBInstance>`) in `BackupSelection.Resources` of an `AWS::Backup::BackupSelection`",
        eval: rds_in_backup_plan,
    },
];

/// Whether some backup selection of the template lists a resource whose JSON text matches one of `patterns`.
/// Patterns are compiled when first needed, as cdk-nag builds them, so a bad one throws only when reached.
fn in_backup_selection(context: &Context<'_>, patterns: &[String]) -> Result<bool, Thrown> {
    let mut compiled: Vec<Option<Regex>> = vec![None; patterns.len()];
    for selection in context.resources_of_type("AWS::Backup::BackupSelection") {
        let Some(spec) = get(&selection.properties, "BackupSelection") else {
            return Err(Thrown(format!(
                "the backup selection `{}` has no `BackupSelection`, which the rule reads unconditionally",
                selection.logical_id
            )));
        };
        // An intrinsic in place of the list is skipped, not searched.
        let Some(resources) = as_list(get(spec, "Resources")) else {
            continue;
        };
        for listed in resources {
            let text = json_text(listed);
            for (pattern, slot) in patterns.iter().zip(compiled.iter_mut()) {
                let regex = match slot {
                    Some(regex) => regex,
                    None => slot.insert(regex(pattern)?),
                };
                if regex_test(regex, &text)? {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// The check for resources found by logical ID only.
fn by_logical_id(resource: &Resource, context: &Context<'_>) -> Verdict {
    let pattern = format!("{}{WORD_END}", resource.logical_id);
    Ok(verdict(in_backup_selection(context, &[pattern])?))
}

fn dynamodb_in_backup_plan(resource: &Resource, context: &Context<'_>) -> Verdict {
    let mut patterns = vec![format!("{}{WORD_END}", resource.logical_id)];
    // A table name also counts as `table/<name>`; an intrinsic name is inserted as `[object Object]`.
    if let Some(name) = read(&resource.properties, "TableName", Kind::String) {
        patterns.push(format!("table/{}{NAME_END}", js_string(&name)));
    }
    Ok(verdict(in_backup_selection(context, &patterns)?))
}

fn ebs_in_backup_plan(resource: &Resource, context: &Context<'_>) -> Verdict {
    by_logical_id(resource, context)
}

fn efs_in_backup_plan(resource: &Resource, context: &Context<'_>) -> Verdict {
    by_logical_id(resource, context)
}

fn rds_in_backup_plan(resource: &Resource, context: &Context<'_>) -> Verdict {
    by_logical_id(resource, context)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::rules::{Compat, Outcome};

    fn verdicts(text: &str) -> Vec<(String, Outcome)> {
        let template = crate::template::parse("t.yaml", text).expect("template parses");
        let known = BTreeMap::new();
        let context = Context {
            template: &template,
            compat: Compat::CdkNag,
            known: &known,
        };
        template
            .resources
            .iter()
            .filter(|resource| resource.resource_type == "AWS::EC2::Volume")
            .map(|resource| {
                let outcome = match ebs_in_backup_plan(resource, &context) {
                    Ok(outcome) => outcome,
                    Err(Thrown(reason)) => Outcome::Unknown(reason),
                };
                (resource.logical_id.clone(), outcome)
            })
            .collect()
    }

    /// A selection without `BackupSelection` throws for every volume not found in an earlier selection, which
    /// a fixture cannot show next to a non-compliant volume.
    #[test]
    fn a_selection_without_its_specification_throws_once_reached() {
        let results = verdicts(
            "Resources:
  Listed: {Type: AWS::EC2::Volume}
  Unlisted: {Type: AWS::EC2::Volume}
  Good:
    Type: AWS::Backup::BackupSelection
    Properties: {BackupPlanId: p, BackupSelection: {SelectionName: s, IamRoleArn: r, Resources: [!Ref Listed]}}
  Broken:
    Type: AWS::Backup::BackupSelection
    Properties: {BackupPlanId: p}
",
        );
        assert_eq!(results[0], ("Listed".to_owned(), Outcome::Compliant));
        assert!(matches!(results[1].1, Outcome::Unknown(_)), "{results:?}");
    }
}
