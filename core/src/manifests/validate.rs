//! Validation of the install and sync options, one function per rule.
//!
//! Each returns a [`ManifestError::InvalidOption`] naming the option, so the caller can
//! point at the setting it came from; none of them touches git or the cluster.

use std::sync::LazyLock;

use regex::Regex;

use super::component::Component;
use super::duration::GoDuration;
use super::ManifestError;

#[expect(
    clippy::unwrap_used,
    reason = "constant patterns, covered by the tests"
)]
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap()
}

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
});
static DNS_LABEL: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
static DNS_SUBDOMAIN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));
static TOLERATION_KEY: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9]([A-Za-z0-9._-]*)$"));
static REGISTRY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*$")
});

static COMMIT: LazyLock<Regex> = LazyLock::new(|| regex(r"^([0-9a-f]{40}|[0-9a-f]{64})$"));
/// One comparison of a semver constraint as source-controller accepts them
/// (Masterminds/semver): an optional operator, then a version whose minor and patch may
/// be missing or wildcards, with optional pre-release and build parts.
static SEMVER_COMPARISON: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(=|!=|>|<|>=|=>|<=|=<|~|~>|\^)?\s*v?(\d+|[xX*])(\.(\d+|[xX*]))?(\.(\d+|[xX*]))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
    )
});

/// The log levels the controllers accept.
pub const LOG_LEVELS: [&str; 3] = ["info", "debug", "error"];

/// `components`: at least `source-controller` and `kustomize-controller`, each one of the
/// four default components. Returns them sorted by name and deduplicated.
pub fn validate_components(values: &[String]) -> Result<Vec<Component>, Vec<ManifestError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for value in values {
        match value.parse::<Component>() {
            Ok(c) if !c.is_extra() => out.push(c),
            _ => errors.push(ManifestError::invalid(
                "components",
                value,
                format!("must be one of {}", names(&Component::DEFAULTS)),
            )),
        }
    }
    for required in [Component::SourceController, Component::KustomizeController] {
        if !out.contains(&required) {
            errors.push(ManifestError::MissingComponent {
                component: required.name(),
            });
        }
    }
    out.sort_by_key(|c| c.name());
    out.dedup();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `components_extra`: at most three, each one of the three extra components. Returns them
/// sorted by name and deduplicated.
pub fn validate_components_extra(values: &[String]) -> Result<Vec<Component>, Vec<ManifestError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for value in values {
        match value.parse::<Component>() {
            Ok(c) if c.is_extra() => out.push(c),
            _ => errors.push(ManifestError::invalid(
                "components_extra",
                value,
                format!("must be one of {}", names(&Component::EXTRAS)),
            )),
        }
    }
    out.sort_by_key(|c| c.name());
    out.dedup();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn names(components: &[Component]) -> String {
    components
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `version`: `latest` or a semantic version with a leading `v` (`v2.9.4`, `v2.10.0-rc.1`).
pub fn validate_version(value: &str) -> Result<(), ManifestError> {
    if value == "latest" || VERSION.is_match(value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "version",
            value,
            "must be \"latest\" or a version such as v2.9.4",
        ))
    }
}

/// `namespace`: an RFC 1123 label of at most 63 characters.
pub fn validate_namespace(value: &str) -> Result<(), ManifestError> {
    validate_dns_label("namespace", value)
}

pub(crate) fn validate_dns_label(option: &'static str, value: &str) -> Result<(), ManifestError> {
    if value.len() <= 63 && DNS_LABEL.is_match(value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            option,
            value,
            "must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending \
             with a letter or digit, at most 63 characters",
        ))
    }
}

/// A Kubernetes object name (`secret_name`, `image_pull_secret`): an RFC 1123 subdomain of
/// at most 253 characters.
pub fn validate_resource_name(option: &'static str, value: &str) -> Result<(), ManifestError> {
    if value.len() <= 253 && DNS_SUBDOMAIN.is_match(value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            option,
            value,
            "must be an RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting \
             and ending with a letter or digit, at most 253 characters",
        ))
    }
}

/// One of `toleration_keys`.
pub fn validate_toleration_key(value: &str) -> Result<(), ManifestError> {
    if value.len() <= 253 && TOLERATION_KEY.is_match(value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "toleration_keys",
            value,
            "must start with a letter or digit and hold only letters, digits, '.', '_' and \
             '-', at most 253 characters",
        ))
    }
}

