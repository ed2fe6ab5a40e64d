//! Checks for S3 buckets and bucket policies: bucket-level Block Public Access, server access logging,
//! public read and write through ACLs, replication, TLS-only bucket policies, versioning, default KMS
//! encryption, and website buckets reachable only through CloudFront origin access identities.
//!
//! Three checks look at other resources of the same template: logging (a bucket that is itself the log
//! destination of another bucket is exempt), TLS (an `AWS::S3::BucketPolicy` attached to the bucket must
//! deny plain-HTTP requests on the bucket and its objects) and website access (an attached bucket policy must
//! grant only `s3:GetObject`/`s3:PutObject` to an origin access identity and nothing to everyone). The first
//! two build JavaScript regexes around logical IDs and bucket names inserted without escaping, as cdk-nag does.

use serde_json::Value;

use super::policy::denies_insecure_transport_where;
use crate::rules::value::{
    coerce, flatten, for_of, get, js_string, json_text, primitive, reference, regex, regex_test,
    strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const BUCKET: &str = "AWS::S3::Bucket";
const BUCKET_POLICY: &str = "AWS::S3::BucketPolicy";
const BUCKETS: &[&str] = &[BUCKET];
const BUCKETS_AND_POLICIES: &[&str] = &[BUCKET, BUCKET_POLICY];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "S3BucketLevelPublicAccessProhibited",
        resource_types: BUCKETS,
        problem: "The bucket's Block Public Access configuration leaves at least one of its four protections off",
        fix: "Set `BlockPublicAcls`, `BlockPublicPolicy`, `IgnorePublicAcls` and `RestrictPublicBuckets` to `true` in `PublicAccessBlockConfiguration`",
        eval: bucket_level_public_access,
    },
    Check {
        name: "S3BucketLoggingEnabled",
        resource_types: BUCKETS,
        problem: "The bucket records no server access logs and is not itself the access-log destination of another bucket of this template",
        fix: "Set `LoggingConfiguration.DestinationBucketName` to a log bucket of this template",
        eval: logging_enabled,
    },
    Check {
        name: "S3BucketPublicReadProhibited",
        resource_types: BUCKETS,
        problem: "The bucket does not rule out public reads: Block Public Access does not block public policies, or a public-read ACL is not blocked",
        fix: "Set `PublicAccessBlockConfiguration` with `BlockPublicPolicy: true` and `BlockPublicAcls: true`, and remove public `AccessControl` values",
        eval: public_read_prohibited,
    },
    Check {
        name: "S3BucketPublicWriteProhibited",
        resource_types: BUCKETS,
        problem: "The bucket does not rule out public writes: Block Public Access does not block public policies, or a public-read-write ACL is not blocked",
        fix: "Set `PublicAccessBlockConfiguration` with `BlockPublicPolicy: true` and `BlockPublicAcls: true`, and remove `AccessControl: PublicReadWrite`",
        eval: public_write_prohibited,
    },
    Check {
        name: "S3BucketReplicationEnabled",
        resource_types: BUCKETS,
        problem: "The bucket does not replicate its objects to another bucket",
        fix: "Set `ReplicationConfiguration` with a role and at least one rule with `Status: Enabled`",
        eval: replication_enabled,
    },
    Check {
        name: "S3BucketSSLRequestsOnly",
        resource_types: BUCKETS_AND_POLICIES,
        problem: "No bucket policy denies requests made without TLS to the bucket and to its objects",
        fix: "Attach an `AWS::S3::BucketPolicy` with a statement `Effect: Deny`, `Principal: '*'`, `Action: 's3:*'`, `Condition: {Bool: {'aws:SecureTransport': 'false'}}` and `Resource` listing both the bucket ARN and `<bucket ARN>/*`",
        eval: ssl_requests_only,
    },
    Check {
        name: "S3BucketVersioningEnabled",
        resource_types: BUCKETS,
        problem: "The bucket keeps no object versions, so overwritten or deleted objects cannot be recovered",
        fix: "Set `VersioningConfiguration: {Status: Enabled}`",
        eval: versioning_enabled,
    },
    Check {
        name: "S3DefaultEncryptionKMS",
        resource_types: BUCKETS,
        problem: "The bucket does not encrypt new objects with a KMS key by default",
        fix: "Set every `BucketEncryption.ServerSideEncryptionConfiguration` rule's `ServerSideEncryptionByDefault.SSEAlgorithm` to `aws:kms`",
        eval: default_encryption_kms,
    },
    Check {
        name: "S3WebBucketOAIAccess",
        resource_types: BUCKETS,
        problem: "The website bucket is not served only through CloudFront: no attached bucket policy limits access to an origin access identity, or a policy opens it to everyone",
        fix: "Attach an `AWS::S3::BucketPolicy` whose only `Allow` statements grant `s3:GetObject` (or `s3:PutObject`) to a CloudFront origin access identity (`Principal: {CanonicalUser: ...}`) and none to `*`",
        eval: web_bucket_oai_access,
    },
];

