//! Downloading Flux's `manifests.tar.gz` by version.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{BaseManifests, ManifestError};

/// Flux's GitHub releases, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://github.com/fluxcd/flux2/releases";

/// Where and how to download the base manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadSpec {
    /// The releases base URL.
    pub base_url: String,
    /// `latest` or a version such as `v2.9.4`.
    pub version: String,
    /// The whole request's time limit.
    pub timeout: Duration,
    /// The largest archive accepted, in bytes.
    pub max_bytes: u64,
    /// The expected SHA-256 of the archive (hex), checked when set.
    pub sha256: Option<String>,
}

impl DownloadSpec {
    /// A download of `version` from Flux's releases, with a 1 minute timeout and a 32 MiB
    /// limit.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            version: version.into(),
            timeout: Duration::from_secs(60),
            max_bytes: 32 * 1024 * 1024,
            sha256: None,
        }
    }

    /// The archive URL: `<base>/download/<version>/manifests.tar.gz`, or
    /// `<base>/latest/download/manifests.tar.gz` for a version not starting with `v`.
    pub fn url(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        if self.version.starts_with('v') {
            format!("{base}/download/{}/manifests.tar.gz", self.version)
        } else {
            format!("{base}/latest/download/manifests.tar.gz")
        }
    }
}

/// The URL without user-info, for logs and errors.
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "<invalid url>".to_string(),
    }
}

/// Downloads and unpacks the base manifests (200 only; size limit and timeout), checked
/// against the given SHA-256, or else against the release's own checksum list for a
/// named version.
#[tracing::instrument(skip_all, fields(version = %spec.version))]
pub async fn download_manifests(spec: &DownloadSpec) -> Result<BaseManifests, ManifestError> {
    let url = spec.url();
    let shown = redacted(&url);
    if let Some(expected) = &spec.sha256 {
        if expected.len() != 64 || !expected.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ManifestError::invalid(
                "sha256",
                expected,
                "must be 64 hex digits",
            ));
        }
    }
    let seconds = spec.timeout.as_secs();
    let timed_out = || ManifestError::DownloadTimeout {
        url: shown.clone(),
        seconds,
    };
    let fetch = async {
        let client =
            reqwest::Client::builder()
                .build()
                .map_err(|source| ManifestError::Download {
                    url: shown.clone(),
                    source,
                })?;
        let body = get_bytes(&client, &url, spec.max_bytes).await?;
        let expected = match (&spec.sha256, release_checksums_url(spec)) {
            (Some(given), _) => Some(given.to_lowercase()),
            (None, Some(sums_url)) => Some(listed_checksum(&client, &sums_url).await?),
            (None, None) => None,
        };
        Ok((body, expected))
    };
    let (body, expected) = tokio::time::timeout(spec.timeout, fetch)
        .await
        .map_err(|_| timed_out())??;
    if let Some(expected) = expected {
        let actual = hex(&Sha256::digest(&body));
        if actual != expected {
            return Err(ManifestError::ChecksumMismatch {
                url: shown,
                expected,
                actual,
            });
        }
    }
    tracing::debug!(bytes = body.len(), "downloaded base manifests");
    let version = spec.version.starts_with('v').then(|| spec.version.clone());
    BaseManifests::from_tar_gz(&body, &shown, version)
}

/// The release's checksum list (`flux_<version>_checksums.txt` beside the archive),
/// for a named version; `latest` names no file.
fn release_checksums_url(spec: &DownloadSpec) -> Option<String> {
    let number = spec.version.strip_prefix('v')?;
    let base = spec.base_url.trim_end_matches('/');
    Some(format!(
        "{base}/download/{}/flux_{number}_checksums.txt",
        spec.version
    ))
}

/// The digest the checksum list gives for `manifests.tar.gz`.
async fn listed_checksum(client: &reqwest::Client, url: &str) -> Result<String, ManifestError> {
    let text = get_bytes(client, url, 1024 * 1024).await?;
    String::from_utf8_lossy(&text)
        .lines()
        .find_map(|line| {
            let (sum, file) = line.split_once(char::is_whitespace)?;
            (file.trim_start_matches([' ', '*']) == "manifests.tar.gz"
                && sum.len() == 64
                && sum.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| sum.to_lowercase())
        })
        .ok_or_else(|| ManifestError::ChecksumNotListed { url: redacted(url) })
}

/// One GET: 200 only, at most `max_bytes` read.
async fn get_bytes(
    client: &reqwest::Client,
    url: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, ManifestError> {
    let shown = redacted(url);
    let failed = |source| ManifestError::Download {
        url: shown.clone(),
        source,
    };
    let mut response = client.get(url).send().await.map_err(failed)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(ManifestError::DownloadStatus {
            url: shown.clone(),
            status,
        });
    }
    let too_large = || ManifestError::DownloadTooLarge {
        url: shown.clone(),
        limit: max_bytes,
    };
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
