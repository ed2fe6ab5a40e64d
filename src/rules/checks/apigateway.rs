//! Checks for API Gateway REST API stages: encrypted caching and execution logging on all methods, a client
//! certificate for calls to the backend, and X-Ray tracing.

use serde_json::Value;

use crate::rules::value::{
    for_of, get, loose_eq, primitive, read, strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Thrown, Verdict};
use crate::template::Resource;

const STAGE: &[&str] = &["AWS::ApiGateway::Stage"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "APIGWCacheEnabledAndEncrypted",
        resource_types: STAGE,
        problem: "The stage has no method setting for all methods and paths that turns on response caching with encrypted cache data",
        fix: "Add a `MethodSettings` entry with `HttpMethod: '*'`, `ResourcePath: '/*'`, `CachingEnabled: true` and `CacheDataEncrypted: true`",
        eval: cache_enabled_and_encrypted,
    },
    Check {
        name: "APIGWExecutionLoggingEnabled",
        resource_types: STAGE,
        problem: "The stage does not write execution logs for all methods and paths, so failed requests leave no trace",
        fix: "Add a `MethodSettings` entry with `HttpMethod: '*'`, `ResourcePath: '/*'` and `LoggingLevel: ERROR` or `INFO`",
        eval: execution_logging_enabled,
    },
    Check {
        name: "APIGWSSLEnabled",
        resource_types: STAGE,
        problem: "The stage has no client certificate, so the backend cannot tell that requests really come from API Gateway",
        fix: "Set `ClientCertificateId` to an `AWS::ApiGateway::ClientCertificate` and have the backend verify it",
        eval: ssl_enabled,
    },
    Check {
        name: "APIGWXrayEnabled",
        resource_types: STAGE,
        problem: "X-Ray tracing is off for the stage, so requests cannot be traced through the API and its backends",
        fix: "Set `TracingEnabled: true`",
        eval: xray_enabled,
    },
];

/// Whether some `MethodSettings` entry that applies to every method (`HttpMethod == '*'`) and path
/// (`ResourcePath == '/*'`) satisfies `test`. Absent `MethodSettings` gives `false`.
fn some_catch_all_setting(resource: &Resource, test: fn(&Value) -> bool) -> Result<bool, Thrown> {
    let Some(settings) = get(&resource.properties, "MethodSettings") else {
        return Ok(false);
    };
    Ok(for_of(Some(settings), "MethodSettings")?
        .iter()
        .any(|setting| {
            loose_eq(
                read(setting, "HttpMethod", Kind::String).as_ref(),
                &Value::from("*"),
            ) && loose_eq(
                read(setting, "ResourcePath", Kind::String).as_ref(),
                &Value::from("/*"),
            ) && test(setting)
        }))
}

fn cache_enabled_and_encrypted(resource: &Resource, _: &Context<'_>) -> Verdict {
    let found = some_catch_all_setting(resource, |setting| {
        truthy(read(setting, "CacheDataEncrypted", Kind::Boolean).as_ref())
            && truthy(read(setting, "CachingEnabled", Kind::Boolean).as_ref())
    })?;
    Ok(verdict(found))
}

fn execution_logging_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    let found = some_catch_all_setting(resource, |setting| {
        let level = read(setting, "LoggingLevel", Kind::String);
        // Case-sensitive: `error` or `info` in lower case do not count.
        loose_eq(level.as_ref(), &Value::from("ERROR"))
            || loose_eq(level.as_ref(), &Value::from("INFO"))
    })?;
    Ok(verdict(found))
}

fn ssl_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value counts, an intrinsic included.
    Ok(verdict(
        get(&resource.properties, "ClientCertificateId").is_some(),
    ))
}

fn xray_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let tracing = primitive(
        &resource.properties,
        "TracingEnabled",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(strict_eq(tracing.as_ref(), &Value::Bool(true))))
}