fn is_true(value: Option<&Value>) -> bool {
    strict_eq(value, &Value::Bool(true))
}

/// A Block Public Access flag, literal only.
fn block_flag(resource: &Resource, flag: &str, context: &Context<'_>) -> Result<bool, Thrown> {
    let value = primitive(
        &resource.properties,
        &format!("PublicAccessBlockConfiguration.{flag}"),
        Kind::Boolean,
        context,
    )?;
    Ok(is_true(value.as_ref()))
}

fn bucket_level_public_access(resource: &Resource, context: &Context<'_>) -> Verdict {
    // Without a configuration the rule passes (cdk-nag 2.27.223 behaviour).
    if get(&resource.properties, "PublicAccessBlockConfiguration").is_none() {
        return Ok(Outcome::Compliant);
    }
    // All four are read before any is judged, so an intrinsic in any of them is UNKNOWN.
    let mut all_on = true;
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        all_on &= block_flag(resource, flag, context)?;
    }
    Ok(verdict(all_on))
}

/// Shared by the public read and write checks: FAIL without `BlockPublicPolicy === true`, then FAIL when
/// `AccessControl` is one of `public_acls` and `BlockPublicAcls !== true`.
fn public_access_prohibited(
    resource: &Resource,
    public_acls: &[&str],
    context: &Context<'_>,
) -> Verdict {
    if get(&resource.properties, "PublicAccessBlockConfiguration").is_none()
        || !block_flag(resource, "BlockPublicPolicy", context)?
    {
        return Ok(Outcome::NonCompliant);
    }
    let acl = primitive(&resource.properties, "AccessControl", Kind::String, context)?;
    let blocks_acls = block_flag(resource, "BlockPublicAcls", context)?;
    let public_acl = acl
        .as_ref()
        .and_then(Value::as_str)
        .is_some_and(|acl| public_acls.contains(&acl));
    Ok(verdict(!public_acl || blocks_acls))
}

fn public_read_prohibited(resource: &Resource, context: &Context<'_>) -> Verdict {
    public_access_prohibited(resource, &["PublicRead", "PublicReadWrite"], context)
}

fn public_write_prohibited(resource: &Resource, context: &Context<'_>) -> Verdict {
    public_access_prohibited(resource, &["PublicReadWrite"], context)
}

