//! Strategic-merge patches as kustomize (kyaml's merge2) applies them.
//!
//! - mappings merge key by key; `null` deletes a key; `$patch: delete` removes the mapping,
//!   `$patch: replace` replaces it;
//! - sequences with a merge key in the Kubernetes schema merge element by element (patch
//!   elements first, in patch order, then the object's other elements), with `$patch:
//!   delete` on an element removing it; all other sequences are replaced. Custom resources
//!   have no schema, so their sequences are always replaced.

use serde_json::{Map, Value};

use super::Resource;
use crate::manifests::install::set_path;

/// Merges `patch` into the resource, keeping its kind, name and namespace.
pub(crate) fn patch_resource(resource: &mut Resource, patch: &Value) {
    let id = resource.current_id();
    let schema = Schema::for_kind(&id.group, &id.kind);
    let Some(patch) = patch.as_object() else {
        return;
    };
    let mut patch = patch.clone();
    // A targeted patch takes the target's type; a named one already has it.
    patch.remove("apiVersion");
    let mut path = Vec::new();
    let Value::Object(dest) = &mut resource.value else {
        return;
    };
    if merge_map(dest, &patch, &schema, &mut path) {
        resource.value = Value::Null;
        return;
    }
    // The patch may have replaced `metadata` with a scalar: the identity goes back into
    // a mapping (no indexing, which panics on a scalar).
    let value = &mut resource.value;
    set_path(value, &["kind"], Value::from(id.kind.as_str()));
    set_path(value, &["metadata", "name"], Value::from(id.name.as_str()));
    if id.namespace.is_empty() {
        if let Some(Value::Object(meta)) = value.get_mut("metadata") {
            meta.remove("namespace");
        }
    } else {
        set_path(
            value,
            &["metadata", "namespace"],
            Value::from(id.namespace.as_str()),
        );
    }
}

/// How a sequence at a path merges.
enum ListMerge {
    /// Replaced by the patch's sequence.
    Replace,
    /// Merged on these keys.
    Keys(&'static [&'static str]),
    /// A set of scalars (e.g. `finalizers`).
    Scalars,
}

/// The merge keys of the Kubernetes built-in kinds that matter here.
struct Schema {
    builtin: bool,
    pod_spec: &'static [&'static str],
    is_service: bool,
}

impl Schema {
    fn for_kind(group: &str, kind: &str) -> Self {
        // Built-in groups have kustomize's OpenAPI schema; custom resources have none.
        let builtin = group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io");
        let pod_spec: &'static [&'static str] = match kind {
            "Deployment"
            | "DaemonSet"
            | "StatefulSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => &["spec", "template", "spec"],
            "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
            "Pod" => &["spec"],
            _ => &[],
        };
        Self {
            builtin,
            pod_spec: if builtin { pod_spec } else { &[] },
            is_service: builtin && group.is_empty() && kind == "Service",
        }
    }

    fn list_merge(&self, path: &[String]) -> ListMerge {
        if !self.builtin {
            return ListMerge::Replace;
        }
        let n = path.len();
        let last = path.last().map(String::as_str).unwrap_or_default();
        if n >= 2 && path[n - 2] == "metadata" {
            match last {
                "finalizers" => return ListMerge::Scalars,
                "ownerReferences" => return ListMerge::Keys(&["uid"]),
                _ => {}
            }
        }
        if self.is_service && path == ["spec", "ports"] {
            return ListMerge::Keys(&["port", "protocol"]);
        }
        let ps = self.pod_spec;
        if ps.is_empty() || n <= ps.len() || !path.iter().zip(ps).all(|(a, b)| a == b) {
            return ListMerge::Replace;
        }
        let rel: Vec<&str> = path[ps.len()..].iter().map(String::as_str).collect();
        match rel.as_slice() {
            ["containers" | "initContainers" | "ephemeralContainers"] => ListMerge::Keys(&["name"]),
            ["volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates"] => {
                ListMerge::Keys(&["name"])
            }
            ["hostAliases"] => ListMerge::Keys(&["ip"]),
            ["topologySpreadConstraints"] => ListMerge::Keys(&["topologyKey", "whenUnsatisfiable"]),
            ["containers" | "initContainers" | "ephemeralContainers", field] => match *field {
                "env" => ListMerge::Keys(&["name"]),
                "ports" => ListMerge::Keys(&["containerPort", "protocol"]),
                "volumeMounts" => ListMerge::Keys(&["mountPath"]),
                "volumeDevices" => ListMerge::Keys(&["devicePath"]),
                _ => ListMerge::Replace,
            },
            _ => ListMerge::Replace,
        }
    }
}

fn directive(map: &Map<String, Value>) -> Option<&str> {
    map.get("$patch").and_then(Value::as_str)
}

/// Merges `patch` into `dest`; returns true when the patch deletes `dest` altogether.
fn merge_map(
    dest: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    schema: &Schema,
    path: &mut Vec<String>,
) -> bool {
    match directive(patch) {
        Some("delete") => return true,
        Some("replace") => {
            *dest = clean_map(patch);
            return false;
        }
        _ => {}
    }
    for (key, patch_value) in patch {
        if key == "$patch" {
            continue;
        }
        path.push(key.clone());
        match (dest.get_mut(key), patch_value) {
            (_, Value::Null) => {
                dest.remove(key);
            }
            (Some(Value::Object(d)), Value::Object(p)) => {
                if merge_map(d, p, schema, path) {
                    dest.remove(key);
                }
            }
            (Some(Value::Array(d)), Value::Array(p)) => {
                if merge_list(d, p, schema, path) {
                    dest.remove(key);
                }
            }
            (_, Value::Object(p)) if directive(p) == Some("delete") => {
                dest.remove(key);
            }
            (_, other) => {
                dest.insert(key.clone(), clean(other));
            }
        }
        path.pop();
    }
    false
}

