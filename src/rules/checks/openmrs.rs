//! Checks that know OpenMRS: how its containers start, read credentials and configuration, talk to MySQL, keep
//! sessions and hold data. No generic policy tool has them because none knows the application.
//!
//! A container is an OpenMRS backend when its image names `openmrs` and `backend` or `core`, when it mounts
//! `/openmrs/data`, or when it sets `OMRS_DB_*` variables.

use serde_json::Value;

use crate::rules::value::{flatten, get, js_string, read, referenced_id, verdict, Kind};
use crate::rules::{Check, Context, Outcome, Verdict};
use crate::template::Resource;

const TASK_DEFINITION: &[&str] = &["AWS::ECS::TaskDefinition"];

/// OpenMRS reports that it finished starting at this path.
pub const STARTED_PATH: &str = "/openmrs/health/started";
/// OpenMRS's first start (schema creation, module loading) can take 20 minutes.
pub const FIRST_START_SECONDS: u64 = 1200;

/// Deprecated configuration variables of the openmrs-core image, and what replaces each.
pub const DEPRECATED_VARIABLES: &[(&str, &str)] = &[
    ("OMRS_CONFIG_ADD_DEMO_DATA", "OMRS_ADD_DEMO_DATA"),
    (
        "OMRS_CONFIG_ADMIN_USER_PASSWORD",
        "OMRS_ADMIN_USER_PASSWORD",
    ),
    (
        "OMRS_CONFIG_AUTO_UPDATE_DATABASE",
        "OMRS_AUTO_UPDATE_DATABASE",
    ),
    ("OMRS_CONFIG_CONNECTION_DATABASE", "OMRS_DB_NAME"),
    (
        "OMRS_CONFIG_CONNECTION_DRIVER_CLASS",
        "OMRS_DB_DRIVER_CLASS",
    ),
    ("OMRS_CONFIG_CONNECTION_EXTRA_ARGS", "OMRS_DB_EXTRA_ARGS"),
    ("OMRS_CONFIG_CONNECTION_PASSWORD", "OMRS_DB_PASSWORD"),
    ("OMRS_CONFIG_CONNECTION_PORT", "OMRS_DB_PORT"),
    ("OMRS_CONFIG_CONNECTION_SERVER", "OMRS_DB_HOSTNAME"),
    ("OMRS_CONFIG_CONNECTION_TYPE", "OMRS_DB"),
    ("OMRS_CONFIG_CONNECTION_URL", "OMRS_DB_URL"),
    ("OMRS_CONFIG_CONNECTION_USERNAME", "OMRS_DB_USERNAME"),
    (
        "OMRS_CONFIG_CREATE_DATABASE_USER",
        "OMRS_CREATE_DATABASE_USER",
    ),
    ("OMRS_CONFIG_CREATE_TABLES", "OMRS_CREATE_TABLES"),
    (
        "OMRS_CONFIG_HAS_CURRENT_OPENMRS_DATABASE",
        "OMRS_HAS_CURRENT_OPENMRS_DATABASE",
    ),
    ("OMRS_CONFIG_INSTALL_METHOD", "OMRS_INSTALL_METHOD"),
    ("OMRS_CONFIG_MODULE_WEB_ADMIN", "OMRS_MODULE_WEB_ADMIN"),
];

