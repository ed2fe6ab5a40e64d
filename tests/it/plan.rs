//! `plan`: everything a reviewer needs per environment, compared with the base commit. Offline here (compliance
//! findings new and fixed, image references changed, the template diff, verdicts and exit codes, the quiet
//! one-line report); online against moto and docker-registry in `plan_online`.

use std::path::Path;

use omrs_gitops::exit::ExitStatus;
use serde_json::Value;

use crate::moto::{commit, git, write};
use crate::support::run_in;

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

/// A topic (encrypted with `features.analytics`), a queue (with `service.min_capacity` above 1) and a task
/// running the backend image.
pub const FRAGMENT: &str = r#"{
  "Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {{ env.stack.name }},
      {% if env.features.analytics %}"KmsMasterKeyId": "alias/aws/sns",{% endif %} }},
    {% if env.service.min_capacity > 1 %}
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {{ env.service.min_capacity }}, }},
    {% endif %}
    "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
      {"Name": "backend", "Image": {{ images.backend }}, "Memory": 512},
    ]}},
  },
}
"#;

pub fn environment(name: &str, tag: &str, extra: &str) -> String {
    format!(
        "stack:\n  name: {name}\n  account: \"123456789012\"\n  region: us-east-1\n  template_set: mini\nimages:\n  tag: \"{tag}\"\n{}",
        if extra.is_empty() {
            "service:\n  min_capacity: 1\n  max_capacity: 3\n"
        } else {
            extra
        }
    )
}

/// A repository with `environments` at tag 3.1.0, neither encrypted nor with a queue, committed once.
fn repository_of(environments: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "templates/mini/main.json.j2", FRAGMENT);
    for name in environments {
        write(
            dir.path(),
            &format!("pipelines/{name}.yaml"),
            &environment(name, "3.1.0", ""),
        );
    }
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit(dir.path(), "first");
    dir
}

/// `alpha` and `beta`, committed once.
pub fn repository() -> tempfile::TempDir {
    repository_of(&["alpha", "beta"])
}

/// The change under review: alpha encrypts its topic (fixing findings), adds a queue (bringing findings) and
/// moves the backend to 3.2.0; beta is untouched.
pub fn change(dir: &Path) {
    write(
        dir,
        "pipelines/alpha.yaml",
        &environment(
            "alpha",
            "3.2.0",
            "features:\n  analytics: true\nservice:\n  min_capacity: 2\n  max_capacity: 3\n",
        ),
    );
    commit(dir, "second");
}

