//! The resource's values as Rust types and their conversion into core's install and
//! sync options (their validation is `validate`'s).

use std::time::Duration;

use flux_core::manifests::{GitRef, GoDuration, InstallOptions, SyncOptions};
use flux_core::Sensitive;
use tfplug::{Diagnostic, ObjectAccess, Value};

use super::schema::{
    DEFAULT_CLUSTER_DOMAIN, DEFAULT_COMPONENTS, DEFAULT_INTERVAL, DEFAULT_LOG_LEVEL,
    DEFAULT_NAMESPACE, DEFAULT_REGISTRY, DEFAULT_SECRET_NAME,
};

/// The three files the resource manages, in the order they are listed.
pub const FILES: [&str; 3] = [
    "gotk-components.yaml",
    "gotk-sync.yaml",
    "kustomization.yaml",
];

/// Operation timeouts, with the reference's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Create (15m).
    pub create: Duration,
    /// Read (15m).
    pub read: Duration,
    /// Update (15m).
    pub update: Duration,
    /// Delete (5m).
    pub delete: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            create: Duration::from_secs(15 * 60),
            read: Duration::from_secs(15 * 60),
            update: Duration::from_secs(15 * 60),
            delete: Duration::from_secs(5 * 60),
        }
    }
}

/// A known configuration, plan or state of `flux_bootstrap_git` (connection
/// overrides aside, see `connection`).
#[derive(Clone, Debug)]
pub struct BootstrapModel {
    /// `namespace`.
    pub namespace: String,
    /// `cluster_domain`.
    pub cluster_domain: String,
    /// `components`.
    pub components: Vec<String>,
    /// `components_extra`.
    pub components_extra: Vec<String>,
    /// `delete_git_manifests` (null counts as true).
    pub delete_git_manifests: bool,
    /// `disable_secret_creation`.
    pub disable_secret_creation: bool,
    /// `drain_workloads`.
    pub drain_workloads: bool,
    /// `embedded_manifests`.
    pub embedded_manifests: bool,
    /// `image_pull_secret`.
    pub image_pull_secret: Option<String>,
    /// `interval`.
    pub interval: String,
    /// `keep_namespace`.
    pub keep_namespace: bool,
    /// `kustomization_override`.
    pub kustomization_override: Option<String>,
    /// `log_level`.
    pub log_level: String,
    /// `manifests_path`.
    pub manifests_path: Option<String>,
    /// `network_policy`.
    pub network_policy: bool,
    /// `path`.
    pub path: Option<String>,
    /// `recurse_submodules`.
    pub recurse_submodules: bool,
    /// `registry`.
    pub registry: String,
    /// `registry_credentials`.
    pub registry_credentials: Option<Sensitive<String>>,
    /// `secret_name`.
    pub secret_name: String,
    /// `timeouts`.
    pub timeouts: Timeouts,
    /// `toleration_keys`.
    pub toleration_keys: Vec<String>,
    /// `sync_tag`, `sync_semver` or `sync_commit`: the GitRepository's ref when it is
    /// not the branch.
    pub sync_ref: Option<GitRef>,
    /// `version`.
    pub version: String,
    /// `watch_all_namespaces`.
    pub watch_all_namespaces: bool,
}

fn or_default(value: Option<String>, default: &str) -> String {
    value.unwrap_or_else(|| default.to_string())
}

