//! Checks for load balancers, Classic (`AWS::ElasticLoadBalancing::*`) and v2 (`AWS::ElasticLoadBalancingV2::*`):
//! TLS certificates from ACM, HTTPS redirection and secure listeners, access logs, deletion protection,
//! cross-zone balancing, dropping invalid HTTP headers, connection draining, and no Classic load balancers for
//! HTTP or HTTPS traffic.

use serde_json::{Map, Value};

use crate::rules::value::{
    coerce, for_of, get, is_intrinsic, json_text, loose_eq, primitive, read, strict_eq, verdict,
    Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CLASSIC: &[&str] = &["AWS::ElasticLoadBalancing::LoadBalancer"];
const V2: &[&str] = &["AWS::ElasticLoadBalancingV2::LoadBalancer"];
const V2_LISTENER: &[&str] = &["AWS::ElasticLoadBalancingV2::Listener"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "ALBHttpDropInvalidHeaderEnabled",
        resource_types: V2,
        problem: "The application load balancer forwards HTTP headers that are not valid to its targets",
        fix: "Add `{Key: routing.http.drop_invalid_header_fields.enabled, Value: \"true\"}` to `LoadBalancerAttributes`",
        eval: drop_invalid_header_enabled,
    },
    Check {
        name: "ALBHttpToHttpsRedirection",
        resource_types: V2_LISTENER,
        problem: "The HTTP listener serves requests in clear text instead of redirecting them to HTTPS",
        fix: "Give the listener a default action with `Type: redirect` and `RedirectConfig.Protocol: HTTPS`",
        eval: http_to_https_redirection,
    },
    Check {
        name: "ELBACMCertificateRequired",
        resource_types: CLASSIC,
        problem: "A listener of the Classic load balancer has no certificate managed by ACM",
        fix: "Set every listener's `SSLCertificateId` to the ARN of an ACM certificate (`arn:<partition>:acm:...`)",
        eval: classic_acm_certificate_required,
    },
    Check {
        name: "ELBCrossZoneLoadBalancingEnabled",
        resource_types: CLASSIC,
        problem: "The Classic load balancer does not spread traffic across at least two Availability Zones with cross-zone balancing",
        fix: "Set `CrossZone: true` and give at least two `Subnets` (or `AvailabilityZones`)",
        eval: cross_zone_enabled,
    },
    Check {
        name: "ELBDeletionProtectionEnabled",
        resource_types: V2,
        problem: "The load balancer can be deleted without first turning off deletion protection",
        fix: "Add `{Key: deletion_protection.enabled, Value: \"true\"}` to `LoadBalancerAttributes`",
        eval: deletion_protection_enabled,
    },
    Check {
        name: "ELBLoggingEnabled",
        resource_types: &[
            "AWS::ElasticLoadBalancing::LoadBalancer",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
        ],
        problem: "The load balancer does not write access logs, so requests to it cannot be audited",
        fix: "Classic: set `AccessLoggingPolicy` with `Enabled: true`; v2: add `{Key: access_logs.s3.enabled, Value: \"true\"}` and an `access_logs.s3.bucket` to `LoadBalancerAttributes`",
        eval: logging_enabled,
    },
    Check {
        name: "ELBTlsHttpsListenersOnly",
        resource_types: CLASSIC,
        problem: "An SSL or HTTPS listener of the Classic load balancer talks to its instances over a different protocol",
        fix: "Leave `InstanceProtocol` unset or use the listener's own protocol (`SSL` or `HTTPS`) for it",
        eval: tls_https_listeners_only,
    },
    Check {
        name: "ELBv2ACMCertificateRequired",
        resource_types: V2_LISTENER,
        problem: "The listener has no certificate, so it does not terminate TLS with a managed certificate",
        fix: "Use an `HTTPS` or `TLS` listener with `Certificates: [{CertificateArn: <ACM certificate ARN>}]`",
        eval: v2_acm_certificate_required,
    },
    Check {
        name: "CLBNoInboundHttpHttps",
        resource_types: CLASSIC,
        problem: "A Classic load balancer takes HTTP or HTTPS traffic, which an application load balancer handles with more features and protections",
        fix: "Serve HTTP and HTTPS through an `AWS::ElasticLoadBalancingV2::LoadBalancer` of `Type: application` and keep Classic listeners to `TCP`/`SSL`",
        eval: classic_no_http,
    },
    Check {
        name: "CLBConnectionDraining",
        resource_types: CLASSIC,
        problem: "Connection draining is off, so in-flight requests are cut when an instance is deregistered or fails its health check",
        fix: "Set `ConnectionDrainingPolicy` with `Enabled: true` (and a `Timeout`)",
        eval: classic_connection_draining,
    },
];

