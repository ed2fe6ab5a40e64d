//! Checks for Elastic Beanstalk environments: enhanced health reporting, managed platform updates, a custom
//! VPC, and instance logs published to S3.

use std::borrow::Cow;

use serde_json::Value;

use crate::rules::value::{for_of, get, read, strict_eq, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Thrown, Verdict};
use crate::template::Resource;

const ENVIRONMENT: &[&str] = &["AWS::ElasticBeanstalk::Environment"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "ElasticBeanstalkEnhancedHealthReportingEnabled",
        resource_types: ENVIRONMENT,
        problem: "The environment uses basic health reporting, which misses application and instance health details",
        fix: "Add the option setting `Namespace: aws:elasticbeanstalk:healthreporting:system`, `OptionName: SystemType`, `Value: enhanced`",
        eval: enhanced_health_reporting_enabled,
    },
    Check {
        name: "ElasticBeanstalkManagedUpdatesEnabled",
        resource_types: ENVIRONMENT,
        problem: "The environment does not apply platform updates automatically, so security patches wait for someone to install them",
        fix: "Add the option settings `aws:elasticbeanstalk:managedactions` `ManagedActionsEnabled: 'true'` and `aws:elasticbeanstalk:managedactions:platformupdate` `UpdateLevel: minor` or `patch`",
        eval: managed_updates_enabled,
    },
    Check {
        name: "ElasticBeanstalkVPCSpecified",
        resource_types: ENVIRONMENT,
        problem: "The environment does not name a VPC, so its instances run in the default VPC",
        fix: "Add the option setting `Namespace: aws:ec2:vpc`, `OptionName: VPCId`, `Value: <your VPC ID>`",
        eval: vpc_specified,
    },
    Check {
        name: "ElasticBeanstalkEC2InstanceLogsToS3",
        resource_types: ENVIRONMENT,
        problem: "The environment's instances do not upload their rotated logs to S3, so the logs are lost with the instances",
        fix: "Add the option setting `Namespace: aws:elasticbeanstalk:hostmanager`, `OptionName: LogPublicationControl`, `Value: 'true'`",
        eval: instance_logs_to_s3,
    },
];

/// One option setting as cdk-nag compares it: namespace, option name and value, each strictly (`===`).
struct OptionSetting {
    namespace: Option<Value>,
    option_name: Option<Value>,
    value: Option<Value>,
}

impl OptionSetting {
    fn read(setting: &Value) -> Result<Self, Thrown> {
        if setting.is_null() {
            return Err(Thrown("an `OptionSettings` entry is null".to_owned()));
        }
        Ok(Self {
            namespace: read(setting, "Namespace", Kind::String),
            option_name: read(setting, "OptionName", Kind::String),
            value: read(setting, "Value", Kind::String),
        })
    }

    fn is(&self, namespace: &str, option_name: &str) -> bool {
        strict_eq(self.namespace.as_ref(), &Value::from(namespace))
            && strict_eq(self.option_name.as_ref(), &Value::from(option_name))
    }

    fn value_is(&self, value: &str) -> bool {
        strict_eq(self.value.as_ref(), &Value::from(value))
    }
}

/// The option settings in order; `None` when `OptionSettings` is absent.
fn option_settings(resource: &Resource) -> Result<Option<Vec<Cow<'_, Value>>>, Thrown> {
    get(&resource.properties, "OptionSettings")
        .map(|settings| for_of(Some(settings), "OptionSettings"))
        .transpose()
}

fn enhanced_health_reporting_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(settings) = option_settings(resource)? else {
        return Ok(Outcome::NonCompliant);
    };
    for setting in &settings {
        let setting = OptionSetting::read(setting)?;
        if setting.is("aws:elasticbeanstalk:healthreporting:system", "SystemType")
            && setting.value_is("enhanced")
        {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

fn managed_updates_enabled(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(settings) = option_settings(resource)? else {
        return Ok(Outcome::NonCompliant);
    };
    let (mut enabled, mut level) = (false, false);
    for setting in &settings {
        let setting = OptionSetting::read(setting)?;
        if setting.is(
            "aws:elasticbeanstalk:managedactions",
            "ManagedActionsEnabled",
        ) && (setting.value.is_none() || setting.value_is("true"))
        {
            enabled = true;
        } else if setting.is(
            "aws:elasticbeanstalk:managedactions:platformupdate",
            "UpdateLevel",
        ) && (setting.value_is("minor") || setting.value_is("patch"))
        {
            level = true;
        }
        if enabled && level {
            break;
        }
    }
    Ok(verdict(enabled && level))
}

/// Whether some option setting matches `accept`; `OptionSettings` absent fails.
fn any_setting(resource: &Resource, accept: impl Fn(&OptionSetting) -> bool) -> Verdict {
    let Some(settings) = option_settings(resource)? else {
        return Ok(Outcome::NonCompliant);
    };
    for setting in &settings {
        if accept(&OptionSetting::read(setting)?) {
            return Ok(Outcome::Compliant);
        }
    }
    Ok(Outcome::NonCompliant)
}

fn vpc_specified(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value names the VPC, an intrinsic included.
    any_setting(resource, |setting| {
        setting.is("aws:ec2:vpc", "VPCId") && setting.value.is_some()
    })
}

fn instance_logs_to_s3(resource: &Resource, _: &Context<'_>) -> Verdict {
    // The string `'true'`, strictly; a YAML boolean `true` is a string on this String property.
    any_setting(resource, |setting| {
        setting.is("aws:elasticbeanstalk:hostmanager", "LogPublicationControl")
            && setting.value_is("true")
    })
}
