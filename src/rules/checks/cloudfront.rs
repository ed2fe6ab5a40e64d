//! Checks for CloudFront distributions (and RTMP streaming distributions): geo restrictions, a WAF web ACL,
//! access logging, current TLS to viewers and to custom origins, and an origin access identity for S3 origins.
//!
//! cdk-nag reads `DistributionConfig` (`StreamingDistributionConfig`) without a guard, so a distribution
//! without it makes every check here throw; below that level each check guards (or not) as cdk-nag does.

use std::sync::LazyLock;

use fancy_regex::Regex;
use serde_json::Value;

use crate::rules::value::{
    coerce, for_of, get, js_string, loose_eq, primitive, regex, regex_test, strict_eq, truthy,
    verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const DISTRIBUTION: &[&str] = &["AWS::CloudFront::Distribution"];
const DISTRIBUTIONS: &[&str] = &[
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::StreamingDistribution",
];
const STREAMING: &str = "AWS::CloudFront::StreamingDistribution";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "CloudFrontDistributionGeoRestrictions",
        resource_types: DISTRIBUTION,
        problem: "The distribution serves content to every country without any geographic restriction",
        fix: "Set `DistributionConfig.Restrictions.GeoRestriction` with `RestrictionType: whitelist` or `blacklist` and the country `Locations`",
        eval: geo_restrictions,
    },
    Check {
        name: "CloudFrontDistributionWAFIntegration",
        resource_types: DISTRIBUTION,
        problem: "The distribution is not protected by an AWS WAF web ACL",
        fix: "Set `DistributionConfig.WebACLId` to the ARN of a WAFv2 web ACL with scope `CLOUDFRONT`",
        eval: waf_integration,
    },
    Check {
        name: "CloudFrontDistributionAccessLogging",
        resource_types: DISTRIBUTIONS,
        problem: "The distribution does not write access logs, so requests cannot be audited",
        fix: "Set `DistributionConfig.Logging` (`StreamingDistributionConfig.Logging` with `Enabled: true` for streaming distributions) to an S3 log bucket",
        eval: access_logging,
    },
    Check {
        name: "CloudFrontDistributionHttpsViewerNoOutdatedSSL",
        resource_types: DISTRIBUTION,
        problem: "Viewers may connect to the distribution with an outdated SSL or TLS protocol",
        fix: "Use your own certificate in `DistributionConfig.ViewerCertificate` with `SslSupportMethod: sni-only` and `MinimumProtocolVersion` `TLSv1.2_2021` or later",
        eval: https_viewer_no_outdated_ssl,
    },
    Check {
        name: "CloudFrontDistributionNoOutdatedSSL",
        resource_types: DISTRIBUTION,
        problem: "The distribution may talk to a custom origin over plain HTTP or with SSLv3 or TLSv1",
        fix: "Set `OriginProtocolPolicy: https-only` and `OriginSSLProtocols: [TLSv1.2]` in every origin's `CustomOriginConfig`",
        eval: no_outdated_ssl,
    },
    Check {
        name: "CloudFrontDistributionS3OriginAccessIdentity",
        resource_types: DISTRIBUTIONS,
        problem: "An S3 origin of the distribution is not accessed through an origin access identity, so the bucket must be readable directly",
        fix: "Set `S3OriginConfig.OriginAccessIdentity` of every S3 origin to `origin-access-identity/cloudfront/<id>` of a `AWS::CloudFront::CloudFrontOriginAccessIdentity`",
        eval: s3_origin_access_identity,
    },
];

fn is_streaming(resource: &Resource) -> bool {
    resource.resource_type == STREAMING
}

/// `DistributionConfig` or `StreamingDistributionConfig`, which cdk-nag dereferences unconditionally.
fn config(resource: &Resource) -> Result<&Value, Thrown> {
    let key = if is_streaming(resource) {
        "StreamingDistributionConfig"
    } else {
        "DistributionConfig"
    };
    get(&resource.properties, key).ok_or_else(|| {
        Thrown(format!(
            "the distribution has no `{key}`, which the rule reads unconditionally"
        ))
    })
}

fn geo_restrictions(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(restrictions) = get(config(resource)?, "Restrictions") else {
        return Ok(Outcome::NonCompliant);
    };
    let geo = get(restrictions, "GeoRestriction").ok_or_else(|| {
        Thrown(
            "`Restrictions` has no `GeoRestriction`, whose `RestrictionType` the rule reads"
                .to_owned(),
        )
    })?;
    let restriction_type = primitive(geo, "RestrictionType", Kind::String, context)?;
    Ok(verdict(!loose_eq(
        restriction_type.as_ref(),
        &Value::from("none"),
    )))
}

fn waf_integration(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(config(resource)?, "WebACLId").is_some()))
}

fn access_logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(logging) = get(config(resource)?, "Logging") else {
        return Ok(Outcome::NonCompliant);
    };
    if !is_streaming(resource) {
        // The contents are not inspected.
        return Ok(Outcome::Compliant);
    }
    let enabled = primitive(logging, "Enabled", Kind::Boolean, context)?;
    Ok(verdict(truthy(enabled.as_ref())))
}

/// JavaScript's `value.toLowerCase()` on a String property (numbers and booleans are strings after coercion);
/// an intrinsic or a list has no such method, so cdk-nag throws.
fn lower_case(value: &Value, name: &str) -> Result<String, Thrown> {
    match coerce(value, Kind::String) {
        Value::String(text) => Ok(text.to_lowercase()),
        other => Err(Thrown(format!(
            "`{name}` is {other}, not a string the rule can lower-case"
        ))),
    }
}

