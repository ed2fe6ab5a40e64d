//! Checks for EC2 instances and EBS volumes (and the Auto Scaling launch settings that create instances): EBS
//! optimisation on the older types where it is optional, IMDSv2 through the launch template or configuration,
//! encrypted EBS volumes and block devices (also through launch templates), detailed monitoring, termination
//! protection, no public IP on network interfaces, an instance profile, and a subnet. Backups of EBS volumes
//! are checked in `backup.rs`.

use serde_json::Value;

use crate::rules::value::{
    coerce, for_of, get, json_text, loose_eq, primitive, read, reference, resolve_primitive,
    strict_eq, truthy, verdict, Kind,
};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const INSTANCE: &[&str] = &["AWS::EC2::Instance"];

/// Instance types that support EBS optimisation without having it on by default.
const EBS_OPTIMIZABLE: &[&str] = &[
    "c1.xlarge",
    "c3.xlarge",
    "c3.2xlarge",
    "c3.4xlarge",
    "g2.2xlarge",
    "i2.xlarge",
    "i2.2xlarge",
    "i2.4xlarge",
    "m1.large",
    "m1.xlarge",
    "m2.2xlarge",
    "m2.4xlarge",
    "m3.xlarge",
    "m3.2xlarge",
    "r3.xlarge",
    "r3.2xlarge",
    "r3.4xlarge",
];

/// The type EC2 launches when `InstanceType` is not given.
const DEFAULT_INSTANCE_TYPE: &str = "m1.small";

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "EC2EBSOptimizedInstance",
        resource_types: INSTANCE,
        problem: "The instance type supports EBS optimisation but it is not turned on, so storage traffic competes with network traffic",
        fix: "Set `EbsOptimized: true`, or use a current instance type that is EBS-optimised by default",
        eval: ebs_optimized_instance,
    },
    Check {
        name: "EC2EBSVolumeEncrypted",
        resource_types: &[
            "AWS::EC2::Volume",
            "AWS::EC2::Instance",
            "AWS::AutoScaling::LaunchConfiguration",
            "AWS::AutoScaling::AutoScalingGroup",
        ],
        problem: "An EBS volume, or a block device the instances are launched with, is not encrypted",
        fix: "Set `Encrypted: true` on the volume, or `Ebs.Encrypted: true` on every `BlockDeviceMappings` entry of the instance, launch configuration or launch template",
        eval: ebs_volume_encrypted,
    },
    Check {
        name: "EC2IMDSv2Enabled",
        resource_types: &["AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup"],
        problem: "The instance metadata service does not require session tokens (IMDSv2), which leaves instance credentials open to request forgery",
        fix: "Launch from an `AWS::EC2::LaunchTemplate` (or, for groups, a launch configuration) in this template whose `MetadataOptions` set `HttpTokens: required`",
        eval: imdsv2_enabled,
    },
    Check {
        name: "EC2InstanceDetailedMonitoringEnabled",
        resource_types: &["AWS::EC2::Instance", "AWS::AutoScaling::LaunchConfiguration"],
        problem: "Detailed monitoring is off, so instance metrics arrive only every five minutes",
        fix: "Set `Monitoring: true` on instances and do not set `InstanceMonitoring: false` on launch configurations",
        eval: detailed_monitoring_enabled,
    },
    Check {
        name: "EC2InstanceTerminationProtection",
        resource_types: INSTANCE,
        problem: "The instance can be terminated through the API or console without first turning off termination protection",
        fix: "Set `DisableApiTermination: true`",
        eval: termination_protection,
    },
    Check {
        name: "EC2InstanceNoPublicIp",
        resource_types: INSTANCE,
        problem: "A network interface of the instance is given a public IP address, making the instance reachable from the internet",
        fix: "Set `AssociatePublicIpAddress: false` on every entry of `NetworkInterfaces` and reach the instance through a load balancer or Session Manager",
        eval: no_public_ip,
    },
    Check {
        name: "EC2InstanceProfileAttached",
        resource_types: INSTANCE,
        problem: "The instance has no instance profile, so software on it has no role for scoped, temporary AWS credentials",
        fix: "Set `IamInstanceProfile` to an `AWS::IAM::InstanceProfile` whose role grants only what the instance needs",
        eval: instance_profile_attached,
    },
    Check {
        name: "EC2InstancesInVPC",
        resource_types: INSTANCE,
        problem: "The instance names no subnet of its own, so it is not placed in a chosen VPC subnet",
        fix: "Set the instance's top-level `SubnetId` to a private subnet of your VPC",
        eval: instances_in_vpc,
    },
];

