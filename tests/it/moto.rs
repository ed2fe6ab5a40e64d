//! End to end against moto server: plan uploads to S3 and creates a change set from the TemplateURL, a second plan
//! of the same template reports no changes, apply reaches CREATE_COMPLETE then UPDATE_COMPLETE, apply refuses a
//! change set whose template differs from the commit's, and several environments plan in parallel.

use std::path::Path;
use std::process::{Command, Output};

use omrs_gitops::exit::ExitStatus;

use crate::peers::{moto, Peer};

/// moto's endpoint as CloudFormation must see it: moto parses `127.0.0.1` in a TemplateURL as a bucket name;
/// `localhost` works.
fn endpoint(moto: &Peer) -> String {
    format!("http://localhost:{}", moto.port)
}

const SET: &str = r#"{
  "Parameters": {
    "AdminPassword": {"Type": "String", "NoEcho": true, "Default": "s3cr3t-Value-77"}
  },
  "Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {{ env.stack.name }}}},
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {{ env.service.min_capacity }}}},
    "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": {{ "/" ~ env.stack.name ~ "/admin" }}, "Type": "String", "Value": {"Ref": "AdminPassword"}}}
  }
}
"#;

fn environment(name: &str, min_capacity: u32) -> String {
    format!(
        "stack:\n  name: {name}\n  account: \"123456789012\"\n  region: us-east-1\n  template_set: moto\n  tags:\n    Project: test\nservice:\n  min_capacity: {min_capacity}\n  max_capacity: 5\ndeploy:\n  artifact_bucket: artifacts\n"
    )
}

pub fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

pub fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

