//! The field tables that describe each kind's spec: names, JSON keys, types,
//! Flux's defaults and the checks each value must pass. One table drives
//! validation, rendering and reading a live object back.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// The type of a spec field.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// An integer.
    Int,
    /// A local reference `{name: ...}`, given as the name alone.
    LocalRef,
    /// A list of strings.
    StringList,
    /// A map of strings.
    StringMap,
    /// A nested object.
    Object(&'static [FieldDef]),
    /// A list of nested objects.
    ObjectList(&'static [FieldDef]),
    /// Free-form YAML or JSON text, rendered as the value it parses to (Helm values).
    Document,
}

/// A default value, as Flux (the CRD or the controller) applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// A string.
    Str(&'static str),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

impl DefaultValue {
    /// The default as JSON.
    pub fn to_json(self) -> Value {
        match self {
            DefaultValue::Str(s) => Value::from(s),
            DefaultValue::Bool(b) => Value::from(b),
            DefaultValue::Int(i) => Value::from(i),
        }
    }
}

/// A check of a string value.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Anything.
    None,
    /// A Flux duration: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
    Duration,
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// Starts with one of these prefixes (URL schemes).
    Prefix(&'static [&'static str]),
    /// An RFC 1123 subdomain of at most 253 characters (object names).
    Name,
    /// An RFC 1123 label of at most 63 characters (namespaces).
    Label,
    /// A semver range (`>=1.0.0 <2.0.0`, `^1.2`, `~1`, `1.x`, `*`).
    SemverRange,
    /// At most this many characters, at least one.
    MaxLen(usize),
    /// A regular expression that must compile.
    Regex,
}

/// A field's two names: Flux's key and the snake_case name derived from it (see
/// `kinds::naming`).
#[derive(Debug, Clone, Copy)]
pub struct FieldName {
    /// The snake_case name.
    pub name: &'static str,
    /// The key in the Kubernetes object (camelCase, or a dotted path).
    pub key: &'static str,
}

/// One field of a spec.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// The snake_case name, derived from [`FieldDef::key`]: what field paths in
    /// errors and callers' settings call the field.
    pub name: &'static str,
    /// The key in the Kubernetes object (camelCase).
    pub key: &'static str,
    /// The type.
    pub ty: FieldType,
    /// Whether Flux requires it.
    pub required: bool,
    /// Flux's default: what the API or the controller uses when the field is absent.
    pub default: Option<DefaultValue>,
    /// Whether a file for git is written with the field even at its default value, as
    /// `flux create --export` writes it (the API requires it, or the CLI always sets
    /// it); every other field at its default is left out of the file.
    pub written: bool,
    /// The check of string values (and of list elements).
    pub check: Check,
    /// What the field does (Markdown, one sentence).
    pub doc: &'static str,
}

impl FieldDef {
    /// An optional string field without default or check.
    pub const fn string(name: FieldName, doc: &'static str) -> Self {
        Self {
            name: name.name,
            key: name.key,
            ty: FieldType::String,
            required: false,
            default: None,
            written: false,
            check: Check::None,
            doc,
        }
    }

    /// An optional field of type `ty`.
    pub const fn typed(name: FieldName, ty: FieldType, doc: &'static str) -> Self {
        Self {
            ty,
            ..Self::string(name, doc)
        }
    }

    /// Marks the field required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Sets Flux's default.
    pub const fn default(mut self, value: DefaultValue) -> Self {
        self.default = Some(value);
        self
    }

    /// Writes the field into git files even at its default (see [`FieldDef::written`]).
    pub const fn written(mut self) -> Self {
        self.written = true;
        self
    }

    /// Sets the check.
    pub const fn check(mut self, check: Check) -> Self {
        self.check = check;
        self
    }
}

static DURATION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$").ok());
static SUBDOMAIN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").ok()
});
static LABEL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").ok());
static SEMVER_TERM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^(\*|(=|!=|>|<|>=|=>|<=|=<|~|~>|\^)?\s*v?(\d+|x|X|\*)(\.(\d+|x|X|\*))?(\.(\d+|x|X|\*))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)$",
    )
    .ok()
});

fn matches(re: &LazyLock<Option<Regex>>, value: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(value))
}