fn ebs_optimized_instance(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let raw_type = get(properties, "InstanceType");
    // An empty or absent type means the default type; any other value must be a literal.
    let instance_type = if truthy(raw_type) {
        raw_type
            .map(|value| resolve_primitive(value, Kind::String, context))
            .transpose()?
    } else {
        Some(Value::from(DEFAULT_INSTANCE_TYPE))
    };
    let optimizable = EBS_OPTIMIZABLE
        .iter()
        .any(|name| strict_eq(instance_type.as_ref(), &Value::from(*name)));
    let optimized = read(properties, "EbsOptimized", Kind::Boolean);
    Ok(verdict(
        !optimizable || strict_eq(optimized.as_ref(), &Value::Bool(true)),
    ))
}

/// JavaScript `===` between two raw values that may be absent: both absent are equal, literals compare by
/// value, and an intrinsic equals nothing (CDK holds each one as a distinct token).
fn raw_equal(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (left, right) {
        (None, None) => true,
        (Some(left), Some(right)) => strict_eq(Some(left), right),
        _ => false,
    }
}

/// The launch template a `LaunchTemplate` specification designates, with cdk-nag's matching (nag-rules.md
/// §2.3): the first `AWS::EC2::LaunchTemplate` of the template whose `LaunchTemplateName` equals the
/// specification's as raw values (so a specification without a name matches the first unnamed template), or
/// whose logical ID equals the specification's `LaunchTemplateId` as a literal string (`!Ref` does not match).
fn launch_template<'c>(specification: &Value, context: &'c Context<'_>) -> Option<&'c Resource> {
    let name = read(specification, "LaunchTemplateName", Kind::String);
    let id = read(specification, "LaunchTemplateId", Kind::String);
    context
        .resources_of_type("AWS::EC2::LaunchTemplate")
        .find(|template| {
            let template_name = read(&template.properties, "LaunchTemplateName", Kind::String);
            raw_equal(name.as_ref(), template_name.as_ref())
                || strict_eq(id.as_ref(), &Value::from(template.logical_id.as_str()))
        })
}

/// The launch configuration an Auto Scaling group's `LaunchConfigurationName` designates: the first one whose
/// `LaunchConfigurationName` equals it as a literal, or whose logical ID equals `ref()` of it.
fn launch_configuration<'c>(name: &Value, context: &'c Context<'_>) -> Option<&'c Resource> {
    let name = coerce(name, Kind::String);
    let referenced = reference(&name);
    context
        .resources_of_type("AWS::AutoScaling::LaunchConfiguration")
        .find(|configuration| {
            let own_name = read(
                &configuration.properties,
                "LaunchConfigurationName",
                Kind::String,
            );
            raw_equal(Some(&name), own_name.as_ref())
                || strict_eq(
                    Some(&referenced),
                    &Value::from(configuration.logical_id.as_str()),
                )
        })
}

/// `HttpTokens === 'required'` in the metadata options found at `path`.
fn tokens_required(properties: &Value, path: &str) -> bool {
    let tokens = read(properties, &format!("{path}.HttpTokens"), Kind::String);
    strict_eq(tokens.as_ref(), &Value::from("required"))
}

/// The verdict for a launch template: it requires session tokens, or it does not.
fn launch_template_verdict(template: &Resource) -> Verdict {
    let Some(data) = get(&template.properties, "LaunchTemplateData") else {
        return Err(Thrown(format!(
            "the launch template `{}` has no `LaunchTemplateData`, which the rule reads unconditionally",
            template.logical_id
        )));
    };
    Ok(verdict(tokens_required(data, "MetadataOptions")))
}

/// The verdict through a `LaunchTemplate` specification: no matching template in this stack fails.
fn through_launch_template(specification: &Value, context: &Context<'_>) -> Verdict {
    match launch_template(specification, context) {
        Some(template) => launch_template_verdict(template),
        None => Ok(Outcome::NonCompliant),
    }
}

fn imdsv2_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let specification = get(properties, "LaunchTemplate");
    if resource.resource_type == "AWS::EC2::Instance" {
        return match specification {
            Some(specification) => through_launch_template(specification, context),
            None => Ok(Outcome::NonCompliant),
        };
    }
    if let Some(specification) = specification.filter(|value| truthy(Some(value))) {
        return through_launch_template(specification, context);
    }
    let configuration_name = get(properties, "LaunchConfigurationName");
    if let Some(name) = configuration_name.filter(|value| truthy(Some(value))) {
        if let Some(configuration) = launch_configuration(name, context) {
            return Ok(verdict(tokens_required(
                &configuration.properties,
                "MetadataOptions",
            )));
        }
    }
    // No match, or neither property (a `MixedInstancesPolicy` only).
    Ok(Outcome::NonCompliant)
}

