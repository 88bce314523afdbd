//! The release download against a real HTTP server on loopback.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flux_core::manifests::{
    download_manifests, render_install, BaseManifests, DownloadSpec, InstallOptions, InstallSpec,
    ManifestError,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("flux-manifests/v2.9.4")
}

/// A flat `manifests.tar.gz` of the built-in release's files, as Flux publishes it.
fn archive() -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let name = path.file_name().unwrap().to_owned();
        builder.append_path_with_name(&path, name).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Clone, Copy)]
enum Reply {
    Archive,
    NotFound,
    Hang,
}

struct Server {
    base_url: String,
    paths: Arc<Mutex<Vec<String>>>,
}

/// A release's checksum list naming `body` as `manifests.tar.gz`, as Flux publishes it.
fn checksums_of(body: &[u8]) -> String {
    format!(
        "{}  flux_2.9.4_linux_amd64.tar.gz\n{}  manifests.tar.gz\n",
        "1".repeat(64),
        sha256(body)
    )
}

/// Serves `body` for every GET (or a 404, or nothing at all), the release's checksum
/// list of `body` for `*_checksums.txt`, and records request paths.
async fn serve(reply: Reply, body: Vec<u8>) -> Server {
    let sums = checksums_of(&body);
    serve_with_checksums(reply, body, Some(sums)).await
}

async fn serve_with_checksums(reply: Reply, body: Vec<u8>, checksums: Option<String>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!(
        "http://{}/fluxcd/flux2/releases",
        listener.local_addr().unwrap()
    );
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            let checksums = checksums.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                seen.lock().unwrap().push(path.clone());
                let (reply, body) = match (path.ends_with("_checksums.txt"), checksums) {
                    (true, Some(text)) => (Reply::Archive, text.into_bytes()),
                    (true, None) => (Reply::NotFound, Vec::new()),
                    (false, _) => (reply, body),
                };
                match reply {
                    Reply::Archive => {
                        let header = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(header.as_bytes()).await;
                        let _ = stream.write_all(&body).await;
                    }
                    Reply::NotFound => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                    }
                    Reply::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    Server { base_url, paths }
}

fn spec(server: &Server, version: &str) -> DownloadSpec {
    DownloadSpec {
        base_url: server.base_url.clone(),
        timeout: Duration::from_secs(10),
        ..DownloadSpec::new(version)
    }
}

#[tokio::test]
async fn download_manifests_with_checksum_renders_like_embedded() {
    let body = archive();
    let server = serve(Reply::Archive, body.clone()).await;
    let downloaded = download_manifests(&DownloadSpec {
        sha256: Some(sha256(&body)),
        ..spec(&server, "v2.9.4")
    })
    .await
    .unwrap();
    assert_eq!(downloaded.version(), Some("v2.9.4"));
    assert_eq!(
        server.paths.lock().unwrap().as_slice(),
        ["/fluxcd/flux2/releases/download/v2.9.4/manifests.tar.gz"]
    );
    let install = InstallSpec::from_options(InstallOptions::default()).unwrap();
    let embedded = BaseManifests::embedded().unwrap();
    assert_eq!(
        render_install(&install, &downloaded).unwrap().objects,
        render_install(&install, &embedded).unwrap().objects
    );
}

#[tokio::test]
async fn download_manifests_of_a_version_is_checked_against_the_release_checksums() {
    let body = archive();
    let server = serve(Reply::Archive, body).await;
    let downloaded = download_manifests(&spec(&server, "v2.9.4")).await.unwrap();
    assert_eq!(downloaded.version(), Some("v2.9.4"));
    assert_eq!(
        server.paths.lock().unwrap().as_slice(),
        [
            "/fluxcd/flux2/releases/download/v2.9.4/manifests.tar.gz",
            "/fluxcd/flux2/releases/download/v2.9.4/flux_2.9.4_checksums.txt"
        ]
    );
}

#[tokio::test]
async fn download_manifests_not_in_the_release_checksums_fails() {
    let body = archive();
    let other = checksums_of(b"another archive");
    let server = serve_with_checksums(Reply::Archive, body, Some(other)).await;
    let err = download_manifests(&spec(&server, "v2.9.4"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ManifestError::ChecksumMismatch { .. }),
        "{err}"
    );

    let unlisted = "0000  flux_2.9.4_linux_amd64.tar.gz\n".to_string();
    let server = serve_with_checksums(Reply::Archive, archive(), Some(unlisted)).await;
    let err = download_manifests(&spec(&server, "v2.9.4"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ManifestError::ChecksumNotListed { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("flux_2.9.4_checksums.txt lists no checksum for manifests.tar.gz"),
        "{err}"
    );

    let server = serve_with_checksums(Reply::Archive, archive(), None).await;
    let err = download_manifests(&spec(&server, "v2.9.4"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ManifestError::DownloadStatus { status: 404, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn download_manifests_latest_uses_the_latest_path() {
    let server = serve(Reply::Archive, archive()).await;
    let downloaded = download_manifests(&spec(&server, "latest")).await.unwrap();
    assert_eq!(downloaded.version(), None);
    assert_eq!(
        server.paths.lock().unwrap().as_slice(),
        ["/fluxcd/flux2/releases/latest/download/manifests.tar.gz"]
    );
}

#[tokio::test]
async fn download_manifests_checksum_mismatch_fails() {
    let server = serve(Reply::Archive, archive()).await;
    let err = download_manifests(&DownloadSpec {
        sha256: Some("0".repeat(64)),
        ..spec(&server, "v2.9.4")
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, ManifestError::ChecksumMismatch { .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with("checksum mismatch for http://127.0.0.1:"));
}

#[tokio::test]
async fn download_manifests_over_size_limit_fails() {
    let body = archive();
    let server = serve(Reply::Archive, body.clone()).await;
    let err = download_manifests(&DownloadSpec {
        max_bytes: body.len() as u64 - 1,
        ..spec(&server, "v2.9.4")
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, ManifestError::DownloadTooLarge { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn download_manifests_slow_server_times_out() {
    let server = serve(Reply::Hang, Vec::new()).await;
    let started = std::time::Instant::now();
    let err = download_manifests(&DownloadSpec {
        timeout: Duration::from_millis(300),
        ..spec(&server, "v2.9.4")
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, ManifestError::DownloadTimeout { .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn download_manifests_not_found_reports_the_status() {
    let server = serve(Reply::NotFound, Vec::new()).await;
    let err = download_manifests(&spec(&server, "v9.9.9"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ManifestError::DownloadStatus { status: 404, .. }),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn download_manifests_credentials_never_appear_in_errors() {
    let server = serve(Reply::NotFound, Vec::new()).await;
    let base_url = server.base_url.replace("http://", "http://user:hunter2@");
    let err = download_manifests(&DownloadSpec {
        base_url,
        ..spec(&server, "v2.9.4")
    })
    .await
    .unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn base_manifests_from_tar_gz_file_reads_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifests.tar.gz");
    std::fs::write(&file, archive()).unwrap();
    let base = BaseManifests::from_path(&file).unwrap();
    let install = InstallSpec::from_options(InstallOptions::default()).unwrap();
    assert_eq!(render_install(&install, &base).unwrap().objects.len(), 32);
}