/// The compact JSON text cdk-nag searches: the `LoadBalancerAttributes` list as CDK holds it, each entry
/// rebuilt as `{"key":...,"value":...}` (lower-case keys in that order, values coerced to strings, absent ones
/// left out). An intrinsic, as a whole list or as an entry, is written as authored.
fn attributes_text(attributes: &Value) -> String {
    let Value::Array(items) = attributes else {
        return json_text(attributes);
    };
    let rebuilt = items
        .iter()
        .map(|item| match item {
            _ if is_intrinsic(item) => item.clone(),
            Value::Object(_) | Value::Array(_) | Value::Null => {
                let mut entry = Map::new();
                for (from, to) in [("Key", "key"), ("Value", "value")] {
                    if let Some(value) = get(item, from) {
                        entry.insert(to.to_owned(), coerce(value, Kind::String));
                    }
                }
                Value::Object(entry)
            }
            other => other.clone(),
        })
        .collect();
    json_text(&Value::Array(rebuilt))
}

/// Whether the attribute text has `key` immediately followed by the value `"true"`, as cdk-nag's regex asks.
fn attribute_enabled(attributes: &Value, key: &str) -> bool {
    attributes_text(attributes).contains(&format!("\"{key}\",\"value\":\"true\""))
}

fn drop_invalid_header_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let lb_type = primitive(properties, "Type", Kind::String, context)?;
    let application = lb_type.is_none() || loose_eq(lb_type.as_ref(), &Value::from("application"));
    if !application {
        return Ok(Outcome::Compliant);
    }
    Ok(verdict(
        get(properties, "LoadBalancerAttributes").is_some_and(|attributes| {
            attribute_enabled(
                attributes,
                "routing.http.drop_invalid_header_fields.enabled",
            )
        }),
    ))
}

fn http_to_https_redirection(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let protocol = primitive(properties, "Protocol", Kind::String, context)?;
    if !loose_eq(protocol.as_ref(), &Value::from("HTTP")) {
        return Ok(Outcome::Compliant);
    }
    // Every action is visited (no early exit), so a later redirect without `RedirectConfig` still throws.
    let mut redirects = false;
    for action in for_of(get(properties, "DefaultActions"), "DefaultActions")? {
        if !loose_eq(
            read(&action, "Type", Kind::String).as_ref(),
            &Value::from("redirect"),
        ) {
            continue;
        }
        let config = get(&action, "RedirectConfig").ok_or_else(|| {
            Thrown(
                "a `redirect` action has no `RedirectConfig`, so cdk-nag's property read throws"
                    .to_owned(),
            )
        })?;
        if loose_eq(
            read(config, "Protocol", Kind::String).as_ref(),
            &Value::from("HTTPS"),
        ) {
            redirects = true;
        }
    }
    Ok(verdict(redirects))
}

/// An ACM certificate ARN, as cdk-nag's `^arn:[^:]+:acm:.+$` (JavaScript's `.` stops at line terminators).
fn is_acm_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:") else {
        return false;
    };
    let Some((partition, tail)) = rest.split_once(':') else {
        return false;
    };
    let Some(resource) = tail.strip_prefix("acm:") else {
        return false;
    };
    !partition.is_empty()
        && !resource.is_empty()
        && !resource.contains(['\n', '\r', '\u{2028}', '\u{2029}'])
}

