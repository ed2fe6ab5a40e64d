//! Real peers the images tests start on 127.0.0.1: Debian's docker-registry and moto. Each is stopped (killed)
//! when its guard drops. Readiness is polled; nothing sleeps a fixed time.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use omrs_gitops::render::sha256_hex;

use crate::support::venv_tool;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

/// Polls `url` until it answers anything (or 20 s pass).
fn wait_ready(url: &str, child: &mut Child, what: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if agent.get(url).call().is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        std::thread::yield_now();
    }
    panic!("{what} did not answer {url} within 20 s");
}

/// A process killed on drop.
pub struct Peer {
    child: Child,
    pub url: String,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's docker-registry (distribution 2.8) with a temp-dir filesystem root.
pub fn registry() -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let binary = which("docker-registry");
    let mut child = Command::new(binary)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{url}/v2/"), &mut child, "docker-registry");
    Peer {
        child,
        url,
        port,
        _dir: dir,
    }
}

/// moto_server from the test virtualenv.
pub fn moto() -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(venv_tool("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{url}/moto-api/"), &mut child, "moto_server");
    Peer {
        child,
        url,
        port,
        _dir: dir,
    }
}

fn which(name: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|path| Path::new(path).exists())
        .unwrap_or_else(|| {
            panic!("{name} is missing: run `scripts/test` (or `scripts/test-tools`), which installs it")
        })
}

/// Uploads `bytes` as a blob of `repository`; returns its digest.
pub fn push_blob(registry: &str, repository: &str, bytes: &[u8]) -> String {
    let agent = ureq::agent();
    let digest = format!("sha256:{}", sha256_hex(bytes));
    let response = agent
        .post(format!("{registry}/v2/{repository}/blobs/uploads/"))
        .send_empty()
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with("http") {
        location
    } else {
        format!("{registry}{location}")
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    agent
        .put(format!("{location}{separator}digest={digest}"))
        .header("Content-Type", "application/octet-stream")
        .send(bytes)
        .unwrap();
    digest
}

/// A one-layer Docker image manifest pushed under `tag`; returns the manifest bytes and their digest.
pub fn push_image(registry: &str, repository: &str, tag: &str) -> (Vec<u8>, String) {
    push_build(registry, repository, tag, "")
}

/// `push_image` of another build: a different `build` gives a different layer, manifest and digest.
pub fn push_build(registry: &str, repository: &str, tag: &str, build: &str) -> (Vec<u8>, String) {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":[]}},"repo":"{repository}"}}"#
    );
    let config_digest = push_blob(registry, repository, config.as_bytes());
    let layer = format!("layer of {repository}{build}");
    let layer_digest = push_blob(registry, repository, layer.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{config_digest}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{layer_digest}"}}]}}"#,
        config.len(),
        layer.len()
    );
    put_manifest(
        registry,
        repository,
        tag,
        "application/vnd.docker.distribution.manifest.v2+json",
        manifest.as_bytes(),
    )
}

/// Pushes a manifest (or index) of `media_type` under `tag`.
pub fn put_manifest(
    registry: &str,
    repository: &str,
    tag: &str,
    media_type: &str,
    bytes: &[u8],
) -> (Vec<u8>, String) {
    let response = ureq::agent()
        .put(format!("{registry}/v2/{repository}/manifests/{tag}"))
        .header("Content-Type", media_type)
        .send(bytes)
        .unwrap();
    assert_eq!(response.status(), 201);
    (bytes.to_vec(), format!("sha256:{}", sha256_hex(bytes)))
}

/// AWS settings for a moto peer: its endpoint, moto's fixed test credentials, no retries.
pub fn moto_settings(moto: &Peer) -> omrs_gitops::images::aws::AwsSettings {
    omrs_gitops::images::aws::AwsSettings {
        endpoint_url: Some(moto.url.clone()),
        no_retries: true,
        static_credentials: Some(("testing".to_owned(), "testing".to_owned())),
    }
}
