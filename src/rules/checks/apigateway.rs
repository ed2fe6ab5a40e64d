//! Checks for API Gateway: REST API stages (encrypted caching and execution logging on all methods, a client
//! certificate for calls to the backend, X-Ray tracing, access logs, a WAFv2 web ACL), REST and HTTP API stage
//! access logs, request validation on REST APIs, and authorization (any, or a Cognito user pool) on methods and
//! routes.

use serde_json::Value;

use crate::rules::value::{
    coerce, for_of, get, js_string, json_text, loose_eq, primitive, read, reference, regex,
    regex_test, strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const STAGE: &[&str] = &["AWS::ApiGateway::Stage"];
const V2_STAGE: &str = "AWS::ApiGatewayV2::Stage";
const METHOD: &str = "AWS::ApiGateway::Method";

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
    Check {
        name: "APIGWAccessLogging",
        resource_types: &["AWS::ApiGateway::Stage", V2_STAGE],
        problem: "The stage writes no access logs, or its access log setting lacks a destination or a format, so who called the API is not recorded",
        fix: "Set `AccessLogSetting` (`AccessLogSettings` on an HTTP API stage) with a `DestinationArn` and a `Format`",
        eval: access_logging,
    },
    Check {
        name: "APIGWRequestValidation",
        resource_types: &["AWS::ApiGateway::RestApi"],
        problem: "No request validator in the template checks both the bodies and the parameters of this REST API's requests",
        fix: "Add an `AWS::ApiGateway::RequestValidator` with `RestApiId: !Ref <api>`, `ValidateRequestBody: true` and `ValidateRequestParameters: true`",
        eval: request_validation,
    },
    Check {
        name: "APIGWAssociatedWithWAF",
        resource_types: STAGE,
        problem: "No WAFv2 web ACL in the template is associated with the stage, so requests reach it unfiltered",
        fix: "Add an `AWS::WAFv2::WebACLAssociation` whose `ResourceArn` is built from the stage's `RestApiId` and the stage (by `!Ref` or name)",
        eval: associated_with_waf,
    },
    Check {
        name: "APIGWAuthorization",
        resource_types: &[METHOD, "AWS::ApiGatewayV2::Route"],
        problem: "The method or route lets anyone call it without authorization",
        fix: "Set `AuthorizationType` to `AWS_IAM`, `COGNITO_USER_POOLS`, `CUSTOM` or `JWT` (with an authorizer) instead of `NONE`",
        eval: authorization,
    },
    Check {
        name: "CognitoUserPoolAPIGWAuthorizer",
        resource_types: &[METHOD],
        problem: "The method does not authorize callers with a Cognito user pool authorizer",
        fix: "Set `AuthorizationType: COGNITO_USER_POOLS` and `AuthorizerId` to an authorizer of type `COGNITO_USER_POOLS`",
        eval: cognito_user_pool_authorizer,
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

fn access_logging(resource: &Resource, _: &Context<'_>) -> Verdict {
    let setting = if resource.resource_type == V2_STAGE {
        "AccessLogSettings"
    } else {
        "AccessLogSetting"
    };
    let properties = &resource.properties;
    // Any value counts as present; an intrinsic in place of the whole setting has neither key and fails.
    let present = |key: &str| get(properties, &format!("{setting}.{key}")).is_some();
    Ok(verdict(
        get(properties, setting).is_some() && present("DestinationArn") && present("Format"),
    ))
}

fn request_validation(resource: &Resource, context: &Context<'_>) -> Verdict {
    let api = Value::String(resource.logical_id.clone());
    let yes = Value::Bool(true);
    let validated = context
        .resources_of_type("AWS::ApiGateway::RequestValidator")
        .any(|validator| {
            let properties = &validator.properties;
            get(properties, "RestApiId").is_some_and(|id| reference(id) == api)
                && strict_eq(
                    read(properties, "ValidateRequestBody", Kind::Boolean).as_ref(),
                    &yes,
                )
                && strict_eq(
                    read(properties, "ValidateRequestParameters", Kind::Boolean).as_ref(),
                    &yes,
                )
        });
    Ok(verdict(validated))
}

/// `ref(value)` as a JavaScript template literal inserts it: an absent value is `undefined`, an intrinsic that
/// names no resource `[object Object]`.
fn inserted_reference(value: Option<&Value>) -> String {
    value.map_or_else(
        || "undefined".to_owned(),
        |value| js_string(&reference(&coerce(value, Kind::String))),
    )
}

fn associated_with_waf(resource: &Resource, context: &Context<'_>) -> Verdict {
    let associations: Vec<&Resource> = context
        .resources_of_type("AWS::WAFv2::WebACLAssociation")
        .collect();
    if associations.is_empty() {
        return Ok(Outcome::NonCompliant);
    }
    let properties = &resource.properties;
    let rest_api = inserted_reference(get(properties, "RestApiId"));
    // The IDs go into the regex unescaped, as cdk-nag inserts them; the look-ahead keeps `Stage` from matching
    // the start of `Stage2`, but nothing stops `MyApi` from matching inside `MyApi2`.
    let mut alternatives = vec![format!("{rest_api}.+{}(?![\\w])", resource.logical_id)];
    if let Some(name) = get(properties, "StageName") {
        alternatives.push(format!(
            "{rest_api}.+{}(?![\\w])",
            inserted_reference(Some(name))
        ));
    }
    let pattern = regex(&alternatives.join("|"))?;
    for association in associations {
        let arn = get(&association.properties, "ResourceArn")
            .map_or_else(|| "undefined".to_owned(), json_text);
        if regex_test(&pattern, &arn)? {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

fn authorization(resource: &Resource, context: &Context<'_>) -> Verdict {
    let authorization = primitive(
        &resource.properties,
        "AuthorizationType",
        Kind::String,
        context,
    )?;
    // Case-sensitive: `none` passes.
    Ok(verdict(
        authorization.is_some() && !loose_eq(authorization.as_ref(), &Value::from("NONE")),
    ))
}

fn cognito_user_pool_authorizer(resource: &Resource, _: &Context<'_>) -> Verdict {
    // The raw value, not resolved: an intrinsic never equals the literal.
    let authorization = read(&resource.properties, "AuthorizationType", Kind::String);
    Ok(verdict(strict_eq(
        authorization.as_ref(),
        &Value::from("COGNITO_USER_POOLS"),
    )))
}
