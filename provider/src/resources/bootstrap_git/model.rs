//! The resource's values as Rust types, their validation (each error located at its
//! attribute) and their conversion into core's install and sync options.

use std::time::Duration;

use flux_core::manifests::{
    validate_cluster_domain, validate_commit, validate_components, validate_components_extra,
    validate_interval, validate_log_level, validate_namespace, validate_registry,
    validate_resource_name, validate_semver_range, validate_tag, validate_toleration_key,
    validate_version, GitRef, GoDuration, InstallOptions, ManifestError, Override, SyncOptions,
};
use flux_core::Sensitive;
use tfplug::{AttributePath, Diagnostic, Diagnostics, ObjectAccess, Value};

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

/// The attributes that set a sync ref other than the branch, with their ref kind.
pub const SYNC_REF_ATTRIBUTES: [&str; 3] = ["sync_tag", "sync_semver", "sync_commit"];

fn read_sync_ref(o: &ObjectAccess<'_>) -> Result<Option<GitRef>, Diagnostic> {
    let tag = o.get::<Option<String>>("sync_tag")?.map(GitRef::Tag);
    let semver = o.get::<Option<String>>("sync_semver")?.map(GitRef::Semver);
    let commit = o.get::<Option<String>>("sync_commit")?.map(GitRef::Commit);
    // Validation rejects more than one; the first wins should it be skipped.
    Ok(tag.or(semver).or(commit))
}