/// Merges a patch sequence into `dest`; returns true when the patch deletes the sequence.
fn merge_list(
    dest: &mut Vec<Value>,
    patch: &[Value],
    schema: &Schema,
    path: &mut Vec<String>,
) -> bool {
    let keys = match schema.list_merge(path) {
        ListMerge::Replace => {
            *dest = patch.iter().map(clean).collect();
            return false;
        }
        ListMerge::Scalars => {
            let mut out: Vec<Value> = Vec::new();
            for item in patch.iter().chain(dest.iter()) {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            *dest = out;
            return false;
        }
        ListMerge::Keys(keys) => keys,
    };
    let is_directive = |v: &Value, d: &str| {
        v.as_object()
            .is_some_and(|m| m.len() == 1 && directive(m) == Some(d))
    };
    if patch.iter().any(|v| is_directive(v, "delete")) {
        return true;
    }
    if patch.iter().any(|v| is_directive(v, "replace")) {
        *dest = patch
            .iter()
            .filter(|v| !is_directive(v, "replace"))
            .map(clean)
            .collect();
        return false;
    }
    if keys.len() > 1 {
        return merge_multi_key_list(dest, patch, keys, schema, path);
    }
    let mut used = vec![false; dest.len()];
    let mut out = Vec::with_capacity(dest.len() + patch.len());
    for element in patch {
        let found = (0..dest.len()).find(|&j| !used[j] && same_element(&dest[j], element, keys));
        let deletes = element
            .as_object()
            .is_some_and(|m| directive(m) == Some("delete"));
        match (found, element) {
            (Some(j), _) if deletes => used[j] = true,
            (None, _) if deletes => {}
            (Some(j), Value::Object(p)) => {
                used[j] = true;
                let mut merged = dest[j].clone();
                if let Value::Object(m) = &mut merged {
                    if merge_map(m, p, schema, path) {
                        continue;
                    }
                }
                out.push(merged);
            }
            (_, other) => out.push(clean(other)),
        }
    }
    out.extend(
        dest.iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(v, _)| v.clone()),
    );
    *dest = out;
    false
}

/// Sequences merged on several keys (ports on port and protocol), as kyaml does them:
/// elements are identified by the tuple of the keys set anywhere in either sequence, a
/// patch element lacking one of them pairs with the object's element that has it (and then
/// contributes nothing), new elements come first and the object's elements keep their
/// order after them.
fn merge_multi_key_list(
    dest: &mut Vec<Value>,
    patch: &[Value],
    keys: &[&str],
    schema: &Schema,
    path: &mut Vec<String>,
) -> bool {
    let text = |e: &Value, k: &str| e.get(k).map(scalar_text).unwrap_or_default();
    let valid: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| dest.iter().chain(patch).any(|e| !text(e, k).is_empty()))
        .collect();
    let valid = if valid.is_empty() {
        keys.to_vec()
    } else {
        valid
    };
    let tuple = |e: &Value| -> Vec<String> { valid.iter().map(|k| text(e, k)).collect() };
    let mut values: Vec<Vec<String>> = Vec::new();
    for element in patch.iter().chain(dest.iter()) {
        let t = tuple(element);
        if t.iter().any(|v| !v.is_empty()) && !values.contains(&t) {
            values.push(t);
        }
    }
    for i in 0..values.len() {
        for j in 0..values.len() {
            if let Some(merged) = wildcard_match(&values[i], &values[j]) {
                values[i] = merged.clone();
                values[j] = merged;
            }
        }
    }
    let mut unique: Vec<Vec<String>> = Vec::new();
    for t in values {
        if !unique.contains(&t) {
            unique.push(t);
        }
    }
    let mut kept: Vec<Option<Value>> = dest.iter().cloned().map(Some).collect();
    let mut added = Vec::new();
    for t in &unique {
        let in_dest = dest.iter().position(|e| &tuple(e) == t);
        let in_patch = patch.iter().find(|e| &tuple(e) == t);
        let deletes = in_patch
            .and_then(Value::as_object)
            .is_some_and(|m| directive(m) == Some("delete"));
        match (in_dest, in_patch) {
            (Some(j), Some(_)) if deletes => kept[j] = None,
            (Some(j), Some(Value::Object(p))) => {
                if let Some(Value::Object(m)) = kept[j].as_mut() {
                    if merge_map(m, p, schema, path) {
                        kept[j] = None;
                    }
                }
            }
            (None, Some(element)) if !deletes => added.push(clean(element)),
            _ => {}
        }
    }
    added.extend(kept.into_iter().flatten());
    *dest = added;
    false
}

/// kyaml's pairing of key tuples: equal where both are set, at least one position equal.
fn wildcard_match(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if x.is_empty() {
            out.push(y.clone());
        } else {
            out.push(x.clone());
        }
    }
    common.then_some(out)
}

/// Two elements are the same when every merge key both set is equal, and at least one is.
fn same_element(a: &Value, b: &Value, keys: &[&str]) -> bool {
    let mut common = false;
    for key in keys {
        match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => {
                if scalar_text(x) != scalar_text(y) {
                    return false;
                }
                common = true;
            }
            _ => continue,
        }
    }
    common
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A patch value as it lands in the object: directives and nulls dropped.
fn clean(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(clean_map(map)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|v| v.as_object().is_none_or(|m| directive(m) != Some("delete")))
                .map(clean)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn clean_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, v)| *k != "$patch" && !v.is_null())
        .map(|(k, v)| (k.clone(), clean(v)))
        .collect()
}
