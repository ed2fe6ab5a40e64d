//! `omrs-gitops images`: every image of every rendered template.

use omrs_gitops::exit::ExitStatus;

use crate::support::{root, run_in};

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

fn images(args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["images"];
    all.extend_from_slice(args);
    let output = run_in(&root(), &all);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn lists_every_image_of_every_task_definition() {
    let (status, json, stderr) = images(&["prod", "--format", "json"]);
    assert_eq!(status, code(ExitStatus::Success), "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], 1);
    let list = value["environments"][0]["images"].as_array().unwrap();
    let names: Vec<String> = list
        .iter()
        .map(|image| {
            format!(
                "{}/{}:{}",
                image["registry"].as_str().unwrap(),
                image["repository"].as_str().unwrap(),
                image["tag"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "docker.io/openmrs/openmrs-reference-application-3-gateway:3.2.0-rc.3",
            "docker.io/openmrs/openmrs-reference-application-3-frontend:3.2.0-rc.3",
            "docker.io/openmrs/openmrs-reference-application-3-backend:3.2.0-rc.3",
            "public.ecr.aws/aws-cli/aws-cli:2.22.0",
        ]
    );
    let uses = |index: usize| -> Vec<String> {
        list[index]["uses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|use_| use_["task_definition"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        uses(0),
        ["OpenmrsTaskDefinition", "SslMaterialsTaskDefinition"],
        "helper tasks are found"
    );
    assert_eq!(uses(2), ["OpenmrsTaskDefinition", "DataSeedTaskDefinition"]);
    assert_eq!(uses(3), ["EfsExportTaskDefinition"]);
}

#[test]
fn text_table_and_unsupported_formats() {
    let (status, text, _) = images(&["dev"]);
    assert_eq!(status, code(ExitStatus::Success));
    assert!(
        text.starts_with("dev (pipelines/dev.yaml): 3 images\n  IMAGE"),
        "{text}"
    );
    assert!(
        text.contains("docker.io/openmrs/openmrs-reference-application-3-backend   3.2.0-rc.3"),
        "{text}"
    );
    let (status, _, stderr) = images(&["dev", "--format", "csv"]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(
        stderr.contains("`images` cannot write `--format csv`"),
        "{stderr}"
    );
}