fn plan(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["plan", "--offline"];
    all.extend_from_slice(args);
    let output = run_in(dir, &all);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rules(rows: &Value) -> Vec<(String, String)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["rule_id"].as_str().unwrap().to_owned(),
                row["logical_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn findings_new_and_fixed_images_changed_and_the_gate_decides_the_exit_code() {
    let repo = repository();
    change(repo.path());
    let (status, out, err) = plan(repo.path(), &["--format", "json"]);
    assert_eq!(status, code(ExitStatus::GateFailed), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(json["mode"], "offline");
    assert_eq!(json["passed"], false);
    let alpha = &json["environments"][0];
    assert_eq!(alpha["name"], "alpha");
    assert_eq!(alpha["verdict"], "blocked", "{alpha}");
    assert!(alpha["change_set"].is_null());
    let compliance = &alpha["compliance"];
    assert_eq!(compliance["base_checked"], true);
    let new = rules(&compliance["new"]);
    let fixed = rules(&compliance["fixed"]);
    assert!(
        new.contains(&("AwsSolutions-SQS3".to_owned(), "Queue".to_owned())),
        "{new:?}"
    );
    assert!(
        fixed.contains(&(
            "HIPAA.Security-SNSEncryptedKMS".to_owned(),
            "Topic".to_owned()
        )),
        "{fixed:?}"
    );
    // New and fixed are disjoint from each other and new ones are among today's findings.
    assert!(new.iter().all(|row| !fixed.contains(row)));
    let findings = rules(&compliance["findings"]);
    assert!(new.iter().all(|row| findings.contains(row)));
    assert!(fixed.iter().all(|row| !findings.contains(row)));
    // The backend container's image changed reference; offline, digests are not resolved.
    let image = &alpha["images"]["items"][0];
    assert_eq!(image["change"], "changed", "{image}");
    assert!(image["image"].as_str().unwrap().ends_with(":3.2.0"));
    assert!(image["base"]["image"].as_str().unwrap().ends_with(":3.1.0"));
    assert!(image["digest"].is_null());
    assert_eq!(alpha["images"]["resolved"], false);
    assert_eq!(alpha["diff"]["counts"]["added"], 1, "{alpha}");
    assert_eq!(alpha["diff"]["counts"]["modified"], 2, "{alpha}");
    // beta did not change: nothing new, nothing fixed, yet its own findings still block.
    let beta = &json["environments"][1];
    assert_eq!(beta["compliance"]["new"], serde_json::json!([]));
    assert_eq!(beta["images"]["items"][0]["change"], "unchanged");
    assert_eq!(beta["verdict"], "blocked");

    let (_, markdown, _) = plan(repo.path(), &["alpha"]);
    for needle in [
        "## omrs-gitops plan (offline)",
        "### `alpha`: :no_entry: blocked",
        "New in this change:",
        "Fixed by this change:",
        "| Error | `AwsSolutions-SQS3` | `Queue` |",
        "**changed**",
        "<details><summary>Template diff vs <code>HEAD~1</code>: 1 to add, 2 to modify, 0 to remove</summary>",
    ] {
        assert!(markdown.contains(needle), "{needle} missing:\n{markdown}");
    }
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count()
    );

    let (_, text, _) = plan(repo.path(), &["alpha", "--format", "text"]);
    assert!(
        text.starts_with("alpha (pipelines/alpha.yaml): BLOCKED"),
        "{text}"
    );
    assert!(
        text.contains("    new: Error AwsSolutions-SQS3 on Queue (templates/mini/main.json.j2:"),
        "{text}"
    );
    assert!(
        text.contains("    fixed: Error HIPAA.Security-SNSEncryptedKMS on Topic"),
        "{text}"
    );
}

#[test]
fn a_change_that_passes_is_ready_and_an_unchanged_environment_gets_one_line() {
    let repo = repository();
    change(repo.path());
    // The OpenMRS pack has nothing against a topic and a queue; its digest rule is a warning.
    let (status, out, err) = plan(repo.path(), &["--pack", "openmrs", "--format", "json"]);
    assert_eq!(status, code(ExitStatus::Success), "{err}\n{out}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["environments"][0]["verdict"], "ready");
    assert_eq!(json["environments"][1]["verdict"], "no_changes");
    // Warnings block with `--fail-on warning`.
    let (status, _, _) = plan(repo.path(), &["--pack", "openmrs", "--fail-on", "warning"]);
    assert_eq!(status, code(ExitStatus::GateFailed));

    let (_, markdown, _) = plan(repo.path(), &["--pack", "openmrs"]);
    assert!(
        markdown.contains("| alpha | :white_check_mark: changes pass every gate |"),
        "{markdown}"
    );
    let beta: Vec<&str> = markdown
        .lines()
        .filter(|line| line.contains("`beta`"))
        .collect();
    assert_eq!(beta.len(), 1, "{markdown}");
    assert!(
        beta[0].starts_with(
            "**`beta`** (`beta`, us-east-1): no changes; compliance passed; 1 images unchanged;"
        ),
        "{}",
        beta[0]
    );
}

#[test]
fn without_a_base_commit_everything_is_new_and_nothing_is_compared() {
    // One commit only: `HEAD~1` does not exist.
    let dir = repository_of(&["alpha"]);
    let (status, out, err) = plan(dir.path(), &["--pack", "openmrs", "--format", "json"]);
    assert_eq!(status, code(ExitStatus::Success), "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(json["base"]["commit"].is_null());
    assert!(json["base"]["problem"].as_str().unwrap().contains("HEAD~1"));
    let alpha = &json["environments"][0];
    assert_eq!(alpha["compliance"]["base_checked"], false);
    assert_eq!(alpha["images"]["items"][0]["change"], "added");
    assert_eq!(alpha["diff"]["counts"]["added"], 2);
    let (_, markdown, _) = plan(dir.path(), &["--pack", "openmrs"]);
    assert!(markdown.contains("`HEAD~1` (not readable)"), "{markdown}");
    assert!(markdown.contains("everything is new"), "{markdown}");
}

#[test]
fn unsupported_formats_and_bad_input_exit_2_before_anything_else() {
    let repo = repository();
    let (status, _, err) = plan(repo.path(), &["--format", "sarif"]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(
        err.contains("`plan` cannot write `--format sarif`"),
        "{err}"
    );
    write(repo.path(), "pipelines/alpha.yaml", "stack: [\n");
    let (status, out, err) = plan(repo.path(), &[]);
    assert_eq!(status, code(ExitStatus::BadInput));
    assert!(out.is_empty());
    assert!(err.contains("pipelines/alpha.yaml:"), "{err}");
}

mod online {
    //! `plan` against moto (CloudFormation, S3, ECR) and Debian's docker-registry: digests of the head and the
    //! base, the pinned template planned as a change set, vulnerabilities new and fixed, the vulnerability gate
    //! in the exit code; then `apply` of the pinned change set after the tag moved.

    use omrs_gitops::exit::ExitStatus;
    use omrs_gitops::images::aws::Aws;
    use serde_json::{json, Value};

    use super::{code, environment, FRAGMENT};
    use crate::moto::{commit, create_bucket, git, json_of, run, write};
    use crate::peers::{moto, moto_settings, push_build, registry};
    use crate::scan::{basic_finding, ecr_result, post, start_scan, ECR_HOST};

    const REPOSITORY: &str = "openmrs/backend";

    /// Pushes a build of the backend under `tag` to the registry and to moto's ECR; returns its digest.
    fn publish(registry: &str, aws: &Aws, tag: &str, build: &str) -> String {
        let (manifest, digest) = push_build(registry, REPOSITORY, tag, build);
        let ecr = aws.ecr("us-east-1");
        aws.block_on(
            ecr.put_image()
                .repository_name(REPOSITORY)
                .image_manifest(String::from_utf8(manifest).unwrap())
                .image_tag(tag)
                .image_digest(&digest)
                .send(),
        )
        .unwrap();
        digest
    }

    fn cves(list: &Value) -> Vec<&str> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| item["cve"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn pinned_digests_vulnerabilities_new_and_fixed_and_apply_of_what_was_reviewed() {
        let registry = registry();
        let moto = moto();
        create_bucket(&moto);
        let aws = Aws::new(moto_settings(&moto)).unwrap();
        aws.block_on(
            aws.ecr("us-east-1")
                .create_repository()
                .repository_name(REPOSITORY)
                .send(),
        )
        .unwrap();
        let old = publish(&registry.url, &aws, "3.1.0", "old");
        let new = publish(&registry.url, &aws, "3.2.0", "new");
        assert_ne!(old, new);
        start_scan(&aws, REPOSITORY, &old);
        start_scan(&aws, REPOSITORY, &new);
        post(
            &moto,
            "/moto-api/static/ecr/scan-finding-results",
            &json!({"region": "us-east-1", "results": [
                ecr_result(REPOSITORY, &old, "COMPLETE", json!([
                    basic_finding("CVE-2024-1000", "openssl", "3.0.11", "HIGH"),
                    basic_finding("CVE-2024-2000", "zlib", "1.2.13", "MEDIUM"),
                ])),
                ecr_result(REPOSITORY, &new, "COMPLETE", json!([
                    basic_finding("CVE-2024-2000", "zlib", "1.2.13", "MEDIUM"),
                    basic_finding("CVE-2024-3000", "curl", "8.4.0", "CRITICAL"),
                ])),
            ]}),
        );
        let images = format!(
            "  backend: {ECR_HOST}/{REPOSITORY}\n  pin: true\n  scan: ecr-basic\n  scan_timeout_seconds: 30\n  fail_on: [CRITICAL]\nservice:\n  min_capacity: 1\n  max_capacity: 3\ndeploy:\n  artifact_bucket: artifacts\n"
        );
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path();
        write(dir, "templates/mini/main.json.j2", FRAGMENT);
        write(
            dir,
            "pipelines/alpha.yaml",
            &environment("alpha", "3.1.0", &images),
        );
        git(dir, &["init", "-q", "-b", "main"]);
        commit(dir, "base");
        write(
            dir,
            "pipelines/alpha.yaml",
            &environment("alpha", "3.2.0", &images),
        );
        let head = commit(dir, "head");

        let endpoint = format!("{ECR_HOST}={}", registry.url);
        let plan_args = [
            "plan",
            "--pack",
            "openmrs",
            "--registry-endpoint",
            endpoint.as_str(),
            "--format",
            "json",
        ];
        let output = run(dir, &moto, &plan_args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        // The new image brings a critical vulnerability: the plan is blocked, the change set still exists.
        assert_eq!(
            output.status.code(),
            code(ExitStatus::GateFailed),
            "{stderr}"
        );
        let plan = json_of(&output);
        let alpha = &plan["environments"][0];
        assert_eq!(alpha["verdict"], "blocked", "{alpha}");
        assert_eq!(alpha["compliance"]["passed"], true, "{alpha}");
        let image = &alpha["images"]["items"][0];
        assert_eq!(image["tag"], "3.2.0");
        assert_eq!(image["digest"], new.as_str(), "{image}");
        assert_eq!(image["base"]["digest"], old.as_str(), "{image}");
        assert_eq!(image["change"], "changed");
        assert_eq!(alpha["template"]["pinned"], true);
        let vulnerabilities = &alpha["images"]["vulnerabilities"];
        assert_eq!(cves(&vulnerabilities["new"]), ["CVE-2024-3000"], "{alpha}");
        assert_eq!(
            cves(&vulnerabilities["fixed"]),
            ["CVE-2024-1000"],
            "{alpha}"
        );
        assert_eq!(alpha["images"]["scan"]["passed"], false);
        assert_eq!(alpha["images"]["scan"]["blocking"], 1);
        // The template diff compares pinned with pinned: the digest changed in the task definition.
        let diff = alpha["diff"]["changes"].to_string();
        assert!(diff.contains(&format!("{REPOSITORY}@{old}")), "{diff}");
        assert!(diff.contains(&format!("{REPOSITORY}@{new}")), "{diff}");
        // The change set was created from the pinned template, uploaded under its hash.
        let change_set = &alpha["change_set"];
        assert_eq!(change_set["status"], "changes", "{change_set}");
        let sha256 = alpha["template"]["sha256"].as_str().unwrap();
        assert!(change_set["name"].as_str().unwrap().ends_with(sha256));
        let uploaded = aws.block_on(async {
            let config = aws_sdk_s3::Config::builder()
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .region(aws_sdk_s3::config::Region::new("us-east-1"))
                .endpoint_url(&moto.url)
                .force_path_style(true)
                .credentials_provider(aws_sdk_s3::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .build();
            let object = aws_sdk_s3::Client::from_conf(config)
                .get_object()
                .bucket("artifacts")
                .key(format!("alpha/{sha256}.template.json"))
                .send()
                .await
                .unwrap();
            object.body.collect().await.unwrap().into_bytes()
        });
        let uploaded = String::from_utf8_lossy(&uploaded);
        assert!(
            uploaded.contains(&format!("{ECR_HOST}/{REPOSITORY}@{new}")),
            "{uploaded}"
        );

        let output = run(
            dir,
            &moto,
            &[
                "plan",
                "--pack",
                "openmrs",
                "--registry-endpoint",
                endpoint.as_str(),
            ],
        );
        let markdown = String::from_utf8_lossy(&output.stdout).into_owned();
        for needle in [
            "Vulnerabilities new in this change:",
            "Vulnerabilities fixed by this change:",
            "[CVE-2024-3000](https://nvd.nist.gov/vuln/detail/CVE-2024-3000)",
            "**changed**",
            &format!("`{}`", &new[..19]),
        ] {
            assert!(markdown.contains(needle), "{needle} missing:\n{markdown}");
        }

        // The tag moves after the review. Apply does not ask the registry: it reads the reviewed digests back
        // from the planned template and applies exactly that.
        publish(&registry.url, &aws, "3.2.0", "moved");
        let output = run(
            dir,
            &moto,
            &["apply", "alpha", "--commit", &head, "--format", "json"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), code(ExitStatus::Success), "{stderr}");
        let applied = json_of(&output);
        assert_eq!(applied["status"], "CREATE_COMPLETE", "{applied}");
        assert_eq!(applied["sha256"], sha256, "{applied}");
    }
}
