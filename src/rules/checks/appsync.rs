//! Checks for AppSync GraphQL APIs: request logging to CloudWatch Logs with verbose content.

use serde_json::Value;

use crate::rules::value::{get, primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "AppSyncGraphQLRequestLogging",
    resource_types: &["AWS::AppSync::GraphQLApi"],
    problem: "The GraphQL API does not log its requests to CloudWatch Logs, or leaves out their verbose content",
    fix: "Set `LogConfig` with a `CloudWatchLogsRoleArn` and without `ExcludeVerboseContent: true`",
    eval: graphql_request_logging,
}];

fn graphql_request_logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    // An intrinsic in place of `LogConfig` has no role and fails.
    if get(properties, "LogConfig").is_none()
        || get(properties, "LogConfig.CloudWatchLogsRoleArn").is_none()
    {
        return Ok(Outcome::NonCompliant);
    }
    let exclude = primitive(
        properties,
        "LogConfig.ExcludeVerboseContent",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(!strict_eq(exclude.as_ref(), &Value::Bool(true))))
}
