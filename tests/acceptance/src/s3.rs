//! The environment's S3-compatible server (versitygw): buckets and objects written
//! through its S3 API with curl's AWS Signature Version 4, as any S3 client does.
#![expect(
    clippy::panic,
    reason = "test harness: a step that cannot run fails the calling test with its reason"
)]

use std::process::Command;

use sha2::{Digest, Sha256};

use crate::fixture::var;

/// The server's endpoint and root credentials.
pub struct S3 {
    /// `127.0.0.1:PORT` (plain HTTP).
    pub endpoint: String,
    /// Access key ID.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

impl S3 {
    /// The environment's server.
    pub fn from_env() -> Self {
        Self {
            endpoint: var("FLUX_TEST_S3_ENDPOINT"),
            access_key: var("FLUX_TEST_S3_ACCESS_KEY"),
            secret_key: var("FLUX_TEST_S3_SECRET_KEY"),
        }
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, bucket: &str) {
        self.put(&format!("/{bucket}"), None);
    }

    /// Writes an object.
    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        self.put(&format!("/{bucket}/{key}"), Some(body));
    }

    /// A signed PUT; the body's SHA-256 is a header S3 servers require with SigV4.
    fn put(&self, path: &str, body: Option<&[u8]>) {
        let file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(file.path(), body.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        let digest: String = Sha256::digest(body.unwrap_or_default())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sS",
            "--fail-with-body",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
        ])
        .args([
            "--user",
            &format!("{}:{}", self.access_key, self.secret_key),
        ])
        .args(["-H", &format!("x-amz-content-sha256: {digest}")]);
        match body {
            Some(_) => cmd.arg("-T").arg(file.path()),
            None => cmd.args(["-X", "PUT"]),
        };
        let out = cmd
            .arg(format!("http://{}{path}", self.endpoint))
            .output()
            .unwrap_or_else(|e| panic!("curl: {e}"));
        assert!(
            out.status.success(),
            "S3 PUT {path} failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
