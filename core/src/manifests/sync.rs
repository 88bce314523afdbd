//! The sync render (`gotk-sync.yaml`): the GitRepository and the root Kustomization.

use std::fmt;

use serde_json::{json, Map, Value};

use super::duration::GoDuration;
use super::install::GENERATED_NOTICE;
use super::validate;
use super::yaml::write_documents;
use super::{ManifestError, Rendered};

/// The git reference the GitRepository follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRef {
    /// A branch name (`spec.ref.branch`).
    Branch(String),
    /// A tag (`spec.ref.tag`).
    Tag(String),
    /// A semver range over tags (`spec.ref.semver`).
    Semver(String),
    /// A commit SHA (`spec.ref.commit`).
    Commit(String),
    /// A full reference name such as `refs/pull/1/head` (`spec.ref.name`).
    Name(String),
}

impl GitRef {
    /// The `spec.ref` field that holds this ref.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Branch(_) => "branch",
            Self::Tag(_) => "tag",
            Self::Semver(_) => "semver",
            Self::Commit(_) => "commit",
            Self::Name(_) => "name",
        }
    }

    /// The branch, tag, range, commit or reference name.
    pub fn value(&self) -> &str {
        match self {
            Self::Branch(v) | Self::Tag(v) | Self::Semver(v) | Self::Commit(v) | Self::Name(v) => v,
        }
    }
}

/// `<field> <value>`, as in `tag v1.0.0`.
impl fmt::Display for GitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field(), self.value())
    }
}

/// Sync options as given (raw), with Flux's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Name of the GitRepository and the Kustomization.
    pub name: String,
    /// Their namespace.
    pub namespace: String,
    /// The repository URL (credentials stripped by the caller).
    pub url: String,
    /// GitRepository interval (Go duration); written canonically (`1m` → `1m0s`).
    pub interval: String,
    /// The reference; `None` writes `ref: {}`.
    pub git_ref: Option<GitRef>,
    /// `spec.secretRef.name`, always written (even when empty).
    pub secret_name: String,
    /// The path the root Kustomization syncs (`./<path>`).
    pub path: String,
    /// `spec.recurseSubmodules`.
    pub recurse_submodules: bool,
    /// `spec.sparseCheckout` directories.
    pub sparse_checkout: Vec<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            name: "flux-system".to_string(),
            namespace: "flux-system".to_string(),
            url: String::new(),
            interval: "1m0s".to_string(),
            git_ref: Some(GitRef::Branch("main".to_string())),
            secret_name: "flux-system".to_string(),
            path: String::new(),
            recurse_submodules: false,
            sparse_checkout: Vec::new(),
        }
    }
}

/// Validated sync options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSpec {
    name: String,
    namespace: String,
    url: String,
    interval: GoDuration,
    git_ref: Option<GitRef>,
    secret_name: String,
    path: String,
    recurse_submodules: bool,
    sparse_checkout: Vec<String>,
}

impl SyncSpec {
    /// Validates every option, returning all the errors found (each names its option).
    pub fn from_options(options: SyncOptions) -> Result<Self, Vec<ManifestError>> {
        let mut errors = Vec::new();
        let mut check = |r: Result<(), ManifestError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        check(validate::validate_resource_name("name", &options.name));
        check(validate::validate_namespace(&options.namespace));
        if !options.secret_name.is_empty() {
            check(validate::validate_resource_name(
                "secret_name",
                &options.secret_name,
            ));
        }
        check(validate_url(&options.url));
        check(validate_path(&options.path));
        if let Some(git_ref) = &options.git_ref {
            check(validate_git_ref(git_ref));
        }
        for dir in &options.sparse_checkout {
            if dir.is_empty() || dir.split('/').any(|p| p == "..") {
                check(Err(ManifestError::invalid(
                    "sparse_checkout",
                    dir,
                    "must be a relative directory without '..'",
                )));
            }
        }
        let interval = match validate::validate_interval("interval", &options.interval) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        match interval {
            Some(interval) if errors.is_empty() => Ok(Self {
                name: options.name,
                namespace: options.namespace,
                url: options.url,
                interval,
                git_ref: options.git_ref,
                secret_name: options.secret_name,
                path: options.path,
                recurse_submodules: options.recurse_submodules,
                sparse_checkout: options.sparse_checkout,
            }),
            _ => Err(errors),
        }
    }

    /// The name of both objects.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace of both objects.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The root Kustomization's `spec.path`: `./<path>` without a doubled `./`.
    pub fn kustomization_path(&self) -> String {
        format!("./{}", self.path.trim_start_matches("./"))
    }
}

fn validate_url(url: &str) -> Result<(), ManifestError> {
    let ok = ["ssh://", "http://", "https://"]
        .iter()
        .any(|scheme| url.len() > scheme.len() && url.starts_with(scheme))
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "url",
            url,
            "must be an ssh://, http:// or https:// URL",
        ))
    }
}