impl BootstrapModel {
    /// Reads a value whose attributes (other than the computed ones) are known.
    /// Nulls take the schema defaults.
    pub fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        let o = ObjectAccess::root(value);
        let strings = |name: &str| -> Result<Vec<String>, Diagnostic> {
            let mut v = o.get::<Option<Vec<String>>>(name)?.unwrap_or_default();
            v.sort();
            v.dedup();
            Ok(v)
        };
        let mut components = strings("components")?;
        if o.is_null("components") {
            components = DEFAULT_COMPONENTS.iter().map(|c| c.to_string()).collect();
            components.sort();
        }
        Ok(Self {
            namespace: or_default(o.get("namespace")?, DEFAULT_NAMESPACE),
            cluster_domain: or_default(o.get("cluster_domain")?, DEFAULT_CLUSTER_DOMAIN),
            components,
            components_extra: strings("components_extra")?,
            delete_git_manifests: o
                .get::<Option<bool>>("delete_git_manifests")?
                .unwrap_or(true),
            disable_secret_creation: o
                .get::<Option<bool>>("disable_secret_creation")?
                .unwrap_or(false),
            drain_workloads: o.get::<Option<bool>>("drain_workloads")?.unwrap_or(false),
            embedded_manifests: o
                .get::<Option<bool>>("embedded_manifests")?
                .unwrap_or(false),
            image_pull_secret: o.get("image_pull_secret")?,
            interval: or_default(o.get("interval")?, DEFAULT_INTERVAL),
            keep_namespace: o.get::<Option<bool>>("keep_namespace")?.unwrap_or(false),
            kustomization_override: o.get("kustomization_override")?,
            log_level: or_default(o.get("log_level")?, DEFAULT_LOG_LEVEL),
            manifests_path: o.get("manifests_path")?,
            network_policy: o.get::<Option<bool>>("network_policy")?.unwrap_or(true),
            path: o.get::<Option<String>>("path")?.filter(|p| !p.is_empty()),
            recurse_submodules: o
                .get::<Option<bool>>("recurse_submodules")?
                .unwrap_or(false),
            registry: or_default(o.get("registry")?, DEFAULT_REGISTRY),
            registry_credentials: o
                .get::<Option<String>>("registry_credentials")?
                .map(Sensitive::new),
            secret_name: or_default(o.get("secret_name")?, DEFAULT_SECRET_NAME),
            timeouts: read_timeouts(&o.object("timeouts"))?,
            toleration_keys: strings("toleration_keys")?,
            sync_ref: read_sync_ref(&o)?,
            version: or_default(o.get("version")?, flux_core::manifests::EMBEDDED_VERSION),
            watch_all_namespaces: o
                .get::<Option<bool>>("watch_all_namespaces")?
                .unwrap_or(true),
        })
    }

    /// The directory of the managed files: `<path>/<namespace>`, or `<namespace>`.
    pub fn manifests_dir(&self) -> String {
        match self.normalized_path() {
            Some(p) => format!("{p}/{}", self.namespace),
            None => self.namespace.clone(),
        }
    }

    /// `path` without a leading `./` or trailing `/`; `None` when that leaves nothing.
    pub fn normalized_path(&self) -> Option<String> {
        let p = self.path.as_deref()?;
        let p = p.trim_start_matches("./").trim_end_matches('/');
        (!p.is_empty() && p != ".").then(|| p.to_string())
    }

    /// The `repository_files` key of one managed file.
    pub fn file_key(&self, file: &str) -> String {
        format!("{}/{file}", self.manifests_dir())
    }

    /// Install options, components sorted as the reference passes them.
    pub fn install_options(&self) -> InstallOptions {
        InstallOptions {
            namespace: self.namespace.clone(),
            components: self.components.clone(),
            components_extra: self.components_extra.clone(),
            registry: self.registry.clone(),
            image_pull_secret: self.image_pull_secret.clone(),
            toleration_keys: self.toleration_keys.clone(),
            watch_all_namespaces: self.watch_all_namespaces,
            network_policy: self.network_policy,
            log_level: self.log_level.clone(),
            cluster_domain: self.cluster_domain.clone(),
            version: self.version.clone(),
        }
    }

    /// Sync options for the repository `url` at `branch`.
    pub fn sync_options(&self, url: &str, branch: &str) -> SyncOptions {
        SyncOptions {
            name: self.namespace.clone(),
            namespace: self.namespace.clone(),
            url: url.to_string(),
            interval: self.interval.clone(),
            git_ref: Some(
                self.sync_ref
                    .clone()
                    .unwrap_or_else(|| GitRef::Branch(branch.to_string())),
            ),
            secret_name: self.secret_name.clone(),
            path: self.normalized_path().unwrap_or_default(),
            recurse_submodules: self.recurse_submodules,
            sparse_checkout: Vec::new(),
        }
    }

    /// Every component name, defaults then extras (for waits and drift reads).
    pub fn all_components(&self) -> Vec<String> {
        let mut all = self.components.clone();
        all.extend(self.components_extra.iter().cloned());
        all
    }

    /// `registry_credentials` split at the first `:`.
    pub fn registry_login(&self) -> Option<(String, Sensitive<String>)> {
        let creds = self.registry_credentials.as_ref()?;
        let (user, password) = creds.expose().split_once(':')?;
        Some((user.to_string(), Sensitive::new(password.to_string())))
    }
}