/// The checks of this file.
pub const CHECKS: &[Check] = &[
    Check {
        name: "OpenmrsHealthCheckProbesStarted",
        resource_types: &["AWS::ElasticLoadBalancingV2::TargetGroup"],
        problem: "The target group does not probe `/openmrs/health/started` on the port the gateway serves, so a task that is up but not started receives patients' requests, or a healthy one is killed",
        fix: "Set `HealthCheckPath: /openmrs/health/started` and leave `HealthCheckPort` at `traffic-port` (or the target group's `Port`)",
        eval: health_check_probes_started,
    },
    Check {
        name: "OpenmrsGracePeriodCoversFirstStart",
        resource_types: &["AWS::ECS::Service"],
        problem: "The service's health-check grace period is shorter than OpenMRS's first start (up to 20 minutes), so ECS kills the task while it creates the database",
        fix: "Set `HealthCheckGracePeriodSeconds` to at least 1200 (`service.health_check_grace_seconds`)",
        eval: grace_period_covers_first_start,
    },
    Check {
        name: "OpenmrsCredentialsFromSecretsManager",
        resource_types: TASK_DEFINITION,
        problem: "A credential reaches an OpenMRS container as a plain environment value or from outside Secrets Manager, so it shows in the task definition and the console",
        fix: "Pass database, admin and SMTP credentials in the container's `Secrets` with `ValueFrom` set to a Secrets Manager secret ARN (with `:username::` or `:password::`)",
        eval: credentials_from_secrets_manager,
    },
    Check {
        name: "OpenmrsNoDeprecatedConfigVariables",
        resource_types: TASK_DEFINITION,
        problem: "The container sets deprecated `OMRS_CONFIG_*` variables, which newer openmrs-core images ignore or will stop reading",
        fix: "Rename each variable to its `OMRS_*` replacement named in the finding (for example `OMRS_CONFIG_CONNECTION_URL` to `OMRS_DB_URL`)",
        eval: no_deprecated_config_variables,
    },
    Check {
        name: "OpenmrsDatabaseRequiresSecureTransport",
        resource_types: &["AWS::RDS::DBClusterParameterGroup"],
        problem: "The Aurora MySQL parameter group does not set `require_secure_transport` to `ON`, so clients may read and write patient records unencrypted",
        fix: "Set `Parameters.require_secure_transport: \"ON\"`",
        eval: database_requires_secure_transport,
    },
    Check {
        name: "OpenmrsJdbcUsesTls",
        resource_types: TASK_DEFINITION,
        problem: "The OpenMRS JDBC URL turns TLS off, which Aurora refuses when `require_secure_transport` is on and which exposes patient data otherwise",
        fix: "Remove `useSSL=false` and `sslMode=DISABLED`; use `sslMode=VERIFY_CA` with the RDS CA bundle",
        eval: jdbc_uses_tls,
    },
    Check {
        name: "OpenmrsJdbcVerifiesServerCertificate",
        resource_types: TASK_DEFINITION,
        problem: "The OpenMRS JDBC URL encrypts but does not verify the database's certificate, so a machine in the middle could read patient data",
        fix: "Use `sslMode=VERIFY_CA` (or `VERIFY_IDENTITY`) with `trustCertificateKeyStoreUrl` pointing at the RDS CA bundle; drop `verifyServerCertificate=false` and `trustServerCertificate=true`",
        eval: jdbc_verifies_server_certificate,
    },
    Check {
        name: "OpenmrsImagesPinnedByDigest",
        resource_types: TASK_DEFINITION,
        problem: "A container image is referenced by a tag, which can move, so what runs may differ from what was reviewed and scanned",
        fix: "Reference images as `repository@sha256:<digest>` (`images.pin: true` renders them so)",
        eval: images_pinned_by_digest,
    },
    Check {
        name: "OpenmrsDataSeededBeforeStart",
        resource_types: &["AWS::ECS::Service"],
        problem: "The OpenMRS service can start before its data file system is seeded, and mounting an empty volume over `/openmrs/data` hides the files the image ships",
        fix: "Make the service `DependsOn` the custom resource that runs the seeding task for the file system mounted at `/openmrs/data`",
        eval: data_seeded_before_start,
    },
    Check {
        name: "OpenmrsBackendLogsEncrypted",
        resource_types: &["AWS::Logs::LogGroup"],
        problem: "OpenMRS backend logs go to a log group without a KMS key, and openmrs-core prints the database and admin passwords to stdout at startup",
        fix: "Set the log group's `KmsKeyId` to a customer managed key whose policy lets CloudWatch Logs use it",
        eval: backend_logs_encrypted,
    },
    Check {
        name: "OpenmrsSessionsSurviveScaleIn",
        resource_types: &["AWS::ApplicationAutoScaling::ScalableTarget"],
        problem: "Autoscaling may stop tasks while OpenMRS keeps sessions in Tomcat memory and load-balancer stickiness is off, so users are logged out and lose unsaved forms",
        fix: "Turn on `stickiness.enabled` (lb_cookie) on the service's target group, or keep `MinCapacity` equal to `MaxCapacity`",
        eval: sessions_survive_scale_in,
    },
    Check {
        name: "OpenmrsStatefulResourcesRetained",
        resource_types: &[
            "AWS::RDS::DBCluster",
            "AWS::EFS::FileSystem",
            "AWS::KMS::Key",
            "AWS::S3::Bucket",
        ],
        problem: "Deleting the stack or replacing the resource would destroy patient data, audit evidence or the key that decrypts them",
        fix: "Set `DeletionPolicy` and `UpdateReplacePolicy` to `Retain` (or `Snapshot` for the database cluster)",
        eval: stateful_resources_retained,
    },
];