fn https_viewer_no_outdated_ssl(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(certificate) = get(config(resource)?, "ViewerCertificate") else {
        return Ok(Outcome::NonCompliant);
    };
    // The tests run in this order and stop at the first failure, so a later intrinsic does not throw.
    let default_certificate =
        get(certificate, "CloudFrontDefaultCertificate").map(|value| coerce(value, Kind::Boolean));
    if strict_eq(default_certificate.as_ref(), &Value::Bool(true)) {
        return Ok(Outcome::NonCompliant);
    }
    let Some(method) = get(certificate, "SslSupportMethod") else {
        return Ok(Outcome::NonCompliant);
    };
    if lower_case(method, "SslSupportMethod")? == "vip" {
        return Ok(Outcome::NonCompliant);
    }
    let Some(version) = get(certificate, "MinimumProtocolVersion") else {
        return Ok(Outcome::NonCompliant);
    };
    let version = lower_case(version, "MinimumProtocolVersion")?;
    Ok(verdict(
        !["sslv3", "tlsv1", "tlsv1_2016"].contains(&version.as_str()),
    ))
}

fn no_outdated_ssl(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(origins) = get(config(resource)?, "Origins") else {
        return Ok(Outcome::Compliant);
    };
    // Origins are checked in order and the first failing one decides, before later ones could throw.
    for origin in for_of(Some(origins), "DistributionConfig.Origins")? {
        if origin.is_null() {
            return Err(Thrown(
                "a `DistributionConfig.Origins` entry is null".to_owned(),
            ));
        }
        if let Some(custom) = get(&origin, "CustomOriginConfig") {
            if !custom_origin_secure(custom, context)? {
                return Ok(Outcome::NonCompliant);
            }
        }
    }
    Ok(Outcome::Compliant)
}

/// `OriginProtocolPolicy` (‡) loosely equal to `https-only` and `OriginSSLProtocols` present without `SSLv3`
/// or `TLSv1` (exact items, case-insensitive). Every item is lower-cased first, so one intrinsic item throws.
fn custom_origin_secure(custom: &Value, context: &Context<'_>) -> Result<bool, Thrown> {
    let policy = primitive(custom, "OriginProtocolPolicy", Kind::String, context)?;
    if !loose_eq(policy.as_ref(), &Value::from("https-only")) {
        return Ok(false);
    }
    let Some(protocols) = get(custom, "OriginSSLProtocols") else {
        return Ok(false);
    };
    let Value::Array(items) = protocols else {
        return Err(Thrown(format!(
            "`OriginSSLProtocols` is {protocols}, not a list the rule can map over"
        )));
    };
    let lowered = items
        .iter()
        .map(|item| lower_case(item, "an `OriginSSLProtocols` item"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(!lowered
        .iter()
        .any(|protocol| protocol == "sslv3" || protocol == "tlsv1"))
}

/// cdk-nag's pattern for S3 bucket domain names (REST and website endpoints, China and isolated regions).
const S3_DOMAIN: &str = r"^.+\.s3(?:-website)?(?:\..+)?(?:(?:\.amazonaws\.com(?:\.cn)?)|(?:\.c2s\.ic\.gov)|(?:\.sc2s\.sgov\.gov))$";

static S3_DOMAIN_REGEX: LazyLock<Result<Regex, Thrown>> = LazyLock::new(|| regex(S3_DOMAIN));

fn s3_origin_access_identity(resource: &Resource, _: &Context<'_>) -> Verdict {
    let config = config(resource)?;
    if is_streaming(resource) {
        // `S3Origin.OriginAccessIdentity` is read without guards.
        let identity = get(config, "S3Origin.OriginAccessIdentity");
        return Ok(verdict(!blank(identity, "S3Origin.OriginAccessIdentity")?));
    }
    let Some(origins) = get(config, "Origins") else {
        return Ok(Outcome::Compliant);
    };
    let s3_domain = S3_DOMAIN_REGEX.as_ref().map_err(Clone::clone)?;
    for origin in for_of(Some(origins), "DistributionConfig.Origins")? {
        if origin.is_null() {
            return Err(Thrown(
                "a `DistributionConfig.Origins` entry is null".to_owned(),
            ));
        }
        // `RegExp.test` converts its argument to a string: an intrinsic is `[object Object]`, absent
        // `undefined`; neither matches, so such origins are skipped.
        let domain = get(&origin, "DomainName").map_or_else(
            || "undefined".to_owned(),
            |name| js_string(&coerce(name, Kind::String)),
        );
        if !regex_test(s3_domain, &domain)? {
            continue;
        }
        let Some(s3_config) = get(&origin, "S3OriginConfig") else {
            return Ok(Outcome::NonCompliant);
        };
        let identity = get(s3_config, "OriginAccessIdentity");
        if identity.is_none() || blank(identity, "S3OriginConfig.OriginAccessIdentity")? {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

/// JavaScript's `value.replace(/\s/g, '').length == 0`: a string made only of JavaScript white space. Absent,
/// an intrinsic or a list has no `replace`, so cdk-nag throws.
fn blank(value: Option<&Value>, name: &str) -> Result<bool, Thrown> {
    match value.map(|value| coerce(value, Kind::String)) {
        Some(Value::String(text)) => Ok(text.chars().all(is_js_white_space)),
        Some(other) => Err(Thrown(format!(
            "`{name}` is {other}, not a string the rule can search"
        ))),
        None => Err(Thrown(format!(
            "`{name}` is absent, which the rule reads unconditionally"
        ))),
    }
}

/// JavaScript's `\s`: the ECMAScript white space and line terminator characters (which differ from Rust's
/// `char::is_whitespace`: U+FEFF is white space, U+0085 is not).
fn is_js_white_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}
