//! Checks for CodeBuild projects: no AWS access keys in plaintext environment variables, and OAuth for source
//! repository access.

use serde_json::Value;

use crate::rules::value::{for_of, get, loose_eq, primitive, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const PROJECT: &[&str] = &["AWS::CodeBuild::Project"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "CodeBuildProjectEnvVarAwsCred",
        resource_types: PROJECT,
        problem: "The project passes an AWS access key ID or secret access key as a plaintext environment variable, exposing it to anyone who can read the project",
        fix: "Drop the key variables and use the project's service role, or store them with `Type: PARAMETER_STORE` or `SECRETS_MANAGER`",
        eval: env_var_aws_cred,
    },
    Check {
        name: "CodeBuildProjectSourceRepoUrl",
        resource_types: PROJECT,
        problem: "The project's source does not authenticate with OAuth, so repository credentials may be embedded in the source URL",
        fix: "Set `Source.Auth.Type: OAUTH` and connect the repository through a CodeBuild source credential",
        eval: source_repo_url,
    },
];

/// The `Environment` property, which cdk-nag reads a member of without checking it exists.
fn environment(resource: &Resource) -> Result<&Value, Thrown> {
    get(&resource.properties, "Environment").ok_or_else(|| {
        Thrown("the project has no `Environment`, which the rule reads unconditionally".to_owned())
    })
}

fn env_var_aws_cred(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(variables) = get(environment(resource)?, "EnvironmentVariables") else {
        return Ok(Outcome::Compliant);
    };
    for variable in for_of(Some(variables), "Environment.EnvironmentVariables")? {
        if variable.is_null() {
            return Err(Thrown("an `EnvironmentVariables` entry is null".to_owned()));
        }
        // Both are resolved before either is tested, so an intrinsic in either gives UNKNOWN.
        let name = primitive(&variable, "Name", Kind::String, context)?;
        let kind = primitive(&variable, "Type", Kind::String, context)?;
        let is_key = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
            .iter()
            .any(|key| loose_eq(name.as_ref(), &Value::from(*key)));
        if is_key && (kind.is_none() || loose_eq(kind.as_ref(), &Value::from("PLAINTEXT"))) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn source_repo_url(resource: &Resource, context: &Context<'_>) -> Verdict {
    let source = get(&resource.properties, "Source").ok_or_else(|| {
        Thrown("the project has no `Source`, which the rule reads unconditionally".to_owned())
    })?;
    // Applies to every source type: S3, CodePipeline and NO_SOURCE projects without `Auth` fail too.
    let Some(auth) = get(source, "Auth") else {
        return Ok(Outcome::NonCompliant);
    };
    let kind = primitive(auth, "Type", Kind::String, context)?;
    Ok(verdict(loose_eq(kind.as_ref(), &Value::from("OAUTH"))))
}
