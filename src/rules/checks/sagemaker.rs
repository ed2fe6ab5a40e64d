//! Checks for SageMaker endpoint configurations and notebook instances: KMS encryption of their storage,
//! notebooks placed in a VPC subnet and without direct internet access.

use serde_json::Value;

use crate::rules::value::{get, loose_eq, primitive, verdict, Kind};
use crate::rules::{Check, Context, Verdict};
use crate::template::Resource;

const ENDPOINT_CONFIG: &[&str] = &["AWS::SageMaker::EndpointConfig"];
const NOTEBOOK: &[&str] = &["AWS::SageMaker::NotebookInstance"];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "SageMakerEndpointConfigurationKMSKeyConfigured",
        resource_types: ENDPOINT_CONFIG,
        problem: "The endpoint configuration does not name a KMS key for the storage volumes of its hosting instances",
        fix: "Set `KmsKeyId` to a customer managed KMS key",
        eval: endpoint_kms_key,
    },
    Check {
        name: "SageMakerNotebookInstanceKMSKeyConfigured",
        resource_types: NOTEBOOK,
        problem: "The notebook instance does not encrypt its storage volume with a KMS key",
        fix: "Set `KmsKeyId` to a customer managed KMS key",
        eval: notebook_kms_key,
    },
    Check {
        name: "SageMakerNotebookNoDirectInternetAccess",
        resource_types: NOTEBOOK,
        problem: "The notebook instance may reach the internet directly instead of only through its VPC",
        fix: "Set `DirectInternetAccess: Disabled` and place the notebook in a VPC subnet with `SubnetId`",
        eval: notebook_no_direct_internet,
    },
    Check {
        name: "SageMakerNotebookInVPC",
        resource_types: NOTEBOOK,
        problem: "The notebook instance is not placed in a VPC subnet, so its network access cannot be controlled with security groups",
        fix: "Set `SubnetId` (and `SecurityGroupIds`) to launch the notebook in a VPC",
        eval: notebook_in_vpc,
    },
];

fn endpoint_kms_key(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "KmsKeyId").is_some()))
}

fn notebook_kms_key(resource: &Resource, _: &Context<'_>) -> Verdict {
    Ok(verdict(get(&resource.properties, "KmsKeyId").is_some()))
}

fn notebook_no_direct_internet(resource: &Resource, context: &Context<'_>) -> Verdict {
    let access = primitive(
        &resource.properties,
        "DirectInternetAccess",
        Kind::String,
        context,
    )?;
    // Absent means the default, `Enabled`.
    Ok(verdict(
        access.is_some() && loose_eq(access.as_ref(), &Value::from("Disabled")),
    ))
}

fn notebook_in_vpc(resource: &Resource, _: &Context<'_>) -> Verdict {
    // Any value counts, an intrinsic included.
    Ok(verdict(get(&resource.properties, "SubnetId").is_some()))
}