pub fn run(dir: &Path, moto: &Peer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omrs-gitops"))
        .args(args)
        .args(["--aws-endpoint-url", &endpoint(moto)])
        .current_dir(dir)
        .env_remove("OMRS_GITOPS_ROOT")
        .env_remove("GITHUB_SHA")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

pub fn json_of(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn code(status: ExitStatus) -> Option<i32> {
    Some(i32::from(status.code()))
}

pub fn create_bucket(moto: &Peer) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", moto.port)).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "PUT /artifacts HTTP/1.1\r\nHost: localhost:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        moto.port
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn plan_apply_and_replan_against_moto() {
    let moto = moto();
    create_bucket(&moto);
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    write(dir, "templates/moto/main.json.j2", SET);
    write(dir, "pipelines/alpha.yaml", &environment("alpha", 1));
    write(dir, "pipelines/beta.yaml", &environment("beta", 1));
    write(dir, "pipelines/gamma.yaml", &environment("gamma", 1));
    git(dir, &["init", "-q", "-b", "main"]);
    let first = commit(dir, "first");

    // Several environments in parallel: each gets a CREATE change set from an S3 TemplateURL. The rule packs
    // run alongside: the unencrypted topic and queue block the plan (exit 1), and the change sets still exist.
    let output = run(dir, &moto, &["plan", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        code(ExitStatus::GateFailed),
        "{stderr}"
    );
    let plan = json_of(&output);
    assert_eq!(plan["mode"], "online");
    assert_eq!(plan["passed"], false);
    let environments = plan["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 3);
    for item in environments {
        assert_eq!(item["verdict"], "blocked", "{item}");
        assert_eq!(item["compliance"]["passed"], false, "{item}");
        assert!(
            item["compliance"]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|row| row["rule_id"] == "HIPAA.Security-SNSEncryptedKMS"),
            "{item}"
        );
        // No base commit (HEAD~1 does not exist): everything is new.
        assert_eq!(item["diff"]["counts"]["added"], 4, "{item}");
        assert_eq!(item["change_set"]["status"], "changes", "{item}");
        assert_eq!(item["change_set"]["type"], "CREATE");
        let url = item["change_set"]["template_url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!(
                "{}/artifacts/{}/",
                endpoint(&moto),
                item["stack"].as_str().unwrap()
            )),
            "{url}"
        );
        assert!(url.ends_with(&format!(
            "{}.template.json",
            item["template"]["sha256"].as_str().unwrap()
        )));
        assert_eq!(item["change_set"]["counts"]["add"], 3, "{item}");
        let name = item["change_set"]["name"].as_str().unwrap();
        assert!(name.starts_with(&format!("omrs-{first}-")), "{name}");
    }
    // The NoEcho value never reaches any output format.
    for format in ["text", "markdown", "json"] {
        let output = run(
            dir,
            &moto,
            &["plan", "alpha", "--pack", "openmrs", "--format", format],
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.contains("s3cr3t-Value-77"), "{format}: {all}");
    }

    // Apply the reviewed change set: the stack is created.
    let output = run(dir, &moto, &["apply", "alpha", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), code(ExitStatus::Success), "{stderr}");
    assert_eq!(json_of(&output)["status"], "CREATE_COMPLETE");
    assert!(!stderr.contains("s3cr3t-Value-77"));

    // The same template again: no changes. (Only the OpenMRS pack from here: it has nothing to say about a
    // topic and a queue, so the plan passes.)
    let output = run(
        dir,
        &moto,
        &["plan", "alpha", "--pack", "openmrs", "--format", "json"],
    );
    assert_eq!(output.status.code(), code(ExitStatus::Success));
    let plan = json_of(&output);
    assert_eq!(
        plan["environments"][0]["change_set"]["status"],
        "no_changes"
    );
    assert_eq!(plan["environments"][0]["verdict"], "no_changes");

    // A change, committed: UPDATE change set, applied.
    write(dir, "pipelines/alpha.yaml", &environment("alpha", 3));
    let second = commit(dir, "second");
    let output = run(
        dir,
        &moto,
        &["plan", "alpha", "--pack", "openmrs", "--format", "json"],
    );
    let plan = json_of(&output);
    assert_eq!(
        plan["environments"][0]["change_set"]["type"], "UPDATE",
        "{plan}"
    );
    assert_eq!(
        plan["environments"][0]["change_set"]["counts"]["modify"], 1,
        "{plan}"
    );
    assert_eq!(plan["environments"][0]["verdict"], "ready", "{plan}");
    // Compared with the previous commit: the queue's delay changed.
    assert_eq!(
        plan["environments"][0]["diff"]["counts"]["modified"], 1,
        "{plan}"
    );
    let output = run(
        dir,
        &moto,
        &["apply", "alpha", "--commit", &second, "--format", "json"],
    );
    assert_eq!(
        output.status.code(),
        code(ExitStatus::Success),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json_of(&output)["status"], "UPDATE_COMPLETE");

    // A plan from an uncommitted work tree, bound to the commit: apply renders the commit and refuses.
    write(dir, "pipelines/alpha.yaml", &environment("alpha", 4));
    let third = commit(dir, "third");
    write(dir, "pipelines/alpha.yaml", &environment("alpha", 5));
    let output = run(
        dir,
        &moto,
        &[
            "plan", "alpha", "--pack", "openmrs", "--commit", &third, "--format", "json",
        ],
    );
    assert_eq!(output.status.code(), code(ExitStatus::Success));
    let output = run(dir, &moto, &["apply", "alpha", "--commit", &third]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        code(ExitStatus::GateFailed),
        "{stderr}"
    );
    assert!(stderr.contains("different template"), "{stderr}");
}

#[test]
fn plan_without_artifact_bucket_is_bad_input_and_other_environments_still_plan() {
    let moto = moto();
    create_bucket(&moto);
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    write(dir, "templates/moto/main.json.j2", SET);
    write(dir, "pipelines/good.yaml", &environment("good", 1));
    write(
        dir,
        "pipelines/nobucket.yaml",
        &environment("nobucket", 1).replace("deploy:\n  artifact_bucket: artifacts\n", ""),
    );
    let output = run(
        dir,
        &moto,
        &["plan", "--commit", "abc123", "--format", "json"],
    );
    assert_eq!(output.status.code(), code(ExitStatus::BadInput));
    let plan = json_of(&output);
    assert_eq!(plan["environments"][0]["change_set"]["status"], "changes");
    assert_eq!(plan["environments"][1]["change_set"]["status"], "failed");
    assert_eq!(plan["environments"][1]["verdict"], "failed");
    assert!(plan["environments"][1]["change_set"]["error"]
        .as_str()
        .unwrap()
        .contains("deploy.artifact_bucket"));
    assert!(plan["environments"][1]["errors"][0]
        .as_str()
        .unwrap()
        .contains("deploy.artifact_bucket"));
}
