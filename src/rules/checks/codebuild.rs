//! Checks for CodeBuild projects: no AWS access keys in plaintext environment variables, OAuth for source
//! repository access, no privileged mode, artifacts encrypted with a customer KMS key, and build images
//! managed by CodeBuild.

use serde_json::Value;

use crate::rules::value::{coerce, for_of, get, loose_eq, primitive, truthy, verdict, Kind};
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
    Check {
        name: "CodeBuildProjectPrivilegedModeDisabled",
        resource_types: PROJECT,
        problem: "The project builds in privileged mode, which gives build commands root access to the Docker daemon of the build host",
        fix: "Remove `Environment.PrivilegedMode` or set it to `false` unless the project builds Docker images",
        eval: privileged_mode_disabled,
    },
    Check {
        name: "CodeBuildProjectKMSEncryptedArtifacts",
        resource_types: PROJECT,
        problem: "The project encrypts its build artifacts with the AWS managed S3 key instead of a customer managed KMS key",
        fix: "Set `EncryptionKey` to the ARN or alias of a customer managed KMS key (not `alias/aws/s3`)",
        eval: kms_encrypted_artifacts,
    },
    Check {
        name: "CodeBuildProjectManagedImages",
        resource_types: PROJECT,
        problem: "The project builds in a custom image rather than one managed and patched by CodeBuild",
        fix: "Set `Environment.Image` to a CodeBuild managed image (`aws/codebuild/...`), or suppress the rule with the reason the custom image is needed",
        eval: managed_images,
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

fn privileged_mode_disabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    // `Environment` itself is read unconditionally; an intrinsic there has no `PrivilegedMode` and passes.
    let privileged = primitive(
        environment(resource)?,
        "PrivilegedMode",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(!truthy(privileged.as_ref())))
}

fn kms_encrypted_artifacts(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value other than the AWS managed S3 key passes, an intrinsic included.
    let key = get(&resource.properties, "EncryptionKey").map(|key| coerce(key, Kind::String));
    Ok(verdict(
        key.is_some() && !loose_eq(key.as_ref(), &Value::from("alias/aws/s3")),
    ))
}

fn managed_images(resource: &Resource, context: &Context<'_>) -> Verdict {
    let image = primitive(environment(resource)?, "Image", Kind::String, context)?;
    match image {
        Some(Value::String(image)) => Ok(verdict(image.starts_with("aws/codebuild/"))),
        other => Err(Thrown(format!(
            "`Environment.Image` is {}, which has no `startsWith`",
            other.map_or_else(|| "absent".to_owned(), |value| value.to_string())
        ))),
    }
}