fn read_timeouts(o: &ObjectAccess<'_>) -> Result<Timeouts, Diagnostic> {
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

/// Checks every known attribute of a configuration, locating each error at its
/// attribute. Unknown values are skipped; they are checked again at apply.
pub fn validate_config(config: &Value, diags: &mut Diagnostics) {
    let o = ObjectAccess::root(config);
    let text = |name: &str| config.attr(name).as_str().map(str::to_string);
    let one = |r: Result<(), ManifestError>| r.err().into_iter().collect::<Vec<_>>();
    if let Some(v) = text("namespace") {
        report(diags, one(validate_namespace(&v)), "namespace");
    }
    if let Some(v) = text("secret_name") {
        report(
            diags,
            one(validate_resource_name("secret_name", &v)),
            "secret_name",
        );
    }
    if let Some(v) = text("image_pull_secret") {
        report(
            diags,
            one(validate_resource_name("image_pull_secret", &v)),
            "image_pull_secret",
        );
    }
    if let Some(v) = text("interval") {
        report(
            diags,
            one(validate_interval("interval", &v).map(|_| ())),
            "interval",
        );
    }
    if let Some(v) = text("log_level") {
        report(diags, one(validate_log_level(&v)), "log_level");
    }
    if let Some(v) = text("registry") {
        report(diags, one(validate_registry(&v)), "registry");
    }
    if let Some(v) = text("cluster_domain") {
        report(diags, one(validate_cluster_domain(&v)), "cluster_domain");
    }
    if let Some(v) = text("version") {
        report(diags, one(validate_version(&v)), "version");
    }
    let known_strings = |name: &str| -> Option<Vec<String>> {
        let v = config.attr(name);
        if v.is_null() || !v.is_wholly_known() {
            return None;
        }
        o.get::<Vec<String>>(name).ok()
    };
    if let Some(components) = known_strings("components") {
        report(
            diags,
            validate_components(&components).err().unwrap_or_default(),
            "components",
        );
    }
    if let Some(extra) = known_strings("components_extra") {
        if extra.len() > 3 {
            diags.attribute_error(
                AttributePath::attr("components_extra"),
                "Invalid Attribute Value",
                format!(
                    "components_extra must have at most 3 elements, got {}.",
                    extra.len()
                ),
            );
        }
        report(
            diags,
            validate_components_extra(&extra).err().unwrap_or_default(),
            "components_extra",
        );
    }
    if let Some(keys) = known_strings("toleration_keys") {
        for key in keys {
            report(diags, one(validate_toleration_key(&key)), "toleration_keys");
        }
    }
    if let Some(path) = text("path") {
        if path.starts_with('/') || path.split('/').any(|p| p == "..") {
            diags.attribute_error(
                AttributePath::attr("path"),
                "Invalid Attribute Value",
                format!("path must be relative to the repository root and must not contain \"..\", got {path:?}."),
            );
        }
    }
    validate_registry_credentials(config, diags);
    validate_sync_ref(config, diags);
    if let Some(text) = text("kustomization_override") {
        if let Err(e) = Override::parse(&text) {
            diags.attribute_error(
                AttributePath::attr("kustomization_override"),
                "Invalid Kustomization Override",
                format!("{}.", tfplug::diag::render_chain(&e)),
            );
        }
    }
    let timeouts = config.attr("timeouts");
    if timeouts.is_wholly_known() && !timeouts.is_null() {
        if let Err(d) = read_timeouts(&o.object("timeouts")) {
            diags.push(d);
        }
    }
}

/// Adds each error at the attribute it names (`fallback` when it names none).
fn report(diags: &mut Diagnostics, errors: Vec<ManifestError>, fallback: &str) {
    for e in errors {
        let attr = e.option().unwrap_or(fallback).to_string();
        diags.attribute_error(
            AttributePath::attr(attr.clone()),
            "Invalid Attribute Value",
            format!("{attr}: {e}."),
        );
    }
}

/// A core validation function of one sync ref attribute.
type RefCheck = fn(&'static str, &str) -> Result<(), ManifestError>;

/// At most one of `sync_tag`, `sync_semver`, `sync_commit`, each well-formed.
fn validate_sync_ref(config: &Value, diags: &mut Diagnostics) {
    let set: Vec<&str> = SYNC_REF_ATTRIBUTES
        .into_iter()
        .filter(|a| !config.attr(a).is_null())
        .collect();
    for extra in set.iter().skip(1) {
        diags.attribute_error(
            AttributePath::attr(*extra),
            "Conflicting Sync Refs",
            format!(
                "{extra} conflicts with {}: the GitRepository follows one ref (tag, semver range or commit), or the branch when none is set.",
                set[0]
            ),
        );
    }
    let checks: [(&'static str, RefCheck); 3] = [
        ("sync_tag", validate_tag),
        ("sync_semver", validate_semver_range),
        ("sync_commit", validate_commit),
    ];
    for (name, check) in checks {
        if let Some(value) = config.attr(name).as_str() {
            report(diags, check(name, value).err().into_iter().collect(), name);
        }
    }
}

fn validate_registry_credentials(config: &Value, diags: &mut Diagnostics) {
    let creds = config.attr("registry_credentials");
    let Some(text) = creds.as_str() else {
        return;
    };
    let at = AttributePath::attr("registry_credentials");
    if config.attr("image_pull_secret").is_null() {
        diags.attribute_error(
            at.clone(),
            "Missing Image Pull Secret",
            "registry_credentials requires image_pull_secret: the credentials are written to the Secret it names.",
        );
    }
    // The value is never echoed: it holds a password.
    match text.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => {}
        _ => diags.attribute_error(
            at,
            "Invalid Attribute Value",
            "registry_credentials must be \"user:password\" with a non-empty user and password (the password may contain ':').",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_at(config: Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validate_config(&config, &mut diags);
        diags
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect()
    }

    fn strings(items: &[&str]) -> Value {
        Value::set(items.iter().map(|s| Value::from(*s)))
    }

    #[test]
    fn validate_config_sync_refs_conflict_and_bad_values_are_located() {
        assert_eq!(
            errors_at(Value::object([
                ("sync_tag", "v1.0.0".into()),
                ("sync_commit", "abc".into()),
            ])),
            vec!["sync_commit".to_string(), "sync_commit".to_string()]
        );
        assert_eq!(
            errors_at(Value::object([("sync_semver", "latest".into())])),
            vec!["sync_semver".to_string()]
        );
        assert!(errors_at(Value::object([("sync_semver", ">=1.0.0 <2.0.0".into())])).is_empty());
    }

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
    fn validate_config_defaults_pass() {
        assert!(errors_at(Value::object([("path", "clusters/a".into())])).is_empty());
    }

    #[test]
    fn validate_config_bad_values_are_located_at_their_attribute() {
        let paths = errors_at(Value::object([
            ("namespace", "Flux_System".into()),
            ("secret_name", "bad name".into()),
            ("image_pull_secret", "UPPER".into()),
            ("interval", "1 minute".into()),
            ("log_level", "verbose".into()),
            ("cluster_domain", "-bad-".into()),
            ("version", "2.9.4".into()),
            ("toleration_keys", strings(&["ok", "-bad"])),
            ("path", "/abs".into()),
        ]));
        for attr in [
            "namespace",
            "secret_name",
            "image_pull_secret",
            "interval",
            "log_level",
            "cluster_domain",
            "version",
            "toleration_keys",
            "path",
        ] {
            assert!(paths.iter().any(|p| p == attr), "{attr} not in {paths:?}");
        }
    }

    #[test]
    fn validate_config_components_need_source_and_kustomize() {
        let paths = errors_at(Value::object([(
            "components",
            strings(&["helm-controller", "notification-controller"]),
        )]));
        assert!(!paths.is_empty());
        assert!(paths.iter().all(|p| p == "components"), "{paths:?}");
        let paths = errors_at(Value::object([(
            "components_extra",
            strings(&["image-reflector-controller", "nope"]),
        )]));
        assert_eq!(paths, vec!["components_extra"]);
    }

    #[test]
    fn validate_config_registry_credentials_need_image_pull_secret() {
        let paths = errors_at(Value::object([("registry_credentials", "u:p".into())]));
        assert_eq!(paths, vec!["registry_credentials"]);
        let ok = errors_at(Value::object([
            ("registry_credentials", "u:p:with:colons".into()),
            ("image_pull_secret", "regcred".into()),
        ]));
        assert!(ok.is_empty(), "{ok:?}");
        let no_colon = errors_at(Value::object([
            ("registry_credentials", "justuser".into()),
            ("image_pull_secret", "regcred".into()),
        ]));
        assert_eq!(no_colon, vec!["registry_credentials"]);
    }

    #[test]
    fn validate_config_registry_credentials_error_never_echoes_the_secret() {
        let mut diags = Diagnostics::new();
        validate_config(
            &Value::object([("registry_credentials", "s3cr3t-no-colon".into())]),
            &mut diags,
        );
        assert!(diags.iter().all(|d| !d.detail.contains("s3cr3t")));
    }

    #[test]
    fn validate_config_override_must_list_both_gotk_files() {
        let paths = errors_at(Value::object([(
            "kustomization_override",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n".into(),
        )]));
        assert_eq!(paths, vec!["kustomization_override"]);
        let ok = errors_at(Value::object([(
            "kustomization_override",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n".into(),
        )]));
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn validate_config_bad_timeout_is_located_inside_timeouts() {
        let paths = errors_at(Value::object([(
            "timeouts",
            Value::object([
                ("create", "ten minutes".into()),
                ("read", Value::Null),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        )]));
        assert_eq!(paths, vec!["timeouts.create"]);
    }

    #[test]
    fn validate_config_unknown_values_are_skipped() {
        let paths = errors_at(Value::object([
            ("namespace", Value::unknown()),
            ("components", Value::set([Value::unknown()])),
            ("registry_credentials", Value::unknown()),
        ]));
        assert!(paths.is_empty(), "{paths:?}");
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
