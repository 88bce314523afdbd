//! The environment's OCI registry (the CNCF registry over HTTPS with basic auth):
//! pushing images with crane, Flux artifacts with the Flux CLI and Helm charts
//! through the registry API, and the pull and
//! CA Secrets Flux objects use to reach it.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::chart_repo::package_chart;
use crate::fixture::var;
use crate::kube::kubectl;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The registry's coordinates and a client configuration (a docker config holding
/// its login) for crane and the Flux CLI.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Basic-auth user.
    pub username: String,
    /// Basic-auth password.
    pub password: String,
    /// The CA of the registry's certificate (PEM file).
    pub ca_file: PathBuf,
    config: tempfile::TempDir,
}

fn go_bin(name: &str) -> PathBuf {
    crate::env::go_bin(name).unwrap_or_else(|| panic!("no HOME to find go/bin/{name} in"))
}

impl Registry {
    /// The environment's registry, logged in.
    pub fn from_env() -> Self {
        let registry = Self {
            host: var("FLUX_TEST_OCI_REGISTRY"),
            username: var("FLUX_TEST_OCI_USERNAME"),
            password: var("FLUX_TEST_OCI_PASSWORD"),
            ca_file: PathBuf::from(var("FLUX_TEST_OCI_CA_FILE")),
            config: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        registry.crane(&[
            "auth",
            "login",
            &registry.host,
            "-u",
            &registry.username,
            "-p",
            &registry.password,
        ]);
        registry
    }

    /// `<host>/<repository>`.
    pub fn repository(&self, name: &str) -> String {
        format!("{}/{name}", self.host)
    }

    /// Runs a Go client (crane, flux) with the login and the CA; stdout.
    fn run(&self, program: &Path, args: &[&str]) -> String {
        let out = Command::new(program)
            .args(args)
            .env("DOCKER_CONFIG", self.config.path())
            .env("SSL_CERT_FILE", &self.ca_file)
            .env("HOME", self.config.path())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// crane (built by the setup) with this registry's login.
    pub fn crane(&self, args: &[&str]) -> String {
        self.run(&go_bin("crane"), args)
    }

    /// Pushes a one-layer image `<repository>:<tag>` (the layer holds a file naming
    /// the tag, so every tag is a different image).
    pub fn push_image(&self, repository: &str, tag: &str) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("version"), tag).unwrap_or_else(|e| panic!("{e}"));
        let layer = dir.path().join("layer.tar");
        let status = Command::new("tar")
            .args(["-C", &dir.path().to_string_lossy(), "-cf"])
            .arg(&layer)
            .arg("version")
            .status()
            .unwrap_or_else(|e| panic!("tar: {e}"));
        assert!(status.success(), "tar failed");
        let target = format!("{}:{tag}", self.repository(repository));
        self.crane(&["append", "-f", &layer.to_string_lossy(), "-t", &target]);
    }

    /// Pushes `dir` as a Flux artifact `<repository>:<tag>` with the Flux CLI
    /// (Flux's media types and annotations).
    pub fn push_artifact(&self, repository: &str, tag: &str, dir: &Path) {
        let url = format!("oci://{}:{tag}", self.repository(repository));
        let creds = format!("{}:{}", self.username, self.password);
        self.run(
            &go_bin("flux"),
            &[
                "push",
                "artifact",
                &url,
                &format!("--path={}", dir.display()),
                "--source=https://example.com/fleet.git",
                &format!("--revision={tag}@sha1:0000000000000000000000000000000000000000"),
                &format!("--creds={creds}"),
            ],
        );
    }

    /// Pushes chart `name` at `version` (see [`package_chart`]) as a Helm OCI
    /// artifact `<prefix>/<name>:<version>`, with Helm's media types, through the
    /// registry's HTTP API (OCI distribution: two blob uploads, then the manifest).
    pub fn push_chart(&self, prefix: &str, name: &str, version: &str) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let chart = std::fs::read(package_chart(dir.path(), name, version))
            .unwrap_or_else(|e| panic!("{e}"));
        let config = format!(
            "{{\"apiVersion\":\"v2\",\"name\":\"{name}\",\"version\":\"{version}\",\"type\":\"application\"}}"
        );
        let repository = format!("{prefix}/{name}");
        let config_digest = self.upload_blob(&repository, config.as_bytes());
        let chart_digest = self.upload_blob(&repository, &chart);
        let manifest = format!(
            "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
             \"config\":{{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\",\"digest\":\"{config_digest}\",\"size\":{}}},\
             \"layers\":[{{\"mediaType\":\"application/vnd.cncf.helm.chart.content.v1.tar+gzip\",\"digest\":\"{chart_digest}\",\"size\":{}}}]}}",
            config.len(),
            chart.len()
        );
        let body = dir.path().join("manifest.json");
        std::fs::write(&body, manifest).unwrap_or_else(|e| panic!("{e}"));
        let url = format!("https://{}/v2/{repository}/manifests/{version}", self.host);
        self.curl(&[
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/vnd.oci.image.manifest.v1+json",
            "--data-binary",
            &format!("@{}", body.display()),
            &url,
        ]);
    }

    /// Uploads one blob (start an upload session, then put the whole blob); its digest.
    fn upload_blob(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = format!("sha256:{}", hex(&Sha256::digest(bytes)));
        let start = format!("https://{}/v2/{repository}/blobs/uploads/", self.host);
        let headers = self.curl(&["-X", "POST", "-D", "-", "-o", "/dev/null", &start]);
        let location = headers
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("location")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no upload location in:\n{headers}"));
        let location = if location.starts_with('/') {
            format!("https://{}{location}", self.host)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(file.path(), bytes).unwrap_or_else(|e| panic!("{e}"));
        self.curl(&[
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            &format!("@{}", file.path().display()),
            &format!("{location}{separator}digest={digest}"),
        ]);
        digest
    }

    /// curl with the registry's login and CA, failing on an HTTP error; stdout.
    fn curl(&self, args: &[&str]) -> String {
        let out = Command::new("curl")
            .args(["-sS", "--fail-with-body", "--cacert"])
            .arg(&self.ca_file)
            .args(["-u", &format!("{}:{}", self.username, self.password)])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("curl: {e}"));
        assert!(
            out.status.success(),
            "curl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The tags of `repository`, as the registry lists them.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        self.crane(&["ls", &self.repository(repository)])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Creates, in `namespace`, the Secrets Flux objects need for this registry: a
    /// `kubernetes.io/dockerconfigjson` pull Secret `pull` and a Secret `registry-ca`
    /// with its CA as `ca.crt`.
    pub fn create_secrets(&self, namespace: &str) {
        kubectl(&[
            "-n",
            namespace,
            "create",
            "secret",
            "docker-registry",
            "pull",
            &format!("--docker-server={}", self.host),
            &format!("--docker-username={}", self.username),
            &format!("--docker-password={}", self.password),
        ]);
        kubectl(&[
            "-n",
            namespace,
            "create",
            "secret",
            "generic",
            "registry-ca",
            &format!("--from-file=ca.crt={}", self.ca_file.display()),
        ]);
    }
}