fn detailed_monitoring_enabled(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if resource.resource_type == "AWS::EC2::Instance" {
        let monitoring = primitive(properties, "Monitoring", Kind::Boolean, context)?;
        return Ok(verdict(
            monitoring.is_some() && !loose_eq(monitoring.as_ref(), &Value::Bool(false)),
        ));
    }
    // Launch configurations monitor in detail by default: only an explicit false fails.
    let monitoring = primitive(properties, "InstanceMonitoring", Kind::Boolean, context)?;
    Ok(verdict(
        monitoring.is_none() || !loose_eq(monitoring.as_ref(), &Value::Bool(false)),
    ))
}

fn no_public_ip(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(interfaces) = get(&resource.properties, "NetworkInterfaces") else {
        return Ok(Outcome::Compliant);
    };
    for interface in for_of(Some(interfaces), "NetworkInterfaces")? {
        if interface.is_null() {
            return Err(Thrown("a `NetworkInterfaces` entry is null".to_owned()));
        }
        let public = primitive(
            &interface,
            "AssociatePublicIpAddress",
            Kind::Boolean,
            context,
        )?;
        if strict_eq(public.as_ref(), &Value::Bool(true)) {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

fn instance_profile_attached(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(
        get(&resource.properties, "IamInstanceProfile").is_some(),
    ))
}

fn instances_in_vpc(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Only the top-level subnet counts; one given inside `NetworkInterfaces` does not.
    Ok(verdict(get(&resource.properties, "SubnetId").is_some()))
}

fn termination_protection(resource: &Resource, context: &Context<'_>) -> Verdict {
    let protected = primitive(
        &resource.properties,
        "DisableApiTermination",
        Kind::Boolean,
        context,
    )?;
    Ok(verdict(strict_eq(protected.as_ref(), &Value::Bool(true))))
}

/// What a list of block device mappings says about encryption, as cdk-nag classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockDevices {
    /// Every mapping has `Ebs.Encrypted === true`.
    Encrypted,
    /// Some mapping does not.
    Unencrypted,
    /// No mappings (absent or an empty list).
    Absent,
}

/// Whether one block device mapping's `Ebs.Encrypted` is literally `true`. cdk-nag reads `mapping.ebs.encrypted`,
/// so a mapping without `Ebs` (an instance-store or `NoDevice` mapping, or an intrinsic entry) throws.
fn mapping_encrypted(mapping: &Value, context: &Context<'_>) -> Result<bool, Thrown> {
    let Some(ebs) = get(mapping, "Ebs") else {
        return Err(Thrown(
            "a `BlockDeviceMappings` entry has no `Ebs`, whose `Encrypted` cdk-nag reads unconditionally"
                .to_owned(),
        ));
    };
    let encrypted = primitive(ebs, "Encrypted", Kind::Boolean, context)?;
    Ok(strict_eq(encrypted.as_ref(), &Value::Bool(true)))
}

/// The state of an instance's or launch template's `BlockDeviceMappings`: cdk-nag's `length === 0` test, then
/// `every` mapping encrypted (stopping at the first one that is not, so a later mapping without `Ebs` is never
/// read). A value without `length` or `every` (an intrinsic in place of the list) throws.
fn block_devices(mappings: Option<&Value>, context: &Context<'_>) -> Result<BlockDevices, Thrown> {
    let items = match mappings {
        None => return Ok(BlockDevices::Absent),
        Some(Value::Array(items)) if items.is_empty() => return Ok(BlockDevices::Absent),
        Some(Value::String(text)) if text.is_empty() => return Ok(BlockDevices::Absent),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Thrown(format!(
                "`BlockDeviceMappings` is {}, not a list, so cdk-nag cannot check every mapping",
                json_text(other)
            )))
        }
    };
    for mapping in items {
        if !mapping_encrypted(mapping, context)? {
            return Ok(BlockDevices::Unencrypted);
        }
    }
    Ok(BlockDevices::Encrypted)
}

/// The block device state of a launch template, from `LaunchTemplateData.BlockDeviceMappings`; a template
/// without `LaunchTemplateData` throws.
fn launch_template_devices(
    template: &Resource,
    context: &Context<'_>,
) -> Result<BlockDevices, Thrown> {
    let Some(data) = get(&template.properties, "LaunchTemplateData") else {
        return Err(Thrown(format!(
            "the launch template `{}` has no `LaunchTemplateData`, which the rule reads unconditionally",
            template.logical_id
        )));
    };
    block_devices(get(data, "BlockDeviceMappings"), context)
}

