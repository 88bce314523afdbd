//! Errors of the manifests module.

/// A failure to validate options, load base manifests, render or apply an override.
///
/// Validation variants name the option (a field of the install or sync options) in
/// [`ManifestError::option`], so a caller can point at the setting it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// A value that breaks an option's rule.
    #[error("invalid {option} {value:?}: {reason}")]
    InvalidOption {
        /// The option name, e.g. `namespace`.
        option: &'static str,
        /// The offending value.
        value: String,
        /// What the rule is.
        reason: String,
    },
    /// A required component is not in `components`.
    #[error("components must include {component}")]
    MissingComponent {
        /// The component that is required.
        component: &'static str,
    },
    /// A base manifest file is missing from the source.
    #[error("base manifests lack {file}")]
    MissingBaseFile {
        /// The file name, e.g. `source-controller.yaml`.
        file: String,
    },
    /// A file or directory could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The path.
        path: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// YAML that does not parse.
    #[error("{what} is not valid YAML")]
    Yaml {
        /// What was parsed (a file name, `kustomization_override`, `patches[2]`).
        what: String,
        /// The parser's error.
        #[source]
        source: serde_norway::Error,
    },
    /// A YAML document that is not a Kubernetes object.
    #[error("{what}: document {index} is not a Kubernetes object: {reason}")]
    NotAnObject {
        /// Where the document came from.
        what: String,
        /// Its position, from 0.
        index: usize,
        /// Why it is not an object.
        reason: String,
    },
    /// A base manifest object without the shape the generator patches.
    #[error("base manifest {object} is not as expected: {reason}")]
    UnexpectedBase {
        /// The object.
        object: String,
        /// What is missing.
        reason: String,
    },
    /// The release download failed at the HTTP level.
    #[error("failed to download {url}")]
    Download {
        /// The URL (credentials never appear in it).
        url: String,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The release server answered with a status other than 200.
    #[error("download of {url} answered HTTP {status}")]
    DownloadStatus {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The download did not finish within the timeout.
    #[error("download of {url} did not finish within {seconds}s")]
    DownloadTimeout {
        /// The URL.
        url: String,
        /// The timeout in seconds.
        seconds: u64,
    },
    /// The download is larger than the size limit.
    #[error("download of {url} exceeds the size limit of {limit} bytes")]
    DownloadTooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The release's checksum list has no line for `manifests.tar.gz`.
    #[error("{url} lists no checksum for manifests.tar.gz")]
    ChecksumNotListed {
        /// The checksum list's URL.
        url: String,
    },
    /// The downloaded archive does not have the expected SHA-256.
    #[error("checksum mismatch for {url}: expected sha256 {expected}, got {actual}")]
    ChecksumMismatch {
        /// The URL.
        url: String,
        /// The expected hex digest.
        expected: String,
        /// The digest of what was received.
        actual: String,
    },
    /// The archive could not be unpacked.
    #[error("failed to unpack {what}")]
    Archive {
        /// What was unpacked.
        what: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A `kustomization_override` field that kustomize does not know either.
    #[error("kustomization_override: {field} is not a field of a kustomize Kustomization")]
    UnknownOverrideField {
        /// The field path, e.g. `patchesJson` or `patches[0].target.foo`.
        field: String,
    },
    /// An override with fields only kustomize builds, given to this engine to apply.
    #[error("kustomization_override: {} can only be built by kustomize", fields.join(", "))]
    OverrideNeedsKustomize {
        /// The [deferred](super::Override::deferred) fields.
        fields: Vec<String>,
    },
    /// A `replicas` entry whose name matches no workload.
    #[error("kustomization_override: {field} names {name}, which is no Deployment, StatefulSet, ReplicaSet or ReplicationController")]
    ReplicasNoMatch {
        /// The field path, e.g. `replicas[0]`.
        field: String,
        /// The name it looked for.
        name: String,
    },
    /// A `kustomization_override` field with a wrong value.
    #[error("kustomization_override: {field} {reason}")]
    InvalidOverrideField {
        /// The field path, e.g. `resources` or `patches[1].target.name`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A regular expression in a patch target that does not compile.
    #[error("kustomization_override: {field} is not a valid regular expression")]
    TargetRegex {
        /// The field path.
        field: String,
        /// The regex error.
        #[source]
        source: Box<regex::Error>,
    },
    /// A JSON 6902 patch that does not apply to an object.
    #[error("kustomization_override: {field} does not apply to {object}")]
    JsonPatch {
        /// The field path of the patch.
        field: String,
        /// The object it was applied to.
        object: String,
        /// The patch error.
        #[source]
        source: json_patch::PatchError,
    },
    /// A JSON 6902 patch that does not parse as an operation list.
    #[error("kustomization_override: {field} is not a JSON 6902 operation list")]
    JsonPatchParse {
        /// The field path of the patch.
        field: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}

impl ManifestError {
    /// The option the error is about, when it is about one.
    pub fn option(&self) -> Option<&str> {
        match self {
            Self::InvalidOption { option, .. } => Some(option),
            Self::MissingComponent { .. } => Some("components"),
            Self::Yaml { what, .. } | Self::NotAnObject { what, .. }
                if what.starts_with("kustomization_override") =>
            {
                Some("kustomization_override")
            }
            Self::UnknownOverrideField { .. }
            | Self::OverrideNeedsKustomize { .. }
            | Self::ReplicasNoMatch { .. }
            | Self::InvalidOverrideField { .. }
            | Self::TargetRegex { .. }
            | Self::JsonPatch { .. }
            | Self::JsonPatchParse { .. } => Some("kustomization_override"),
            _ => None,
        }
    }

    /// True for a bad input (as opposed to a failure to read or download).
    pub fn is_invalid_input(&self) -> bool {
        self.option().is_some()
    }

    /// True when retrying the same download may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Download { .. } | Self::DownloadTimeout { .. } => true,
            Self::DownloadStatus { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    pub(crate) fn invalid(option: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self::InvalidOption {
            option,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn override_field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidOverrideField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
