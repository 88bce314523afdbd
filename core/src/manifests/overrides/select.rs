//! Patch targets: group/version/kind/name/namespace as anchored regular expressions, and
//! Kubernetes label and annotation selectors, as kustomize selects resources.

use regex::Regex;
use serde_json::{Map, Value};

use super::Resource;
use crate::manifests::ManifestError;

/// A parsed `target` of a patch.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

/// kustomize's namespace for cluster-scoped objects when matching targets.
const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

impl Target {
    pub(crate) fn parse(value: &Value, field: &str) -> Result<Self, ManifestError> {
        let map = value
            .as_object()
            .ok_or_else(|| ManifestError::override_field(field, "must be a mapping"))?;
        const KEYS: [&str; 7] = [
            "group",
            "version",
            "kind",
            "name",
            "namespace",
            "labelSelector",
            "annotationSelector",
        ];
        for key in map.keys() {
            if !KEYS.contains(&key.as_str()) {
                return Err(ManifestError::UnknownOverrideField {
                    field: format!("{field}.{key}"),
                });
            }
        }
        Ok(Self {
            group: pattern(map, "group", field)?,
            version: pattern(map, "version", field)?,
            kind: pattern(map, "kind", field)?,
            name: pattern(map, "name", field)?,
            namespace: pattern(map, "namespace", field)?,
            labels: selector(map, "labelSelector", field)?,
            annotations: selector(map, "annotationSelector", field)?,
        })
    }

    /// True when the resource matches, by its current or original name and namespace.
    pub(crate) fn matches(&self, resource: &Resource) -> bool {
        let id = resource.current_id();
        let matches = |re: &Option<Regex>, text: &str| re.as_ref().is_none_or(|r| r.is_match(text));
        let effective_namespace = |ns: &str| {
            if resource.cluster_scoped {
                NOT_A_NAMESPACE.to_string()
            } else if ns.is_empty() {
                "default".to_string()
            } else {
                ns.to_string()
            }
        };
        let namespace_ok = matches(&self.namespace, &effective_namespace(&id.namespace))
            || matches(
                &self.namespace,
                &effective_namespace(&resource.original_namespace),
            );
        let name_ok = matches(&self.name, &id.name) || matches(&self.name, &resource.original_name);
        let gvk_ok = matches(&self.group, &id.group)
            && matches(&self.version, &id.version)
            && matches(&self.kind, &id.kind);
        let labels_ok = self.labels.as_ref().is_none_or(|s| {
            s.matches(
                resource
                    .value
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object),
            )
        });
        let annotations_ok = self.annotations.as_ref().is_none_or(|s| {
            s.matches(
                resource
                    .value
                    .pointer("/metadata/annotations")
                    .and_then(Value::as_object),
            )
        });
        namespace_ok && name_ok && gvk_ok && labels_ok && annotations_ok
    }
}

fn pattern(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<Regex>, ManifestError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Regex::new(&format!("^(?:{s})$"))
            .map(Some)
            .map_err(|source| ManifestError::TargetRegex {
                field: format!("{field}.{key}"),
                source: Box::new(source),
            }),
        Some(_) => Err(ManifestError::override_field(
            format!("{field}.{key}"),
            "must be a string",
        )),
    }
}

fn selector(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<LabelSelector>, ManifestError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => LabelSelector::parse(s)
            .map(Some)
            .map_err(|reason| ManifestError::override_field(format!("{field}.{key}"), reason)),
        Some(_) => Err(ManifestError::override_field(
            format!("{field}.{key}"),
            "must be a string",
        )),
    }
}

/// A Kubernetes label selector in its string form (`app=a,tier!=b,env in (x,y),!gone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelSelector {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("{text:?} has an empty requirement"));
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(Self { requirements })
    }

    pub(crate) fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |key: &str| labels.and_then(|m| m.get(key)).and_then(Value::as_str);
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, values) => get(k).is_some_and(|v| values.iter().any(|x| x == v)),
            Requirement::NotIn(k, values) => get(k).is_none_or(|v| !values.iter().any(|x| x == v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    let bad = || format!("{part:?} is not a label selector requirement");
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return if valid_key(key) {
            Ok(Requirement::DoesNotExist(key.to_string()))
        } else {
            Err(bad())
        };
    }
    for (op, negate) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((key, value)) = part.split_once(op) {
            let (key, value) = (key.trim(), value.trim());
            if !valid_key(key) || value.contains(['=', '!', ' ']) {
                return Err(bad());
            }
            let values = vec![value.to_string()];
            return Ok(if negate {
                Requirement::NotIn(key.to_string(), values)
            } else {
                Requirement::In(key.to_string(), values)
            });
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if let [key, rest] = words.as_slice() {
        let rest = rest.trim();
        let (negate, list) = if let Some(list) = rest.strip_prefix("notin") {
            (true, list)
        } else if let Some(list) = rest.strip_prefix("in") {
            (false, list)
        } else {
            return Err(bad());
        };
        let list = list
            .trim()
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(bad)?;
        let values: Vec<String> = list.split(',').map(|v| v.trim().to_string()).collect();
        if !valid_key(key) || values.iter().any(|v| v.contains(' ')) {
            return Err(bad());
        }
        return Ok(if negate {
            Requirement::NotIn(key.to_string(), values)
        } else {
            Requirement::In(key.to_string(), values)
        });
    }
    if valid_key(part) {
        Ok(Requirement::Exists(part.to_string()))
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::LabelSelector;
    use serde_json::json;

    #[test]
    fn label_selector_forms_match_as_kubernetes_does() {
        let labels = json!({"app": "a", "tier": "web"});
        let labels = labels.as_object();
        for (selector, expected) in [
            ("app=a", true),
            ("app==a", true),
            ("app!=a", false),
            ("app in (a, b)", true),
            ("app notin (a,b)", false),
            ("tier", true),
            ("!tier", false),
            ("!gone", true),
            ("app=a,tier=web", true),
            ("app=a,tier=db", false),
            ("gone!=x", true),
        ] {
            assert_eq!(
                LabelSelector::parse(selector).unwrap().matches(labels),
                expected,
                "{selector}"
            );
        }
        for bad in ["a=b=c", "app in a", ",", "a b c"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }
}