/// `option` (a sync tag): a name git accepts for a tag (no spaces, no `..`, none of
/// `~^:?*[\\`, not starting with `-` or `/`, not ending with `/`, `.` or `.lock`).
pub fn validate_tag(option: &'static str, value: &str) -> Result<(), ManifestError> {
    let bad = value.is_empty()
        || value.starts_with(['-', '/'])
        || value.ends_with(['/', '.'])
        || value.ends_with(".lock")
        || value.contains("..")
        || value.contains("@{")
        || value.contains("//")
        || value
            .chars()
            .any(|c| c.is_control() || c == ' ' || "~^:?*[\\".contains(c));
    if bad {
        Err(ManifestError::invalid(
            option,
            value,
            "must be a git tag name (no spaces, '..' or any of ~^:?*[\\)",
        ))
    } else {
        Ok(())
    }
}

/// `option` (a sync semver range): comparisons such as `>=1.0.0 <2.0.0`, `~1.2`, `1.x`,
/// `^1.0.0`, joined by spaces or commas (and) and `||` (or), as source-controller
/// accepts them.
pub fn validate_semver_range(option: &'static str, value: &str) -> Result<(), ManifestError> {
    let valid = !value.trim().is_empty()
        && value.split("||").all(|alternative| {
            let alternative = alternative.trim();
            // A hyphen range: "1.2 - 1.4.5".
            if let Some((low, high)) = alternative.split_once(" - ") {
                return SEMVER_COMPARISON.is_match(low.trim())
                    && SEMVER_COMPARISON.is_match(high.trim());
            }
            let comparisons = join_operators(alternative);
            !comparisons.is_empty() && comparisons.iter().all(|c| SEMVER_COMPARISON.is_match(c))
        });
    if valid {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            option,
            value,
            "must be a semver range such as \">=1.0.0 <2.0.0\", \"~1.2\" or \"1.x\"",
        ))
    }
}

/// Splits an and-group on commas and spaces, keeping an operator written apart from its
/// version (`>= 1.0`) with it.
fn join_operators(group: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in group.split([',', ' ']).filter(|w| !w.is_empty()) {
        match out.last_mut() {
            Some(last) if last.chars().all(|c| "=!<>~^".contains(c)) => last.push_str(word),
            _ => out.push(word.to_string()),
        }
    }
    out
}

/// `option` (a sync commit): a full SHA-1 (40) or SHA-256 (64) commit id in lowercase hex.
pub fn validate_commit(option: &'static str, value: &str) -> Result<(), ManifestError> {
    if COMMIT.is_match(value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            option,
            value,
            "must be a full commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits",
        ))
    }
}

/// `log_level`: one of `info`, `debug`, `error`.
pub fn validate_log_level(value: &str) -> Result<(), ManifestError> {
    if LOG_LEVELS.contains(&value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "log_level",
            value,
            "must be one of info, debug, error",
        ))
    }
}

/// `registry`: an image repository prefix such as `ghcr.io/fluxcd` or
/// `registry.example.com:5000/mirror` (no scheme, no trailing `/`). Empty keeps the
/// Docker Hub short names.
pub fn validate_registry(value: &str) -> Result<(), ManifestError> {
    if value.is_empty() || (value.len() <= 255 && REGISTRY.is_match(value)) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "registry",
            value,
            "must be a registry host with an optional port and path, without scheme or \
             trailing '/', e.g. ghcr.io/fluxcd",
        ))
    }
}

/// `cluster_domain`: a DNS name such as `cluster.local`.
pub fn validate_cluster_domain(value: &str) -> Result<(), ManifestError> {
    if value.len() <= 253 && DNS_SUBDOMAIN.is_match(value) {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "cluster_domain",
            value,
            "must be a DNS name such as cluster.local",
        ))
    }
}