fn read_sync_ref(o: &ObjectAccess<'_>) -> Result<Option<GitRef>, Diagnostic> {
    let tag = o.get::<Option<String>>("sync_tag")?.map(GitRef::Tag);
    let semver = o.get::<Option<String>>("sync_semver")?.map(GitRef::Semver);
    let commit = o.get::<Option<String>>("sync_commit")?.map(GitRef::Commit);
    // Validation rejects more than one; the first wins should it be skipped.
    Ok(tag.or(semver).or(commit))
}

/// `timeouts`, each a positive Go duration (the reference's defaults for nulls).
pub(super) fn read_timeouts(o: &ObjectAccess<'_>) -> Result<Timeouts, Diagnostic> {
    let mut t = Timeouts::default();
    for (name, slot) in [
        ("create", &mut t.create),
        ("read", &mut t.read),
        ("update", &mut t.update),
        ("delete", &mut t.delete),
    ] {
        if let Some(text) = o.get::<Option<String>>(name)? {
            match GoDuration::parse(&text) {
                Ok(d) if d.as_nanos() > 0 => *slot = d.to_std(),
                Ok(_) => {
                    return Err(Diagnostic::error(
                        "Invalid Timeout",
                        format!(
                            "{} must be a positive duration, got {text:?}.",
                            o.path_of(name)
                        ),
                    )
                    .at(o.path_of(name)))
                }
                Err(e) => {
                    return Err(Diagnostic::error(
                        "Invalid Timeout",
                        format!(
                            "{} must be a Go duration such as \"15m\" or \"1h30m\": {e}.",
                            o.path_of(name)
                        ),
                    )
                    .at(o.path_of(name)))
                }
            }
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_options_follow_the_sync_ref_else_the_branch() {
        let model =
            BootstrapModel::from_value(&Value::object([("sync_tag", "v1".into())])).unwrap();
        assert_eq!(
            model.sync_options("https://h/r.git", "main").git_ref,
            Some(GitRef::Tag("v1".into()))
        );
        let model = BootstrapModel::from_value(&Value::object([("path", Value::Null)])).unwrap();
        assert_eq!(
            model.sync_options("https://h/r.git", "main").git_ref,
            Some(GitRef::Branch("main".into()))
        );
    }

    #[test]
    fn from_value_null_takes_defaults_and_reference_timeouts() {
        let m =
            BootstrapModel::from_value(&Value::object([("path", "./clusters/a/".into())])).unwrap();
        assert_eq!(m.namespace, "flux-system");
        assert_eq!(m.interval, "1m0s");
        assert_eq!(m.version, flux_core::manifests::EMBEDDED_VERSION);
        assert_eq!(m.components.len(), 4);
        assert!(m.delete_git_manifests && m.network_policy && m.watch_all_namespaces);
        assert_eq!(m.timeouts.create.as_secs(), 900);
        assert_eq!(m.timeouts.delete.as_secs(), 300);
        assert_eq!(
            m.file_key("gotk-sync.yaml"),
            "clusters/a/flux-system/gotk-sync.yaml"
        );
    }

    #[test]
    fn file_key_without_path_is_namespace_relative() {
        let m = BootstrapModel::from_value(&Value::object([("namespace", "flux".into())])).unwrap();
        assert_eq!(m.file_key("kustomization.yaml"), "flux/kustomization.yaml");
    }

    #[test]
    fn registry_login_splits_at_the_first_colon_only() {
        let m = BootstrapModel::from_value(&Value::object([(
            "registry_credentials",
            "robot:pa:ss".into(),
        )]))
        .unwrap();
        let (user, password) = m.registry_login().unwrap();
        assert_eq!(user, "robot");
        assert_eq!(password.expose(), "pa:ss");
    }
}
