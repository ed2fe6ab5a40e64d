//! Checks for MSK (Managed Streaming for Apache Kafka) clusters: TLS between clients and brokers and between
//! brokers, and broker logs delivered somewhere.

use serde_json::Value;

use crate::rules::value::{get, loose_eq, primitive, strict_eq, truthy, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CLUSTER: &[&str] = &["AWS::MSK::Cluster"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "MSKClientToBrokerTLS",
        resource_types: CLUSTER,
        problem: "Clients may talk to the MSK brokers in plaintext",
        fix: "Set `EncryptionInfo.EncryptionInTransit.ClientBroker: TLS` or leave it out (TLS is the default)",
        eval: client_to_broker_tls,
    },
    Check {
        name: "MSKBrokerToBrokerTLS",
        resource_types: CLUSTER,
        problem: "The MSK brokers replicate data to each other in plaintext",
        fix: "Set `EncryptionInfo.EncryptionInTransit.InCluster: true` or leave it out (true is the default)",
        eval: broker_to_broker_tls,
    },
    Check {
        name: "MSKBrokerLogging",
        resource_types: CLUSTER,
        problem: "The MSK cluster does not deliver its broker logs anywhere",
        fix: "Enable at least one of `S3`, `CloudWatchLogs` or `Firehose` in `LoggingInfo.BrokerLogs` with `Enabled: true`",
        eval: broker_logging,
    },
];

fn client_to_broker_tls(resource: &Resource, context: &Context<'_>) -> Verdict {
    let client_broker = primitive(
        &resource.properties,
        "EncryptionInfo.EncryptionInTransit.ClientBroker",
        Kind::String,
        context,
    )?;
    // Absent means the default, TLS; any other value (loosely) fails.
    let fail = client_broker.is_some() && !loose_eq(client_broker.as_ref(), &Value::from("TLS"));
    Ok(verdict(!fail))
}

fn broker_to_broker_tls(resource: &Resource, context: &Context<'_>) -> Verdict {
    let in_cluster = primitive(
        &resource.properties,
        "EncryptionInfo.EncryptionInTransit.InCluster",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(!strict_eq(
        in_cluster.as_ref(),
        &Value::Bool(false),
    )))
}

fn broker_logging(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(logging) = get(&resource.properties, "LoggingInfo") else {
        return Ok(Outcome::NonCompliant);
    };
    let broker_logs = get(logging, "BrokerLogs").ok_or_else(|| {
        Thrown("`LoggingInfo` has no `BrokerLogs`, which the rule reads unconditionally".to_owned())
    })?;
    // Every destination is read (and may throw), even after an enabled one.
    let mut enabled = false;
    for destination in ["S3", "CloudWatchLogs", "Firehose"] {
        if let Some(settings) = get(broker_logs, destination) {
            let on = primitive(settings, "Enabled", Kind::Boolean, context)?;
            enabled |= truthy(on.as_ref());
        }
    }
    Ok(verdict(enabled))
}
