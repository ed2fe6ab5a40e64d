//! Checks for MediaStore containers: access logging, CloudWatch metrics, a container policy that refuses
//! requests without TLS, and the presence of container, CORS and lifecycle policies.

use serde_json::Value;

use crate::rules::value::{get, js_string, loose_eq, primitive, read, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

use super::policy::denies_insecure_transport;

const CONTAINER: &[&str] = &["AWS::MediaStore::Container"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "MediaStoreContainerAccessLogging",
        resource_types: CONTAINER,
        problem: "The container does not send access logs to CloudWatch Logs, so requests to it leave no trace",
        fix: "Set `AccessLoggingEnabled: true`",
        eval: access_logging,
    },
    Check {
        name: "MediaStoreContainerSSLRequestsOnly",
        resource_types: CONTAINER,
        problem: "The container policy does not deny requests made without TLS",
        fix: "Add to `Policy` a statement `Effect: Deny`, `Principal: '*'`, `Action: 'mediastore:*'` and `Condition: {Bool: {'aws:SecureTransport': 'false'}}`",
        eval: ssl_requests_only,
    },
    Check {
        name: "MediaStoreCloudWatchMetricPolicy",
        resource_types: CONTAINER,
        problem: "The container does not publish container-level metrics to CloudWatch",
        fix: "Set `MetricPolicy.ContainerLevelMetrics: ENABLED`",
        eval: cloud_watch_metric_policy,
    },
    Check {
        name: "MediaStoreContainerHasContainerPolicy",
        resource_types: CONTAINER,
        problem: "The container has no container policy, so access to it is not restricted beyond IAM defaults",
        fix: "Set `Policy` to a container policy granting only the access the container needs",
        eval: has_container_policy,
    },
    Check {
        name: "MediaStoreContainerCORSPolicy",
        resource_types: CONTAINER,
        problem: "The container has no CORS policy, so browsers' cross-origin access to it is not controlled",
        fix: "Set `CorsPolicy` to a list of CORS rules naming the allowed origins, methods and headers",
        eval: cors_policy,
    },
    Check {
        name: "MediaStoreContainerLifecyclePolicy",
        resource_types: CONTAINER,
        problem: "The container has no lifecycle policy, so objects are kept until someone deletes them",
        fix: "Set `LifecyclePolicy` to a lifecycle policy that expires or transitions objects",
        eval: lifecycle_policy,
    },
];

fn access_logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let enabled = primitive(
        &resource.properties,
        "AccessLoggingEnabled",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(strict_eq(enabled.as_ref(), &Value::Bool(true))))
}

fn ssl_requests_only(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(policy) = read(&resource.properties, "Policy", Kind::String) else {
        return Ok(Outcome::NonCompliant);
    };
    // `JSON.parse(policy)`: the argument is converted to a string first, so an intrinsic (`[object Object]`)
    // or invalid JSON throws.
    let text = js_string(&policy);
    let parsed: Value = serde_json::from_str(&text).map_err(|error| {
        Thrown(format!(
            "`Policy` is not a JSON policy document that can be parsed ({error})"
        ))
    })?;
    Ok(verdict(denies_insecure_transport(
        get(&parsed, "Statement"),
        "Policy.Statement",
        all_mediastore_actions,
    )?))
}

/// `'*'` or `mediastore:*`, case-insensitively.
fn all_mediastore_actions(action: &str) -> bool {
    action == "*" || action.to_lowercase() == "mediastore:*"
}

fn cloud_watch_metric_policy(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(metric_policy) = get(&resource.properties, "MetricPolicy") else {
        return Ok(Outcome::NonCompliant);
    };
    // An intrinsic `MetricPolicy` has no `ContainerLevelMetrics` member, which reads as absent and fails.
    let metrics = primitive(
        metric_policy,
        "ContainerLevelMetrics",
        Kind::String,
        context,
    )?;
    Ok(verdict(loose_eq(metrics.as_ref(), &Value::from("ENABLED"))))
}

fn has_container_policy(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "Policy").is_some()))
}

fn cors_policy(resource: &Resource, _: &Context<'_>) -> Verdict {
    // `corsPolicy.length == 0`: an empty list (or string) fails; an intrinsic has no length and passes.
    let empty = match get(&resource.properties, "CorsPolicy") {
        None => true,
        Some(Value::Array(rules)) => rules.is_empty(),
        Some(Value::String(text)) => text.is_empty(),
        Some(_) => false,
    };
    Ok(verdict(!empty))
}

fn lifecycle_policy(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(&resource.properties, "LifecyclePolicy").is_some(),
    ))
}
