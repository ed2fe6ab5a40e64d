//! Checks for EMR clusters: Kerberos authentication, or at least an EC2 key pair; S3 logging; and local disk
//! and in-transit encryption through a security configuration of the same template.

use serde_json::Value;

use crate::rules::value::{coerce, get, read, reference, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const CLUSTER: &[&str] = &["AWS::EMR::Cluster"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "EMRKerberosEnabled",
        resource_types: CLUSTER,
        problem: "The EMR cluster does not authenticate users and services with Kerberos",
        fix: "Set `KerberosAttributes` (with `Realm` and `KdcAdminPassword`) and a security configuration that enables Kerberos",
        eval: kerberos_enabled,
    },
    Check {
        name: "EMRS3AccessLogging",
        resource_types: CLUSTER,
        problem: "The cluster does not archive its log files to S3, so they are lost when the cluster ends",
        fix: "Set `LogUri` to an `s3://` location",
        eval: s3_access_logging,
    },
    Check {
        name: "EMRLocalDiskEncryption",
        resource_types: CLUSTER,
        problem: "The cluster has no security configuration in the template that encrypts its instances' local disks",
        fix: "Set `SecurityConfiguration` to an `AWS::EMR::SecurityConfiguration` of the template whose JSON has `EnableAtRestEncryption: true` and `AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration.EncryptionKeyProviderType` at its top level",
        eval: local_disk_encryption,
    },
    Check {
        name: "EMREncryptionInTransit",
        resource_types: CLUSTER,
        problem: "The cluster has no security configuration in the template that encrypts data in transit with TLS",
        fix: "Set `SecurityConfiguration` to an `AWS::EMR::SecurityConfiguration` of the template whose JSON has `EnableInTransitEncryption: true` and `InTransitEncryptionConfiguration.TLSCertificateConfiguration.CertificateProviderType` at its top level",
        eval: encryption_in_transit,
    },
    Check {
        name: "EMRAuthEC2KeyPairOrKerberos",
        resource_types: CLUSTER,
        problem: "The cluster authenticates neither with Kerberos nor with an EC2 key pair",
        fix: "Set `KerberosAttributes`, or at least `Instances.Ec2KeyName`",
        eval: auth_key_pair_or_kerberos,
    },
];

fn kerberos_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value counts as present, an intrinsic included.
    Ok(verdict(
        get(&resource.properties, "KerberosAttributes").is_some(),
    ))
}

fn s3_access_logging(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "LogUri").is_some()))
}

/// Whether a security configuration of the template that the cluster names (`ref()` of its
/// `SecurityConfiguration` equal to the configuration's logical ID or to its raw `Name`) has a
/// `SecurityConfiguration` JSON that passes `test`. A cluster without `SecurityConfiguration` fails.
fn security_configuration_passes(
    resource: &Resource,
    context: &Context<'_>,
    test: fn(&Value) -> bool,
) -> Verdict {
    let Some(wanted) = get(&resource.properties, "SecurityConfiguration")
        .map(|value| reference(&coerce(value, Kind::String)))
    else {
        return Ok(Outcome::NonCompliant);
    };
    let found = context
        .resources_of_type("AWS::EMR::SecurityConfiguration")
        .any(|configuration| {
            let properties = &configuration.properties;
            let named = wanted.as_str() == Some(configuration.logical_id.as_str())
                || strict_eq(read(properties, "Name", Kind::String).as_ref(), &wanted);
            // The JSON is read at its top level as authored; a JSON string is not parsed.
            named && get(properties, "SecurityConfiguration").is_some_and(test)
        });
    Ok(verdict(found))
}

fn local_disk_encryption(resource: &Resource, context: &Context<'_>) -> Verdict {
    security_configuration_passes(resource, context, |json| {
        strict_eq(get(json, "EnableAtRestEncryption"), &Value::Bool(true))
            && get(
                json,
                "AtRestEncryptionConfiguration.LocalDiskEncryptionConfiguration.EncryptionKeyProviderType",
            )
            .is_some()
    })
}

fn encryption_in_transit(resource: &Resource, context: &Context<'_>) -> Verdict {
    security_configuration_passes(resource, context, |json| {
        strict_eq(get(json, "EnableInTransitEncryption"), &Value::Bool(true))
            && get(
                json,
                "InTransitEncryptionConfiguration.TLSCertificateConfiguration.CertificateProviderType",
            )
            .is_some()
    })
}

fn auth_key_pair_or_kerberos(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if get(properties, "KerberosAttributes").is_some() {
        return Ok(Outcome::Compliant);
    }
    // cdk-nag reads `Ec2KeyName` of `Instances` without a guard, so a cluster without `Instances` throws.
    let Some(instances) = get(properties, "Instances") else {
        return Err(Thrown(
            "`Instances` is absent, so the rule cannot read `Instances.Ec2KeyName`".to_owned(),
        ));
    };
    Ok(verdict(get(instances, "Ec2KeyName").is_some()))
}
