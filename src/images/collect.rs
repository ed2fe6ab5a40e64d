//! Every container image a rendered template references: `Image` of each container definition of each
//! `AWS::ECS::TaskDefinition` (the OpenMRS service and every helper task). Pure.

use serde_json::Value;

use super::reference::{ImageRef, ReferenceError};

/// One container that runs an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    /// Logical ID of the task definition.
    pub task_definition: String,
    /// `Name` of the container definition (empty when unnamed).
    pub container: String,
    /// The image as the template writes it.
    pub image: String,
}

/// An image referenced by one or more containers, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedImage {
    pub reference: ImageRef,
    /// As written in the template (the first use's spelling).
    pub written: String,
    pub uses: Vec<ImageUse>,
}

impl CollectedImage {
    /// Whether some container (task definition and container name) runs both images: how an image is matched
    /// with what the same container ran in another version of the template.
    pub fn shares_container(&self, other: &CollectedImage) -> bool {
        self.uses.iter().any(|one| {
            other.uses.iter().any(|two| {
                one.task_definition == two.task_definition && one.container == two.container
            })
        })
    }
}

/// Why an image could not be collected: it is not a literal string, or not a valid reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    #[error("task definition `{task_definition}` container `{container}`: `Image` is not a literal string; the images stage needs the reference at render time, so write it into the environment file")]
    NotLiteral {
        task_definition: String,
        container: String,
    },
    #[error("task definition `{task_definition}` container `{container}`: {source}; fix the repository or tag in the environment file")]
    Invalid {
        task_definition: String,
        container: String,
        source: ReferenceError,
    },
}

/// The images of `document`, each once, in order of first use, with every container that runs it.
pub fn collect(document: &Value) -> Result<Vec<CollectedImage>, Vec<CollectError>> {
    let mut images: Vec<CollectedImage> = Vec::new();
    let mut errors = Vec::new();
    let resources = document.get("Resources").and_then(Value::as_object);
    for (logical_id, resource) in resources.into_iter().flatten() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::ECS::TaskDefinition") {
            continue;
        }
        let containers = resource
            .pointer("/Properties/ContainerDefinitions")
            .and_then(Value::as_array);
        for container in containers.into_iter().flatten() {
            let name = container
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let Some(image) = container.get("Image") else {
                continue;
            };
            let Some(text) = image.as_str() else {
                errors.push(CollectError::NotLiteral {
                    task_definition: logical_id.clone(),
                    container: name,
                });
                continue;
            };
            let reference = match ImageRef::parse(text) {
                Ok(reference) => reference,
                Err(source) => {
                    errors.push(CollectError::Invalid {
                        task_definition: logical_id.clone(),
                        container: name,
                        source,
                    });
                    continue;
                }
            };
            let use_ = ImageUse {
                task_definition: logical_id.clone(),
                container: name,
                image: text.to_owned(),
            };
            match images.iter_mut().find(|known| known.reference == reference) {
                Some(known) => known.uses.push(use_),
                None => images.push(CollectedImage {
                    reference,
                    written: text.to_owned(),
                    uses: vec![use_],
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(images)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn collects_each_image_once_with_its_uses() {
        let document = json!({"Resources": {
            "Service": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
                {"Name": "gateway", "Image": "openmrs/gateway:1"},
                {"Name": "backend", "Image": "openmrs/backend:1"},
            ]}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Image": "not/an:image"}},
            "Seed": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
                {"Name": "seed", "Image": "openmrs/backend:1"},
            ]}},
        }});
        let images = collect(&document).unwrap();
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].reference.repository, "openmrs/gateway");
        assert_eq!(images[1].uses.len(), 2);
        assert_eq!(images[1].uses[1].task_definition, "Seed");
    }

    #[test]
    fn intrinsic_and_invalid_images_are_errors() {
        let document = json!({"Resources": {
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
                {"Name": "a", "Image": {"Fn::Sub": "${Repo}:1"}},
                {"Name": "b", "Image": "Upper/Case"},
            ]}},
        }});
        let errors = collect(&document).unwrap_err();
        assert!(matches!(errors[0], CollectError::NotLiteral { .. }));
        assert!(errors[1]
            .to_string()
            .contains("`Upper/Case` is not an image reference"));
    }
}