fn validate_path(path: &str) -> Result<(), ManifestError> {
    if path.starts_with('/') || path.split('/').any(|p| p == "..") {
        Err(ManifestError::invalid(
            "path",
            path,
            "must be relative to the repository root, without '..'",
        ))
    } else {
        Ok(())
    }
}

fn validate_git_ref(git_ref: &GitRef) -> Result<(), ManifestError> {
    let (option, value) = (git_ref.field(), git_ref.value());
    if value.trim().is_empty() {
        return Err(ManifestError::invalid(option, value, "must not be empty"));
    }
    if let GitRef::Commit(sha) = git_ref {
        if !(sha.len() == 40 || sha.len() == 64) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ManifestError::invalid(
                option,
                value,
                "must be a full SHA-1 (40) or SHA-256 (64) hex commit id",
            ));
        }
    }
    Ok(())
}

/// Renders `gotk-sync.yaml`: the notice line, then the GitRepository and the Kustomization.
pub fn render_sync(spec: &SyncSpec) -> Rendered {
    let objects = sync_objects(spec);
    let text = format!("{GENERATED_NOTICE}\n---\n{}", write_documents(&objects));
    Rendered { text, objects }
}

/// The GitRepository and the Kustomization, as Flux's sync generator builds them.
pub fn sync_objects(spec: &SyncSpec) -> Vec<Value> {
    let mut git_ref = Map::new();
    if let Some(r) = &spec.git_ref {
        git_ref.insert(r.field().to_string(), Value::from(r.value()));
    }
    let mut source_spec = json!({
        "interval": spec.interval.to_string(),
        "ref": git_ref,
        "secretRef": { "name": spec.secret_name },
        "url": spec.url,
    });
    if spec.recurse_submodules {
        source_spec["recurseSubmodules"] = Value::Bool(true);
    }
    if !spec.sparse_checkout.is_empty() {
        source_spec["sparseCheckout"] = json!(spec.sparse_checkout);
    }
    let metadata = json!({ "name": spec.name, "namespace": spec.namespace });
    vec![
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": metadata,
            "spec": source_spec,
        }),
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": metadata,
            "spec": {
                "interval": "10m0s",
                "path": spec.kustomization_path(),
                "prune": true,
                "sourceRef": { "kind": "GitRepository", "name": spec.name },
            },
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SyncOptions {
        SyncOptions {
            url: "ssh://git@host/org/repo".to_string(),
            path: "clusters/my-cluster".to_string(),
            ..SyncOptions::default()
        }
    }

    #[test]
    fn render_sync_default_matches_the_reference_shape() {
        let spec = SyncSpec::from_options(options()).unwrap();
        let expected = "# This manifest was generated by flux. DO NOT EDIT.
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  secretRef:
    name: flux-system
  url: ssh://git@host/org/repo
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/my-cluster
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
";
        assert_eq!(render_sync(&spec).text, expected);
    }

    #[test]
    fn render_sync_every_ref_kind_and_option_is_written() {
        for (git_ref, key) in [
            (GitRef::Tag("v1.0.0".into()), "tag"),
            (GitRef::Semver(">=1.0.0".into()), "semver"),
            (GitRef::Commit("a".repeat(40)), "commit"),
            (GitRef::Name("refs/pull/1/head".into()), "name"),
        ] {
            let spec = SyncSpec::from_options(SyncOptions {
                git_ref: Some(git_ref),
                interval: "90s".into(),
                recurse_submodules: true,
                sparse_checkout: vec!["apps".into()],
                secret_name: String::new(),
                path: "./x".into(),
                ..options()
            })
            .unwrap();
            let objects = render_sync(&spec).objects;
            let source = &objects[0]["spec"];
            assert!(source["ref"][key].is_string(), "{key}");
            assert_eq!(source["ref"].as_object().unwrap().len(), 1);
            assert_eq!(source["interval"], "1m30s");
            assert_eq!(source["recurseSubmodules"], true);
            assert_eq!(source["sparseCheckout"], json!(["apps"]));
            assert_eq!(source["secretRef"]["name"], "");
            assert_eq!(objects[1]["spec"]["path"], "./x");
        }
        let spec = SyncSpec::from_options(SyncOptions {
            git_ref: None,
            path: String::new(),
            ..options()
        })
        .unwrap();
        let text = render_sync(&spec).text;
        assert!(text.contains("  ref: {}\n"), "{text}");
        assert!(text.contains("  path: ./\n"), "{text}");
    }

    #[test]
    fn sync_spec_bad_options_name_each_option() {
        let errors = SyncSpec::from_options(SyncOptions {
            namespace: "Bad".into(),
            url: "git@host:org/repo".into(),
            interval: "soon".into(),
            path: "../up".into(),
            git_ref: Some(GitRef::Commit("abc".into())),
            ..options()
        })
        .unwrap_err();
        let options: Vec<_> = errors.iter().filter_map(|e| e.option()).collect();
        assert_eq!(options, ["namespace", "url", "path", "commit", "interval"]);
    }
}
