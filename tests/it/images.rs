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
    let (status, json, stderr) = images(&["prod", "--offline", "--format", "json"]);
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
    let (status, text, _) = images(&["dev", "--offline"]);
    assert_eq!(status, code(ExitStatus::Success));
    assert!(
        text.starts_with("dev (pipelines/dev.yaml): 3 images\n  IMAGE"),
        "{text}"
    );
    assert!(
        text.contains("docker.io/openmrs/openmrs-reference-application-3-backend   3.2.0-rc.3"),
        "{text}"
    );
    let (status, _, stderr) = images(&["dev", "--offline", "--format", "csv"]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(
        stderr.contains("`images` cannot write `--format csv`"),
        "{stderr}"
    );
}

const MINI_TASK: &str = r#"{
  "Resources": {
    "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
      {"Name": "gateway", "Image": {{ images.gateway }}},
      {"Name": "frontend", "Image": {{ images.frontend }}},
      {"Name": "backend", "Image": {{ images.backend }}},
    ]}},
  },
}
"#;

/// A repository root in a temp dir: one environment whose three images live on `registry_host`, and a one-file
/// template set running them.
pub fn mini_root(registry_host: &str, tag: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pipelines")).unwrap();
    std::fs::create_dir_all(dir.path().join("templates/mini")).unwrap();
    std::fs::write(
        dir.path().join("pipelines/mini.yaml"),
        format!(
            "stack:\n  name: mini\n  account: \"123456789012\"\n  region: us-east-1\n  template_set: mini\nimages:\n  tag: \"{tag}\"\n  gateway: {registry_host}/openmrs/gateway\n  frontend: {registry_host}/openmrs/frontend\n  backend: {registry_host}/openmrs/backend\n{extra}"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("templates/mini/main.json.j2"), MINI_TASK).unwrap();
    dir
}

fn run_in_root(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = run_in(dir, args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn images_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["images"];
    all.extend_from_slice(args);
    let output = run_in(dir, &all);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn digests_come_from_the_registry_including_indexes_that_need_the_accept_header() {
    use omrs_gitops::images::{DigestResolver, HttpResolver, ImageRef};

    let registry = crate::peers::registry();
    let (_, gateway) = crate::peers::push_image(&registry.url, "openmrs/gateway", "3.2.0");
    let (_, frontend) = crate::peers::push_image(&registry.url, "openmrs/frontend", "3.2.0");
    let (manifest, backend) = crate::peers::push_image(&registry.url, "openmrs/backend", "3.2.0");
    // A multi-platform tag: an OCI index over the backend manifest.
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":{},"digest":"{backend}","platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        manifest.len()
    );
    let (_, index_digest) = crate::peers::put_manifest(
        &registry.url,
        "openmrs/backend",
        "multi",
        "application/vnd.oci.image.index.v1+json",
        index.as_bytes(),
    );

    // The pitfall: without an Accept header the registry does not give the digest of what it stores.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for tag in ["3.2.0", "multi"] {
        let bare = agent
            .head(format!(
                "{}/v2/openmrs/backend/manifests/{tag}",
                registry.url
            ))
            .call()
            .unwrap();
        let digest = bare
            .headers()
            .get("docker-content-digest")
            .map(|value| value.to_str().unwrap().to_owned());
        assert!(
            !bare.status().is_success()
                || digest.as_deref()
                    != Some(if tag == "multi" {
                        &index_digest
                    } else {
                        &backend
                    }),
            "{tag}: without Accept the registry answered {} {digest:?}",
            bare.status()
        );
    }

    let resolver = HttpResolver::new(None);
    let host = format!("127.0.0.1:{}", registry.port);
    let resolve = |text: &str| resolver.resolve(&ImageRef::parse(text).unwrap());
    assert_eq!(
        resolve(&format!("{host}/openmrs/backend:3.2.0")).unwrap(),
        backend
    );
    assert_eq!(
        resolve(&format!("{host}/openmrs/backend:multi")).unwrap(),
        index_digest
    );
    let missing = resolve(&format!("{host}/openmrs/backend:nope")).unwrap_err();
    assert!(missing.to_string().contains("has no such tag"), "{missing}");

    // An ECR private registry: Basic credentials from GetAuthorizationToken (moto), then the registry API.
    let moto = crate::peers::moto();
    let aws = omrs_gitops::images::aws::Aws::new(crate::peers::moto_settings(&moto)).unwrap();
    let ecr_host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let ecr_resolver = HttpResolver::new(Some(&aws)).with_endpoint(ecr_host, &registry.url);
    assert_eq!(
        ecr_resolver
            .resolve(&ImageRef::parse(&format!("{ecr_host}/openmrs/gateway:3.2.0")).unwrap())
            .unwrap(),
        gateway
    );
    use omrs_gitops::images::EcrCredentials as _;
    let token = aws
        .authorization_token(
            &ImageRef::parse(&format!("{ecr_host}/x"))
                .unwrap()
                .ecr_registry()
                .unwrap(),
        )
        .unwrap();
    assert!(!token.is_empty());

    // The command, end to end.
    let dir = mini_root(&host, "3.2.0", "");
    let (status, json, stderr) = images_in(dir.path(), &["--format", "json"]);
    assert_eq!(status, code(ExitStatus::Success), "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let digests: Vec<&str> = value["environments"][0]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["digest"].as_str().unwrap())
        .collect();
    assert_eq!(
        digests,
        [gateway.as_str(), frontend.as_str(), backend.as_str()]
    );
    assert!(value["environments"][0]["pinned_template"].is_null());

    // `images.pin`: the templates run every image by digest.
    let pinned = mini_root(&host, "3.2.0", "  pin: true\n");
    let out = pinned.path().join("out");
    let (status, json, stderr) = images_in(
        pinned.path(),
        &["--format", "json", "--out", out.to_str().unwrap()],
    );
    assert_eq!(status, code(ExitStatus::Success), "{stderr}");
    let template = std::fs::read_to_string(out.join("mini.template.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["environments"][0]["pinned_template"]["sha256"],
        omrs_gitops::render::sha256_hex(template.as_bytes())
    );
    let template: serde_json::Value = serde_json::from_str(&template).unwrap();
    let written: Vec<&str> = template["Resources"]["Task"]["Properties"]["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|container| container["Image"].as_str().unwrap())
        .collect();
    assert_eq!(
        written,
        [
            format!("{host}/openmrs/gateway@{gateway}"),
            format!("{host}/openmrs/frontend@{frontend}"),
            format!("{host}/openmrs/backend@{backend}"),
        ]
    );
    let (status, plain, _) = run_in_root(pinned.path(), &["render", "--format", "json"]);
    assert_eq!(status, code(ExitStatus::Success));
    assert!(
        !plain.contains(
            &value["environments"][0]["pinned_template"]["sha256"]
                .as_str()
                .unwrap()
                .to_owned()
        ),
        "offline render keeps tags"
    );

    let (status, text, _) = images_in(dir.path(), &[]);
    assert_eq!(status, code(ExitStatus::Success));
    assert!(text.contains(&backend), "{text}");

    let (status, _, stderr) = images_in(mini_root(&host, "9.9.9", "").path(), &[]);
    assert_eq!(status, code(ExitStatus::BadInput), "{stderr}");
    assert!(
        stderr.contains("error: `127.0.0.1:") && stderr.contains("has no such tag (404)"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_registry_is_a_service_failure_with_a_clear_message() {
    let port = crate::peers::free_port();
    let dir = mini_root(&format!("127.0.0.1:{port}"), "1.0", "");
    let (status, stdout, stderr) = images_in(dir.path(), &[]);
    assert_eq!(status, code(ExitStatus::ServiceFailed), "{stderr}");
    assert!(stdout.is_empty());
    let first = stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("error: `127.0.0.1:{port}/openmrs/gateway:1.0`: registry `127.0.0.1:{port}` is unreachable"))
            && first.contains("; check network access to the registry"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 3, "one line per image: {stderr}");
}
