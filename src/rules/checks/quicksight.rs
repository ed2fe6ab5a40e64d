//! Checks for QuickSight data sources: connections to the data source use SSL.

use serde_json::Value;

use crate::rules::value::{primitive, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

/// The checks of this file.
pub const CHECKS: &[Check] = &[Check {
    name: "QuicksightSSLConnections",
    resource_types: &["AWS::QuickSight::DataSource"],
    problem: "SSL is turned off for the data source, so QuickSight talks to it unencrypted",
    fix: "Remove `SslProperties.DisableSsl` or set it to `false`",
    eval: ssl_connections,
}];

fn ssl_connections(resource: &Resource, context: &Context<'_>) -> Verdict {
    let disabled = primitive(
        &resource.properties,
        "SslProperties.DisableSsl",
        Kind::Boolean,
        context,
    )?;
    // Only the boolean `true` fails; absent settings keep SSL on.
    Ok(verdict(!strict_eq(disabled.as_ref(), &Value::Bool(true))))
}