/// The container definitions of a task definition (empty when absent or not a list).
fn containers(resource: &Resource) -> Vec<&Value> {
    get(&resource.properties, "ContainerDefinitions")
        .and_then(Value::as_array)
        .map(|list| list.iter().collect())
        .unwrap_or_default()
}

/// Names of a container's `Environment` or `Secrets` entries, with their values.
fn entries<'a>(container: &'a Value, list: &str) -> Vec<(String, &'a Value)> {
    container
        .get(list)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let name = item.get("Name").and_then(Value::as_str)?;
                    let value = item
                        .get(if list == "Secrets" {
                            "ValueFrom"
                        } else {
                            "Value"
                        })
                        .unwrap_or(&Value::Null);
                    Some((name.to_owned(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn is_backend(container: &Value) -> bool {
    let image = container
        .get("Image")
        .map(|image| flatten(Some(image)).to_ascii_lowercase())
        .unwrap_or_default();
    let mounts_data = container
        .get("MountPoints")
        .and_then(Value::as_array)
        .is_some_and(|mounts| {
            mounts.iter().any(|mount| {
                mount
                    .get("ContainerPath")
                    .and_then(Value::as_str)
                    .is_some_and(|path| path.trim_end_matches('/') == "/openmrs/data")
            })
        });
    let sets_db = entries(container, "Environment")
        .iter()
        .chain(entries(container, "Secrets").iter())
        .any(|(name, _)| name.starts_with("OMRS_DB_"));
    (image.contains("openmrs") && (image.contains("backend") || image.contains("core")))
        || mounts_data
        || sets_db
}

fn health_check_probes_started(resource: &Resource, _: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    let path = read(properties, "HealthCheckPath", Kind::String);
    let port = read(properties, "HealthCheckPort", Kind::String);
    let traffic_port = match &port {
        None => true,
        Some(Value::String(text)) if text == "traffic-port" => true,
        Some(port) => read(properties, "Port", Kind::String).as_ref() == Some(port),
    };
    Ok(verdict(
        path == Some(Value::from(STARTED_PATH)) && traffic_port,
    ))
}

fn grace_period_covers_first_start(resource: &Resource, _: &Context<'_>) -> Verdict {
    let behind_load_balancer = get(&resource.properties, "LoadBalancers")
        .and_then(Value::as_array)
        .is_some_and(|list| !list.is_empty());
    if !behind_load_balancer {
        return Ok(Outcome::NotApplicable);
    }
    let grace = read(
        &resource.properties,
        "HealthCheckGracePeriodSeconds",
        Kind::Number,
    );
    Ok(verdict(
        grace
            .as_ref()
            .and_then(Value::as_u64)
            .is_some_and(|seconds| seconds >= FIRST_START_SECONDS),
    ))
}

/// Names that carry credentials in an OpenMRS container.
fn is_credential(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "API_KEY",
        "PRIVATE_KEY",
    ]
    .iter()
    .any(|word| upper.contains(word))
        || upper.ends_with("_USERNAME")
        || upper.ends_with("_USER")
}

/// Whether a `ValueFrom` names a Secrets Manager secret: a literal ARN, or a reference to a secret resource or to
/// a database cluster's managed secret.
fn from_secrets_manager(value: &Value, context: &Context<'_>) -> bool {
    let text = flatten(Some(value));
    if text.contains(":secretsmanager:") || text.contains("MasterUserSecret.SecretArn") {
        return true;
    }
    let secret_ids: Vec<&str> = context
        .resources_of_type("AWS::SecretsManager::Secret")
        .map(|secret| secret.logical_id.as_str())
        .collect();
    secret_ids
        .iter()
        .any(|id| text.contains(&format!("<{id}>")) || text.contains(&format!("<{id}.")))
        || referenced_id(value).is_some_and(|id| secret_ids.contains(&id.as_str()))
}

fn credentials_from_secrets_manager(resource: &Resource, context: &Context<'_>) -> Verdict {
    let openmrs: Vec<&Value> = containers(resource)
        .into_iter()
        .filter(|container| is_backend(container))
        .collect();
    if openmrs.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    let mut findings = Vec::new();
    for container in openmrs {
        for (name, _) in entries(container, "Environment") {
            if is_credential(&name) {
                findings.push(format!("Environment::{name}"));
            }
        }
        for (name, value_from) in entries(container, "Secrets") {
            if is_credential(&name) && !from_secrets_manager(value_from, context) {
                findings.push(format!("Secret::{name}"));
            }
        }
    }
    Ok(Outcome::Findings(findings))
}

fn no_deprecated_config_variables(resource: &Resource, _: &Context<'_>) -> Verdict {
    let mut findings = Vec::new();
    let mut any_openmrs = false;
    for container in containers(resource) {
        for (name, _) in entries(container, "Environment")
            .into_iter()
            .chain(entries(container, "Secrets"))
        {
            if name.starts_with("OMRS_") {
                any_openmrs = true;
            }
            if let Some((_, replacement)) =
                DEPRECATED_VARIABLES.iter().find(|(old, _)| *old == name)
            {
                findings.push(format!("Variable::{name}=>{replacement}"));
            } else if name.starts_with("OMRS_CONFIG_") {
                findings.push(format!("Variable::{name}"));
            }
        }
    }
    if !any_openmrs {
        return Ok(Outcome::NotApplicable);
    }
    Ok(Outcome::Findings(findings))
}

fn database_requires_secure_transport(resource: &Resource, _: &Context<'_>) -> Verdict {
    let family = read(&resource.properties, "Family", Kind::String)
        .map(|family| js_string(&family).to_ascii_lowercase())
        .unwrap_or_default();
    if !family.starts_with("aurora-mysql") {
        return Ok(Outcome::NotApplicable);
    }
    let setting = get(&resource.properties, "Parameters.require_secure_transport")
        .map(|value| js_string(value).to_ascii_uppercase());
    Ok(verdict(matches!(
        setting.as_deref(),
        Some("ON" | "1" | "TRUE")
    )))
}

/// The JDBC settings an OpenMRS container connects with: JDBC URLs and the extra-arguments variables, flattened
/// and lower-cased. `None` when the task definition runs no OpenMRS backend that sets them.
fn jdbc_settings(resource: &Resource) -> Option<String> {
    let mut settings = Vec::new();
    for container in containers(resource)
        .into_iter()
        .filter(|container| is_backend(container))
    {
        for (name, value) in entries(container, "Environment") {
            let text = flatten(Some(value));
            if text.contains("jdbc:") || name.ends_with("_ARGS") || name.ends_with("EXTRA_ARGS") {
                settings.push(text.to_ascii_lowercase());
            }
        }
    }
    (!settings.is_empty()).then(|| settings.join("&"))
}

fn jdbc_uses_tls(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(settings) = jdbc_settings(resource) else {
        return Ok(Outcome::NotApplicable);
    };
    Ok(verdict(
        !(settings.contains("usessl=false")
            || settings.contains("sslmode=disabled")
            || settings.contains("requiressl=false")),
    ))
}

fn jdbc_verifies_server_certificate(resource: &Resource, _: &Context<'_>) -> Verdict {
    let Some(settings) = jdbc_settings(resource) else {
        return Ok(Outcome::NotApplicable);
    };
    let verifies =
        settings.contains("sslmode=verify_ca") || settings.contains("sslmode=verify_identity");
    let disabled = settings.contains("verifyservercertificate=false")
        || settings.contains("trustservercertificate=true");
    Ok(verdict(verifies && !disabled))
}

fn images_pinned_by_digest(resource: &Resource, _: &Context<'_>) -> Verdict {
    let findings: Vec<String> = containers(resource)
        .into_iter()
        .filter(|container| {
            !container
                .get("Image")
                .is_some_and(|image| flatten(Some(image)).contains("@sha256:"))
        })
        .map(|container| {
            format!(
                "Container::{}",
                container.get("Name").map(js_string).unwrap_or_default()
            )
        })
        .collect();
    if containers(resource).is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    Ok(Outcome::Findings(findings))
}

/// The file system (as flattened text) a task definition mounts at `/openmrs/data` or that a seeding task writes.
fn data_file_systems(
    task_definition: &Resource,
    container_path: impl Fn(&str) -> bool,
) -> Vec<String> {
    let volumes = get(&task_definition.properties, "Volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut found = Vec::new();
    for container in containers(task_definition) {
        for mount in container
            .get("MountPoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = mount
                .get("ContainerPath")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !container_path(path.trim_end_matches('/')) {
                continue;
            }
            let volume = mount
                .get("SourceVolume")
                .and_then(Value::as_str)
                .unwrap_or_default();
            for candidate in &volumes {
                if candidate.get("Name").and_then(Value::as_str) == Some(volume) {
                    if let Some(id) = candidate.pointer("/EFSVolumeConfiguration/FilesystemId") {
                        found.push(flatten(Some(id)));
                    }
                }
            }
        }
    }
    found
}

/// Whether `value` refers to `logical_id` anywhere: `Ref`, `Fn::GetAtt`, or `${logical_id}` in a `Fn::Sub`.
fn mentions(value: &Value, logical_id: &str) -> bool {
    if referenced_id(value).as_deref() == Some(logical_id) {
        return true;
    }
    match value {
        Value::Object(map) => map.iter().any(|(key, child)| {
            (key == "Fn::Sub" && flatten(Some(value)).contains(&format!("<{logical_id}")))
                || mentions(child, logical_id)
        }),
        Value::Array(items) => items.iter().any(|item| mentions(item, logical_id)),
        _ => false,
    }
}

fn data_seeded_before_start(resource: &Resource, context: &Context<'_>) -> Verdict {
    let Some(task_definition) = get(&resource.properties, "TaskDefinition").and_then(referenced_id)
    else {
        return Ok(Outcome::NotApplicable);
    };
    let Some(task_definition) = context
        .resources_of_type("AWS::ECS::TaskDefinition")
        .find(|candidate| candidate.logical_id == task_definition)
    else {
        return Ok(Outcome::NotApplicable);
    };
    let data = data_file_systems(task_definition, |path| path == "/openmrs/data");
    if data.is_empty() {
        return Ok(Outcome::NotApplicable);
    }
    // A dependency seeds the data when it is a custom resource whose properties reference a task definition that
    // mounts the same file system (anywhere).
    let seeded = resource.depends_on.iter().any(|dependency| {
        let Some(custom) = context
            .template
            .resources
            .iter()
            .find(|candidate| &candidate.logical_id == dependency)
        else {
            return false;
        };
        if !(custom.resource_type.starts_with("Custom::")
            || custom.resource_type == "AWS::CloudFormation::CustomResource")
        {
            return false;
        }
        context
            .resources_of_type("AWS::ECS::TaskDefinition")
            .any(|seeder| {
                seeder.logical_id != task_definition.logical_id
                    && mentions(&custom.properties, &seeder.logical_id)
                    && data_file_systems(seeder, |_| true)
                        .iter()
                        .any(|file_system| data.contains(file_system))
            })
    });
    Ok(verdict(seeded))
}

fn backend_logs_encrypted(resource: &Resource, context: &Context<'_>) -> Verdict {
    let receives_backend_logs =
        context
            .resources_of_type("AWS::ECS::TaskDefinition")
            .any(|task_definition| {
                containers(task_definition)
                    .into_iter()
                    .filter(|container| is_backend(container))
                    .any(|container| {
                        container
                            .pointer("/LogConfiguration/Options/awslogs-group")
                            .is_some_and(|group| {
                                referenced_id(group).as_deref()
                                    == Some(resource.logical_id.as_str())
                            })
                    })
            });
    if !receives_backend_logs {
        return Ok(Outcome::NotApplicable);
    }
    Ok(verdict(get(&resource.properties, "KmsKeyId").is_some()))
}

fn sessions_survive_scale_in(resource: &Resource, context: &Context<'_>) -> Verdict {
    let properties = &resource.properties;
    if read(properties, "ServiceNamespace", Kind::String) != Some(Value::from("ecs")) {
        return Ok(Outcome::NotApplicable);
    }
    let minimum = read(properties, "MinCapacity", Kind::Number)
        .as_ref()
        .and_then(Value::as_f64);
    let maximum = read(properties, "MaxCapacity", Kind::Number)
        .as_ref()
        .and_then(Value::as_f64);
    if let (Some(minimum), Some(maximum)) = (minimum, maximum) {
        if maximum <= minimum {
            return Ok(Outcome::Compliant);
        }
    }
    // Find the scaled service through the ResourceId, then its target groups' stickiness.
    let resource_id = flatten(get(properties, "ResourceId"));
    let sticky = context
        .resources_of_type("AWS::ECS::Service")
        .filter(|service| {
            resource_id.contains(&format!("<{}.Name>", service.logical_id))
                || resource_id.contains(&format!("<{}>", service.logical_id))
        })
        .flat_map(|service| {
            get(&service.properties, "LoadBalancers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|load_balancer| load_balancer.get("TargetGroupArn").and_then(referenced_id))
        .filter_map(|id| {
            context
                .resources_of_type("AWS::ElasticLoadBalancingV2::TargetGroup")
                .find(|group| group.logical_id == id)
        })
        .any(|group| {
            get(&group.properties, "TargetGroupAttributes")
                .and_then(Value::as_array)
                .is_some_and(|attributes| {
                    attributes.iter().any(|attribute| {
                        attribute.get("Key").and_then(Value::as_str) == Some("stickiness.enabled")
                            && attribute.get("Value").map(js_string).as_deref() == Some("true")
                    })
                })
        });
    Ok(verdict(sticky))
}

/// Whether a bucket holds logs or audit records: another bucket logs to it, a trail writes to it, or a load
/// balancer delivers access logs to it.
fn is_log_bucket(bucket: &Resource, context: &Context<'_>) -> bool {
    let id = bucket.logical_id.as_str();
    let named = |value: Option<&Value>| value.and_then(referenced_id).as_deref() == Some(id);
    context.resources_of_type("AWS::S3::Bucket").any(|other| {
        named(get(
            &other.properties,
            "LoggingConfiguration.DestinationBucketName",
        ))
    }) || context
        .resources_of_type("AWS::CloudTrail::Trail")
        .any(|trail| named(get(&trail.properties, "S3BucketName")))
        || context
            .resources_of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
            .any(|load_balancer| {
                get(&load_balancer.properties, "LoadBalancerAttributes")
                    .and_then(Value::as_array)
                    .is_some_and(|attributes| {
                        attributes.iter().any(|attribute| {
                            attribute.get("Key").and_then(Value::as_str)
                                == Some("access_logs.s3.bucket")
                                && named(attribute.get("Value"))
                        })
                    })
            })
}

fn stateful_resources_retained(resource: &Resource, context: &Context<'_>) -> Verdict {
    if resource.resource_type == "AWS::S3::Bucket" && !is_log_bucket(resource, context) {
        return Ok(Outcome::NotApplicable);
    }
    let kept = |policy: &Option<String>| {
        matches!(policy.as_deref(), Some("Retain" | "RetainExceptOnCreate"))
            || (resource.resource_type == "AWS::RDS::DBCluster"
                && policy.as_deref() == Some("Snapshot"))
    };
    Ok(verdict(
        kept(&resource.deletion_policy) && kept(&resource.update_replace_policy),
    ))
}