/// The launch template an instance or Auto Scaling group uses, with cdk-nag's matching (see
/// [`launch_template`]). Without any launch template in the template there is nothing to look up; with some,
/// a resource without a `LaunchTemplate` makes cdk-nag read a name of `undefined`, which throws.
fn ebs_launch_template<'c>(
    resource: &Resource,
    context: &'c Context<'_>,
) -> Result<Option<&'c Resource>, Thrown> {
    if context
        .resources_of_type("AWS::EC2::LaunchTemplate")
        .next()
        .is_none()
    {
        return Ok(None);
    }
    match get(&resource.properties, "LaunchTemplate") {
        Some(specification) => Ok(launch_template(specification, context)),
        None => Err(Thrown(
            "the template has launch templates but the resource has no `LaunchTemplate`, so cdk-nag's lookup throws"
                .to_owned(),
        )),
    }
}

fn ebs_volume_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    match resource.resource_type.as_str() {
        "AWS::EC2::Volume" => {
            let encrypted = primitive(properties, "Encrypted", Kind::Boolean, context)?;
            Ok(verdict(strict_eq(encrypted.as_ref(), &Value::Bool(true))))
        }
        "AWS::EC2::Instance" => instance_volumes_encrypted(resource, context),
        "AWS::AutoScaling::LaunchConfiguration" => {
            launch_configuration_volumes_encrypted(resource, context)
        }
        _ => group_volumes_encrypted(resource, context),
    }
}

/// An instance: its own mappings, combined with those of the launch template it uses, if one matches.
fn instance_volumes_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    let own = block_devices(get(&resource.properties, "BlockDeviceMappings"), context)?;
    let Some(template) = ebs_launch_template(resource, context)? else {
        return Ok(verdict(own == BlockDevices::Encrypted));
    };
    let templated = launch_template_devices(template, context)?;
    let fail = (own == BlockDevices::Absent && templated == BlockDevices::Absent)
        || own == BlockDevices::Unencrypted
        || templated == BlockDevices::Unencrypted;
    Ok(verdict(!fail))
}

/// A launch configuration: absent mappings fail, an empty list passes, and the first mapping not encrypted
/// fails (before any later mapping without `Ebs` is read).
fn launch_configuration_volumes_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(mappings) = get(&resource.properties, "BlockDeviceMappings") else {
        return Ok(Outcome::NonCompliant);
    };
    for mapping in for_of(Some(mappings), "BlockDeviceMappings")? {
        if !mapping_encrypted(&mapping, context)? {
            return Ok(Outcome::NonCompliant);
        }
    }
    Ok(Outcome::Compliant)
}

/// An Auto Scaling group is judged only through a launch template of this template; without one the rule
/// does not apply.
fn group_volumes_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    match ebs_launch_template(resource, context)? {
        Some(template) => Ok(verdict(
            launch_template_devices(template, context)? == BlockDevices::Encrypted,
        )),
        None => Ok(Outcome::NotApplicable),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::rules::engine::run;
    use crate::rules::Compat;

    /// EC26 in a template without any launch template (the fixture has some, which changes the verdicts): an
    /// instance is judged on its own mappings and an Auto Scaling group does not apply.
    #[test]
    fn ebs_encryption_without_launch_templates() {
        let text = "Resources:\n  Bare:\n    Type: AWS::EC2::Instance\n    Properties: {ImageId: ami-1}\n  \
                    Encrypted:\n    Type: AWS::EC2::Instance\n    Properties:\n      BlockDeviceMappings:\n        \
                    - {DeviceName: /dev/xvda, Ebs: {Encrypted: true}}\n  \
                    Group:\n    Type: AWS::AutoScaling::AutoScalingGroup\n    Properties:\n      \
                    MinSize: '1'\n      MaxSize: '1'\n      LaunchConfigurationName: lc\n";
        let Ok(template) = crate::template::parse("t.yaml", text) else {
            panic!("the test template does not parse");
        };
        let Some(check) = CHECKS
            .iter()
            .find(|check| check.name == "EC2EBSVolumeEncrypted")
        else {
            panic!("the check is not in CHECKS");
        };
        let known = BTreeMap::new();
        let context = Context {
            template: &template,
            compat: Compat::CdkNag,
            known: &known,
        };
        let verdicts: Vec<Outcome> = template
            .resources
            .iter()
            .map(|resource| run(check, resource, &context))
            .collect();
        assert_eq!(
            verdicts,
            [
                Outcome::NonCompliant,
                Outcome::Compliant,
                Outcome::NotApplicable
            ]
        );
    }
}