/// A Go duration that is not negative (`interval`); returns it parsed. Zero is
/// allowed because the GitRepository schema accepts `0s` and the reference provider
/// applies it; a negative one the schema would refuse.
pub fn validate_interval(option: &'static str, value: &str) -> Result<GoDuration, ManifestError> {
    let duration = GoDuration::parse(value)
        .map_err(|e| ManifestError::invalid(option, value, e.to_string()))?;
    if duration.as_nanos() < 0 {
        return Err(ManifestError::invalid(
            option,
            value,
            "must not be negative",
        ));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn validate_sync_refs_accept_git_and_source_controller_forms_only() {
        for ok in ["v1.0.0", "release/2026-11", "prod"] {
            assert!(validate_tag("sync_tag", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "v1..2", "x:y", "-v1", "v1/", "v1.lock"] {
            assert!(validate_tag("sync_tag", bad).is_err(), "{bad}");
        }
        for ok in [
            ">=1.0.0",
            ">= 1.0.0 <2.0.0",
            "~1.2",
            "1.x",
            "^1.0.0",
            "1.2 - 1.4.5",
            ">=1.0.0, <2 || 3.x",
            "v1.2.3-rc.1",
        ] {
            assert!(validate_semver_range("sync_semver", ok).is_ok(), "{ok}");
        }
        for bad in ["", "latest", ">=", "1.0.0.0", ">>1", "1.0 ||"] {
            assert!(validate_semver_range("sync_semver", bad).is_err(), "{bad}");
        }
        assert!(validate_commit("sync_commit", &"a".repeat(40)).is_ok());
        assert!(validate_commit("sync_commit", &"0".repeat(64)).is_ok());
        for bad in ["abc123", &"A".repeat(40), &"g".repeat(40)] {
            assert!(validate_commit("sync_commit", bad).is_err(), "{bad}");
        }
        let err = validate_commit("sync_commit", "abc").unwrap_err();
        assert_eq!(err.option(), Some("sync_commit"));
    }

    #[test]
    fn validate_components_unknown_and_missing_are_all_reported() {
        let errs =
            validate_components(&strings(&["source-controller", "foo-controller"])).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 2, "{text:?}");
        assert!(text[0].contains("invalid components \"foo-controller\""));
        assert_eq!(text[1], "components must include kustomize-controller");
        assert!(errs.iter().all(|e| e.option() == Some("components")));
    }

    #[test]
    fn validate_components_extra_rejects_a_default_component() {
        let errs = validate_components_extra(&strings(&["helm-controller"])).unwrap_err();
        assert_eq!(errs[0].option(), Some("components_extra"));
        assert_eq!(
            validate_components_extra(&strings(&["source-watcher", "image-reflector-controller"]))
                .unwrap(),
            vec![
                Component::ImageReflectorController,
                Component::SourceWatcher
            ]
        );
    }

    #[test]
    fn validate_version_accepts_semver_and_latest_only() {
        for ok in ["latest", "v2.9.4", "v2.10.0-rc.1", "v1.0.0+build.1"] {
            validate_version(ok).unwrap();
        }
        for bad in [
            "2.9.4", "v2.9", "vlatest", "latest2", "v2.9.4 ", "v02.9.4", "",
        ] {
            let e = validate_version(bad).unwrap_err();
            assert_eq!(e.option(), Some("version"), "{bad}");
        }
    }

    #[test]
    fn validate_namespace_enforces_rfc1123_label() {
        validate_namespace("flux-system").unwrap();
        validate_namespace(&"a".repeat(63)).unwrap();
        for bad in ["Flux", "-a", "a-", "a.b", "", &"a".repeat(64)] {
            assert_eq!(
                validate_namespace(bad).unwrap_err().option(),
                Some("namespace")
            );
        }
    }

    #[test]
    fn validate_other_options_name_their_option() {
        validate_resource_name("secret_name", "flux.system-1").unwrap();
        assert_eq!(
            validate_resource_name("image_pull_secret", "Bad_Name")
                .unwrap_err()
                .option(),
            Some("image_pull_secret")
        );
        validate_toleration_key("node.kubernetes.io/x").unwrap_err();
        validate_toleration_key("Key_1.a-b").unwrap();
        validate_log_level("debug").unwrap();
        assert_eq!(
            validate_log_level("trace").unwrap_err().option(),
            Some("log_level")
        );
        validate_registry("ghcr.io/fluxcd").unwrap();
        validate_registry("localhost:5000/a/b").unwrap();
        validate_registry("").unwrap();
        for bad in ["https://ghcr.io/fluxcd", "ghcr.io/fluxcd/", "a b"] {
            assert_eq!(
                validate_registry(bad).unwrap_err().option(),
                Some("registry")
            );
        }
        validate_cluster_domain("cluster.local").unwrap();
        validate_cluster_domain("Cluster Local").unwrap_err();
        assert_eq!(
            validate_interval("interval", "1m").unwrap().to_string(),
            "1m0s"
        );
        assert_eq!(
            validate_interval("interval", "0s").unwrap().to_string(),
            "0s"
        );
        assert_eq!(
            validate_interval("interval", "-1m").unwrap_err().option(),
            Some("interval")
        );
        validate_interval("interval", "5 minutes").unwrap_err();
    }
}
