//! Flux's defaults in a spec: filled in for validation and comparison, left out of
//! the files committed to git (as `flux create --export` leaves them out), and
//! treated as equal to an absent field when a spec is compared with what git or the
//! cluster holds.

use serde_json::{Map, Value};

use super::field::{FieldDef, FieldType};
use super::spec::{get_key, set_key};

/// Sets every absent field that has a default to it, nested objects included.
pub(crate) fn fill_defaults(fields: &[FieldDef], map: &mut Map<String, Value>) {
    for field in fields {
        match get_key(map, field.key) {
            None => {
                if let Some(default) = field.default {
                    set_key(map, field.key, default.to_json());
                }
            }
            Some(_) => fill_nested_defaults(field, map),
        }
    }
}

fn fill_nested_defaults(field: &FieldDef, map: &mut Map<String, Value>) {
    let Some(mut value) = get_key(map, field.key).cloned() else {
        return;
    };
    match (field.ty, &mut value) {
        (FieldType::Object(nested), Value::Object(inner)) => fill_defaults(nested, inner),
        (FieldType::ObjectList(nested), Value::Array(items)) => {
            for item in items {
                if let Value::Object(inner) = item {
                    fill_defaults(nested, inner);
                }
            }
        }
        _ => return,
    }
    set_key(map, field.key, value);
}

/// Removes every field at its default that is not [`FieldDef::written`], and the
/// nested objects that only held such fields.
pub(crate) fn strip_defaults(fields: &[FieldDef], map: &mut Map<String, Value>) {
    for field in fields {
        let Some(value) = get_key(map, field.key).cloned() else {
            continue;
        };
        if !field.written && is_default(field, &value) {
            remove_key(map, field.key);
            continue;
        }
        let kept = match (field.ty, value) {
            (FieldType::Object(nested), Value::Object(mut inner)) => {
                strip_defaults(nested, &mut inner);
                Value::Object(inner)
            }
            (FieldType::ObjectList(nested), Value::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::Object(mut inner) => {
                            strip_defaults(nested, &mut inner);
                            Value::Object(inner)
                        }
                        other => other,
                    })
                    .collect(),
            ),
            (_, other) => other,
        };
        set_key(map, field.key, kept);
    }
}

/// Whether a value means the same as the field being absent: its default, or a
/// non-empty nested object whose every field is at its default.
fn is_default(field: &FieldDef, value: &Value) -> bool {
    if let Some(default) = field.default {
        return same_scalar(&default.to_json(), value);
    }
    match (field.ty, value) {
        (FieldType::Object(nested), Value::Object(inner)) if !inner.is_empty() => {
            satisfied(nested, inner, &Map::new())
        }
        _ => false,
    }
}

/// Whether `have` (a live object's or a file's spec) means what `want` asks: every
/// field of `want` is in `have` with the same value, or absent from `have` while
/// `want` holds its default. Fields `want` does not name are not compared (the
/// server fills some), and maps and free-form documents may hold more keys in `have`.
pub(crate) fn satisfied(
    fields: &[FieldDef],
    want: &Map<String, Value>,
    have: &Map<String, Value>,
) -> bool {
    fields.iter().all(
        |field| match (get_key(want, field.key), get_key(have, field.key)) {
            (None, _) => true,
            (Some(w), None) => is_default(field, w),
            (Some(w), Some(h)) => match (field.ty, w, h) {
                (FieldType::Object(nested), Value::Object(wi), Value::Object(hi)) => {
                    satisfied(nested, wi, hi)
                }
                (FieldType::ObjectList(nested), Value::Array(wa), Value::Array(ha)) => {
                    wa.len() == ha.len()
                        && wa.iter().zip(ha).all(|pair| match pair {
                            (Value::Object(wi), Value::Object(hi)) => satisfied(nested, wi, hi),
                            (a, b) => contains(a, b),
                        })
                }
                _ => contains(w, h),
            },
        },
    )
}

/// Whether every field of `want` is in `have` with the same value (lists element
/// by element, same length).
pub(crate) fn contains(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| contains(v, hv))),
        (Value::Array(w), Value::Array(h)) => {
            w.len() == h.len() && w.iter().zip(h).all(|(a, b)| contains(a, b))
        }
        _ => same_scalar(want, have),
    }
}

/// Equality with numbers compared by value (`5` and `5.0` are one number).
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Removes the value at a (possibly dotted) key, and the objects on the way that it
/// leaves empty.
fn remove_key(map: &mut Map<String, Value>, key: &str) {
    match key.split_once('.') {
        None => {
            map.remove(key);
        }
        Some((first, rest)) => {
            if let Some(Value::Object(inner)) = map.get_mut(first) {
                remove_key(inner, rest);
                if inner.is_empty() {
                    map.remove(first);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::kinds::{GIT_REPOSITORY, HELM_RELEASE, IMAGE_UPDATE_AUTOMATION};
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn strip_leaves_out_defaults_but_keeps_written_ones() {
        let mut spec = map(json!({
            "url": "https://example.com/repo",
            "interval": "1m0s",
            "timeout": "60s",
            "suspend": false,
            "provider": "generic",
            "ref": {"branch": "main"},
        }));
        strip_defaults(GIT_REPOSITORY.fields, &mut spec);
        assert_eq!(
            Value::Object(spec),
            json!({"url": "https://example.com/repo", "interval": "1m0s", "ref": {"branch": "main"}})
        );
    }

    #[test]
    fn strip_removes_nested_objects_left_empty() {
        let mut spec = map(json!({
            "chart": {"spec": {"chart": "podinfo", "reconcileStrategy": "ChartVersion",
                               "sourceRef": {"kind": "HelmRepository", "name": "charts"}}},
            "install": {"createNamespace": false},
            "suspend": true,
        }));
        strip_defaults(HELM_RELEASE.fields, &mut spec);
        assert!(spec.get("install").is_none(), "{spec:?}");
        assert_eq!(spec["suspend"], json!(true));
        assert_eq!(
            spec["chart"]["spec"]["reconcileStrategy"],
            json!("ChartVersion")
        );
    }

    #[test]
    fn satisfied_takes_absent_as_default_and_sees_a_changed_default() {
        let want = map(json!({"url": "u", "interval": "1m0s", "suspend": false,
                              "ref": {"branch": "main"}}));
        let file = map(json!({"url": "u", "interval": "1m0s", "ref": {"branch": "main"}}));
        assert!(satisfied(GIT_REPOSITORY.fields, &want, &file));
        let suspended = map(json!({"url": "u", "interval": "1m0s", "suspend": true,
                                   "ref": {"branch": "main"}}));
        assert!(!satisfied(GIT_REPOSITORY.fields, &want, &suspended));
        let other_branch = map(json!({"url": "u", "interval": "1m0s", "ref": {"branch": "dev"}}));
        assert!(!satisfied(GIT_REPOSITORY.fields, &want, &other_branch));
        let server_filled = map(json!({"url": "u", "interval": "1m0s", "timeout": "60s",
                                       "ref": {"branch": "main"}, "proxySecretRef": {"name": "p"}}));
        assert!(satisfied(GIT_REPOSITORY.fields, &want, &server_filled));
    }

    #[test]
    fn satisfied_takes_a_missing_object_of_defaults_as_equal() {
        let want = map(
            json!({"sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                              "interval": "30m0s", "update": {"strategy": "Setters"}}),
        );
        let have = map(
            json!({"sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                              "interval": "30m0s"}),
        );
        assert!(satisfied(IMAGE_UPDATE_AUTOMATION.fields, &want, &have));
    }
}