fn replication_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(replication) = get(&resource.properties, "ReplicationConfiguration") else {
        return Ok(Outcome::NonCompliant);
    };
    for rule in for_of(get(replication, "Rules"), "ReplicationConfiguration.Rules")? {
        if rule.is_null() {
            return Err(Thrown(
                "a replication rule is null, so its `Status` cannot be read".to_owned(),
            ));
        }
        let status = get(&rule, "Status").map(|status| coerce(status, Kind::String));
        if strict_eq(status.as_ref(), &Value::from("Enabled")) {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

fn versioning_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    if get(&resource.properties, "VersioningConfiguration").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let status = primitive(
        &resource.properties,
        "VersioningConfiguration.Status",
        Kind::String,
        context,
    )?;
    Ok(verdict(!strict_eq(
        status.as_ref(),
        &Value::from("Suspended"),
    )))
}

fn default_encryption_kms(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(encryption) = get(&resource.properties, "BucketEncryption") else {
        return Ok(Outcome::NonCompliant);
    };
    let Some(rules) = get(encryption, "ServerSideEncryptionConfiguration") else {
        return Ok(Outcome::NonCompliant);
    };
    // The first failing rule decides; an empty list passes.
    for rule in for_of(Some(rules), "ServerSideEncryptionConfiguration")? {
        if rule.is_null() {
            return Err(Thrown("an encryption rule is null".to_owned()));
        }
        let Some(default) = get(&rule, "ServerSideEncryptionByDefault") else {
            return Ok(Outcome::NonCompliant);
        };
        match primitive(default, "SSEAlgorithm", Kind::String, context)? {
            Some(Value::String(algorithm)) if algorithm.to_lowercase() == "aws:kms" => {}
            Some(Value::String(_)) => return Ok(Outcome::NonCompliant),
            _ => {
                return Err(Thrown(
                    "an encryption rule has no `SSEAlgorithm` to lower-case".to_owned(),
                ))
            }
        }
    }
    Ok(Outcome::Compliant)
}

fn logging_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "LoggingConfiguration.DestinationBucketName").is_some()
        || get(properties, "LoggingConfiguration.LogFilePrefix").is_some()
    {
        return Ok(Outcome::Compliant);
    }
    // Exempt when some bucket (itself included) names this one as its log destination: the flattened
    // destination (`<LogBucket>`, `<LogBucket.Arn>`...) matches the logical ID not followed by a word
    // character, or equals this bucket's name.
    let pattern = regex(&format!(r"{}(?![\w])", resource.logical_id))?;
    let name = get(properties, "BucketName").map(|name| coerce(name, Kind::String));
    for other in context.resources_of_type(BUCKET) {
        let destination = flatten(get(
            &other.properties,
            "LoggingConfiguration.DestinationBucketName",
        ));
        if regex_test(&pattern, &destination)?
            || name.as_ref().and_then(Value::as_str) == Some(destination.as_str())
        {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

/// The two ways a bucket policy may name the bucket in its `Resource` entries: the regex text of the logical
/// ID, and optionally of the bucket name (both inserted unescaped, as cdk-nag does).
struct BucketNames {
    logical_id: String,
    name: Option<String>,
}

fn ssl_requests_only(resource: &Resource, context: &Context<'_>) -> Verdict {
    if resource.resource_type == BUCKET_POLICY {
        let bucket = get(&resource.properties, "Bucket").map(|b| coerce(b, Kind::String));
        let names = BucketNames {
            logical_id: bucket
                .as_ref()
                .map_or_else(|| "undefined".to_owned(), |b| js_string(&reference(b))),
            // The raw value: a literal name, or for an intrinsic CDK's token string, which can never match
            // (it starts with the end anchor `$`), so it is left out.
            name: bucket.as_ref().and_then(Value::as_str).map(str::to_owned),
        };
        return Ok(verdict(policy_requires_tls(resource, &names)?));
    }
    let name = get(&resource.properties, "BucketName").map(|n| coerce(n, Kind::String));
    let names = BucketNames {
        logical_id: resource.logical_id.clone(),
        name: name.as_ref().map(js_string),
    };
    for policy in context.resources_of_type(BUCKET_POLICY) {
        if policy_targets(policy, &resource.logical_id, name.as_ref())
            && policy_requires_tls(policy, &names)?
        {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

/// `ref(Bucket) === logical ID || ref(Bucket) === bucket name`, with JavaScript strict equality: two absent
/// values are equal, an object equals nothing.
fn policy_targets(policy: &Resource, logical_id: &str, name: Option<&Value>) -> bool {
    let target = get(&policy.properties, "Bucket").map(|b| reference(&coerce(b, Kind::String)));
    match (&target, name) {
        (Some(Value::String(target)), _) if target == logical_id => true,
        (None, None) => true,
        (Some(target), Some(name)) => !target.is_object() && !target.is_array() && target == name,
        _ => false,
    }
}

/// Whether some statement of the policy denies every S3 action to everyone over plain HTTP on both the
/// bucket and its objects.
fn policy_requires_tls(policy: &Resource, names: &BucketNames) -> Result<bool, Thrown> {
    denies_insecure_transport_where(
        get(&policy.properties, "PolicyDocument.Statement"),
        "PolicyDocument.Statement",
        |action| action == "*" || action.to_lowercase() == "s3:*",
        |statement| matching_resources(get(statement, "Resource"), names),
    )
}

/// `Resource` must be a list with a bucket entry (JSON text matches the bucket regex and has no `/`) and an
/// objects entry (matches the objects regex and has exactly one `/`).
fn matching_resources(resources: Option<&Value>, names: &BucketNames) -> Result<bool, Thrown> {
    let Some(Value::Array(resources)) = resources else {
        return Ok(false);
    };
    let mut bucket_parts = vec![format!(r"({}(?![\w\-]))", names.logical_id)];
    let mut object_parts = vec![format!(r"({}(?![\w\-]).*/\*)", names.logical_id)];
    if let Some(name) = &names.name {
        bucket_parts.push(format!(r"({name}(?![\w\-]))"));
        object_parts.push(format!(r"({name}(?![\w\-]).*/\*)"));
    }
    let bucket_regex = regex(&bucket_parts.join("|"))?;
    let objects_regex = regex(&object_parts.join("|"))?;
    let (mut bucket, mut objects) = (false, false);
    for resource in resources {
        let text = json_text(resource);
        if !bucket && regex_test(&bucket_regex, &text)? && !text.contains('/') {
            bucket = true;
        } else if !objects
            && regex_test(&objects_regex, &text)?
            && text.find('/') == text.rfind('/')
        {
            objects = true;
        }
        if bucket && objects {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The text cdk-nag looks for in a statement's `Principal.AWS` to recognise an origin access identity ARN.
const OAI_PRINCIPAL: &str = "CloudFront Origin Access Identity";

fn web_bucket_oai_access(resource: &Resource, context: &Context<'_>) -> Verdict {
    if get(&resource.properties, "WebsiteConfiguration").is_none() {
        return Ok(Outcome::Compliant);
    }
    let name = get(&resource.properties, "BucketName").map(|n| coerce(n, Kind::String));
    // Every attached policy is examined (no early exit), so one that throws gives UNKNOWN even after a
    // compliant one.
    let mut found = false;
    for policy in context.resources_of_type(BUCKET_POLICY) {
        if policy_targets(policy, &resource.logical_id, name.as_ref()) && oai_only_policy(policy)? {
            found = true;
        }
    }
    Ok(verdict(found))
}

/// Whether a bucket policy restricts the bucket to origin access identities: no `Allow` statement has a `*`
/// anywhere in its principal, every `Allow` statement for an identity (an `AWS` principal naming one, or any
/// `CanonicalUser`) grants only `s3:GetObject`/`s3:PutObject`, and at least one such statement exists.
fn oai_only_policy(policy: &Resource) -> Result<bool, Thrown> {
    let Some(document) = get(&policy.properties, "PolicyDocument") else {
        return Err(Thrown(format!(
            "the bucket policy `{}` has no `PolicyDocument`, whose statements cdk-nag reads unconditionally",
            policy.logical_id
        )));
    };
    let mut found = false;
    for statement in for_of(get(document, "Statement"), "PolicyDocument.Statement")? {
        if statement.is_null() {
            return Err(Thrown("a policy statement is null".to_owned()));
        }
        if !strict_eq(get(&statement, "Effect"), &Value::from("Allow")) {
            continue;
        }
        let principal = get(&statement, "Principal");
        if json_text(principal.unwrap_or(&Value::from(""))).contains('*') {
            return Ok(false);
        }
        let Some(principal) = principal else {
            return Err(Thrown(
                "an `Allow` statement has no `Principal`, so cdk-nag cannot read its `AWS` entry"
                    .to_owned(),
            ));
        };
        let oai = get(principal, "AWS").is_some_and(|aws| json_text(aws).contains(OAI_PRINCIPAL))
            || truthy(get(principal, "CanonicalUser"));
        if oai {
            if !get_or_put_only(get(&statement, "Action"))? {
                return Ok(false);
            }
            found = true;
        }
    }
    Ok(found)
}

/// Whether every action (a string or a list) is `s3:GetObject` or `s3:PutObject`, case-insensitively. Actions
/// are lower-cased one by one until one does not match, so a missing or non-string action throws.
fn get_or_put_only(actions: Option<&Value>) -> Result<bool, Thrown> {
    let single;
    let actions = match actions {
        Some(Value::Array(actions)) => actions.as_slice(),
        Some(action) => {
            single = [action.clone()];
            &single[..]
        }
        None => {
            return Err(Thrown(
                "an origin access identity statement has no `Action` to lower-case".to_owned(),
            ))
        }
    };
    for action in actions {
        let Value::String(action) = action else {
            return Err(Thrown(format!(
                "the action {} is not a string, so it cannot be lower-cased",
                json_text(action)
            )));
        };
        let action = action.to_lowercase();
        if action != "s3:getobject" && action != "s3:putobject" {
            return Ok(false);
        }
    }
    Ok(true)
}
