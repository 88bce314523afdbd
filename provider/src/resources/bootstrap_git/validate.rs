//! Validation of a configuration's known values, each error located at its attribute.

use flux_core::manifests::{
    validate_cluster_domain, validate_commit, validate_components, validate_components_extra,
    validate_interval, validate_log_level, validate_namespace, validate_registry,
    validate_resource_name, validate_semver_range, validate_tag, validate_toleration_key,
    validate_version, ManifestError, Override,
};
use tfplug::{AttributePath, Diagnostics, ObjectAccess, Value};

use super::model::read_timeouts;

/// The attributes that set a sync ref other than the branch, with their ref kind.
const SYNC_REF_ATTRIBUTES: [&str; 3] = ["sync_tag", "sync_semver", "sync_commit"];

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
}