impl Check {
    /// Checks `value`; the error says what is expected.
    pub fn check(&self, value: &str) -> Result<(), String> {
        match self {
            Check::None => Ok(()),
            Check::Duration => {
                if !matches(&DURATION, value) {
                    Err(format!(
                        "{value:?} is not a duration: use a number with a unit ms, s, m or h, such as 30s or 1m30s"
                    ))
                } else if crate::manifests::GoDuration::parse(value).is_err() {
                    // The pattern has no bound; Flux's controllers read the value as a Go
                    // duration (at most 2562047h47m16.854775807s).
                    Err(format!(
                        "{value:?} is longer than a duration can be (2562047h47m16.854775807s)"
                    ))
                } else {
                    Ok(())
                }
            }
            Check::OneOf(allowed) => {
                if allowed.contains(&value) {
                    Ok(())
                } else {
                    Err(format!("{value:?} must be one of {}", allowed.join(", ")))
                }
            }
            Check::Prefix(prefixes) => {
                if prefixes.iter().any(|p| value.starts_with(p)) {
                    Ok(())
                } else {
                    Err(format!(
                        "{value:?} must start with one of {}",
                        prefixes.join(", ")
                    ))
                }
            }
            Check::Name => {
                if value.len() <= 253 && matches(&SUBDOMAIN, value) {
                    Ok(())
                } else {
                    Err(format!("{value:?} must be an RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters"))
                }
            }
            Check::Label => {
                if value.len() <= 63 && matches(&LABEL, value) {
                    Ok(())
                } else {
                    Err(format!("{value:?} must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"))
                }
            }
            Check::SemverRange => check_semver_range(value),
            Check::MaxLen(max) => {
                let n = value.chars().count();
                if (1..=*max).contains(&n) {
                    Ok(())
                } else {
                    Err(format!("must have between 1 and {max} characters, got {n}"))
                }
            }
            Check::Regex => Regex::new(value)
                .map(|_| ())
                .map_err(|e| format!("{value:?} is not a valid regular expression: {e}")),
        }
    }
}

/// A semver constraint as Masterminds/semver reads it: `||`-separated groups of
/// space- or comma-separated comparisons, or hyphen ranges (`1.2 - 1.4`).
fn check_semver_range(value: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "{value:?} is not a semver range, such as \">=1.0.0 <2.0.0\", \"^1.2\" or \"1.x\""
        ))
    };
    if value.trim().is_empty() {
        return bad();
    }
    for group in value.split("||") {
        let group = group.trim();
        if group.is_empty() {
            return bad();
        }
        let terms: Vec<&str> = if let Some((low, high)) = group.split_once(" - ") {
            vec![low.trim(), high.trim()]
        } else {
            // Operators may be followed by a space (`>= 1.0`): glue them back.
            let mut glued: Vec<String> = Vec::new();
            for token in group.split([' ', ',']).filter(|t| !t.is_empty()) {
                match glued.last_mut() {
                    Some(last) if last.chars().all(|c| "=!<>~^".contains(c)) => {
                        last.push_str(token)
                    }
                    _ => glued.push(token.to_string()),
                }
            }
            // A group of separators only (`,`) has no comparison at all.
            if !glued.is_empty()
                && glued
                    .iter()
                    .all(|t| matches(&SEMVER_TERM, t) && !t.chars().all(|c| "=!<>~^".contains(c)))
            {
                continue;
            }
            return bad();
        };
        if !terms.iter().all(|t| matches(&SEMVER_TERM, t)) {
            return bad();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_duration_accepts_flux_durations_only() {
        for ok in ["1m", "1m0s", "30s", "1.5h", "100ms", "2h45m"] {
            assert!(Check::Duration.check(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1", "1d", "m", "-1m", "1 m"] {
            assert!(Check::Duration.check(bad).is_err(), "{bad}");
        }
    }

    // Found by the go_duration fuzz target: the pattern has no bound, so a value Flux
    // cannot read as a Go duration passed, and the retry_interval rule compared it as 0.
    #[test]
    fn check_duration_beyond_go_range_is_rejected() {
        let longest = "2562047h47m16.854775807s";
        assert!(Check::Duration.check(longest).is_ok());
        for bad in [
            "2562047h47m37.854775807s",
            "2562048h",
            "99999999999999999999h",
        ] {
            let err = Check::Duration.check(bad).unwrap_err();
            assert!(
                err.contains("longer than a duration can be"),
                "{bad}: {err}"
            );
        }
    }

    // Found by the semver_range fuzz target (which compares this check with
    // manifests::validate_semver_range): a group of separators only passed.
    #[test]
    fn check_semver_range_without_comparisons_is_rejected() {
        for bad in [",", " , ", ",,", ">=1.0.0 || ,"] {
            assert!(Check::SemverRange.check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn check_semver_range_accepts_masterminds_forms() {
        for ok in [
            "*",
            "1.x",
            ">=1.0.0 <2.0.0",
            ">= 1.0, < 2",
            "^1.2",
            "~1.2.3",
            "1.2 - 1.4",
            "1.0.0-rc.1",
            "<1 || >=3",
        ] {
            assert!(Check::SemverRange.check(ok).is_ok(), "{ok}");
        }
        for bad in ["", "latest", ">=", "1.0.0.0", "||", "abc"] {
            assert!(Check::SemverRange.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_name_and_label_follow_rfc_1123() {
        assert!(Check::Name.check("podinfo.v1").is_ok());
        assert!(Check::Name.check("Podinfo").is_err());
        assert!(Check::Label.check("flux-system").is_ok());
        assert!(Check::Label.check("a.b").is_err());
        assert!(Check::Label.check(&"a".repeat(64)).is_err());
    }

    #[test]
    fn check_one_of_and_prefix_name_the_allowed_values() {
        let err = Check::OneOf(&["GitRepository", "Bucket"])
            .check("Git")
            .unwrap_err();
        assert!(err.contains("GitRepository, Bucket"), "{err}");
        assert!(Check::Prefix(&["https://", "ssh://"])
            .check("git@host:repo")
            .is_err());
    }
}