fn classic_acm_certificate_required(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(listeners) = get(&resource.properties, "Listeners") else {
        return Ok(Outcome::Compliant);
    };
    for listener in for_of(Some(listeners), "Listeners")? {
        // Every listener is tested, plain HTTP and TCP ones included.
        let arn = primitive(&listener, "SSLCertificateId", Kind::String, context)?;
        let acm = match arn {
            Some(Value::String(arn)) => is_acm_arn(&arn),
            _ => false,
        };
        if !acm {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

/// `list.length` of a string-list property as CDK holds it: an intrinsic becomes a one-element list token; a
/// string has its UTF-16 length; other scalars have none (`undefined < 2` is false). (Not `lambda.rs`'s
/// `absent_or_empty`, which reads a resolved value, where an intrinsic is an object without a length.)
fn string_list_len(value: &Value) -> Option<usize> {
    match value {
        Value::Array(items) => Some(items.len()),
        Value::Object(_) => Some(1),
        Value::String(text) => Some(text.encode_utf16().count()),
        _ => None,
    }
}

fn cross_zone_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "CrossZone").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    let fewer_than_two = |path| {
        get(properties, path)
            .and_then(string_list_len)
            .is_some_and(|len| len < 2)
    };
    let too_few_zones = match get(properties, "Subnets") {
        None => {
            get(properties, "AvailabilityZones").is_none() || fewer_than_two("AvailabilityZones")
        }
        Some(_) => fewer_than_two("Subnets"),
    };
    if too_few_zones {
        return Ok(Outcome::NonCompliant);
    }
    let cross_zone = primitive(properties, "CrossZone", Kind::Boolean, context)?;
    Ok(verdict(loose_eq(cross_zone.as_ref(), &Value::Bool(true))))
}

fn deletion_protection_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(attributes) = get(&resource.properties, "LoadBalancerAttributes") else {
        return Ok(Outcome::NonCompliant);
    };
    let enabled = for_of(Some(attributes), "LoadBalancerAttributes")?
        .iter()
        .any(|attribute| {
            // Loose equality on coerced strings: a YAML boolean `true` becomes "true" first.
            loose_eq(
                read(attribute, "Key", Kind::String).as_ref(),
                &Value::from("deletion_protection.enabled"),
            ) && loose_eq(
                read(attribute, "Value", Kind::String).as_ref(),
                &Value::from("true"),
            )
        });
    Ok(verdict(enabled))
}

fn logging_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if resource.resource_type == "AWS::ElasticLoadBalancing::LoadBalancer" {
        if get(properties, "AccessLoggingPolicy").is_none() {
            return Ok(Outcome::NonCompliant);
        }
        let enabled = primitive(
            properties,
            "AccessLoggingPolicy.Enabled",
            Kind::Boolean,
            context,
        )?;
        return Ok(verdict(!loose_eq(enabled.as_ref(), &Value::Bool(false))));
    }
    // cdk-nag calls `.search` on `JSON.stringify(undefined)`, which throws: UNKNOWN, not a failure.
    let attributes = get(properties, "LoadBalancerAttributes").ok_or_else(|| {
        Thrown("`LoadBalancerAttributes` is absent, so cdk-nag's text search throws".to_owned())
    })?;
    Ok(verdict(attribute_enabled(
        attributes,
        "access_logs.s3.enabled",
    )))
}

fn tls_https_listeners_only(resource: &Resource, context: &Context<'_>) -> Verdict {
    for listener in for_of(get(&resource.properties, "Listeners"), "Listeners")? {
        let protocol = primitive(&listener, "Protocol", Kind::String, context)?;
        let instance = primitive(&listener, "InstanceProtocol", Kind::String, context)?;
        let Some(Value::String(protocol)) = protocol else {
            return Err(Thrown(
                "a listener has no `Protocol`, so cdk-nag's `toLowerCase` throws".to_owned(),
            ));
        };
        let protocol = protocol.to_lowercase();
        if protocol != "ssl" && protocol != "https" {
            continue;
        }
        let matches = match &instance {
            None => true,
            Some(Value::String(instance)) => instance.to_lowercase() == protocol,
            Some(_) => false,
        };
        if !matches {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn v2_acm_certificate_required(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(certificates) = get(&resource.properties, "Certificates") else {
        return Ok(Outcome::NonCompliant);
    };
    // Any `CertificateArn` value counts; whether it is an ACM ARN is not checked.
    let found = for_of(Some(certificates), "Certificates")?
        .iter()
        .any(|certificate| get(certificate, "CertificateArn").is_some());
    Ok(verdict(found))
}

fn classic_no_http(resource: &Resource, context: &Context<'_>) -> Verdict {
    // `Listeners` is walked with `for...of`: absent or an intrinsic throws.
    for listener in for_of(get(&resource.properties, "Listeners"), "Listeners")? {
        if listener.is_null() {
            return Err(Thrown("a `Listeners` entry is null".to_owned()));
        }
        let protocol = primitive(&listener, "Protocol", Kind::String, context)?;
        let Some(Value::String(protocol)) = protocol else {
            return Err(Thrown(
                "a listener has no `Protocol`, so cdk-nag's `toLowerCase` throws".to_owned(),
            ));
        };
        let protocol = protocol.to_lowercase();
        if protocol == "http" || protocol == "https" {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn classic_connection_draining(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "ConnectionDrainingPolicy").is_none() {
        return Ok(Outcome::NonCompliant);
    }
    // An intrinsic policy has no `Enabled` (fails); an intrinsic `Enabled` throws.
    let enabled = primitive(
        properties,
        "ConnectionDrainingPolicy.Enabled",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(strict_eq(enabled.as_ref(), &Value::Bool(true))))
}
