//! A validated Flux object ([`ObjectSpec`]): field checks with paths, Flux's
//! defaults, the manifest and its file, and the comparison with what git or the
//! cluster holds.

use serde_json::{Map, Value};

use super::defaults::{fill_defaults, satisfied, strip_defaults};
use super::error::{FieldError, FieldPath, ObjectError};
use super::field::{Check, FieldDef, FieldType};
use super::kinds::KindDef;
use crate::cluster::ObjectRef;

/// The annotation that keeps a Kustomization from pruning an object: set on every
/// object applied directly to the cluster, so that moving an object out of git does
/// not let the Kustomization that used to apply it delete it.
pub const PRUNE_DISABLED_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";

/// A Flux object whose spec passed every check of its kind, with Flux's defaults
/// filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSpec {
    /// The kind.
    pub kind: &'static KindDef,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec`, keyed as in Kubernetes (camelCase).
    pub spec: Map<String, Value>,
}

impl PartialEq for KindDef {
    fn eq(&self, other: &Self) -> bool {
        self.api_version == other.api_version && self.kind == other.kind
    }
}

impl ObjectSpec {
    /// Fills Flux's defaults and checks every field, then the kind's rules. All
    /// errors are returned at once, each named by its field path.
    pub fn new(
        kind: &'static KindDef,
        namespace: &str,
        name: &str,
        mut spec: Map<String, Value>,
    ) -> Result<Self, ObjectError> {
        let mut errors = Vec::new();
        if let Err(reason) = Check::Label.check(namespace) {
            errors.push(FieldError::new(FieldPath::field("namespace"), reason));
        }
        if let Err(reason) = Check::Name.check(name) {
            errors.push(FieldError::new(FieldPath::field("name"), reason));
        }
        if let Some(only) = kind.only_name.filter(|only| *only != name) {
            errors.push(FieldError::new(
                FieldPath::field("name"),
                format!(
                    "must be `{only}`: the API accepts no other name for a {}",
                    kind.kind
                ),
            ));
        }
        (kind.derived_defaults)(&mut spec);
        fill_defaults(kind.fields, &mut spec);
        check_fields(kind.fields, &spec, &FieldPath::default(), &mut errors);
        if errors.is_empty() {
            errors.extend((kind.rules)(&spec));
        }
        if !errors.is_empty() {
            return Err(ObjectError::Invalid {
                kind: kind.kind,
                errors,
            });
        }
        Ok(Self {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            spec,
        })
    }

    /// The object's reference.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::new(
            self.kind.api_version,
            self.kind.kind,
            Some(&self.namespace),
            &self.name,
        )
    }

    /// The manifest; `cluster` adds the annotation that keeps a Kustomization from
    /// pruning it (see [`PRUNE_DISABLED_ANNOTATION`]) and keeps the defaults explicit,
    /// so that server-side apply owns them and puts back a default changed by hand.
    /// A file for git leaves the defaults out, as `flux create --export` does.
    pub fn manifest(&self, cluster: bool) -> Value {
        let mut metadata = Map::new();
        metadata.insert("name".into(), Value::from(self.name.clone()));
        metadata.insert("namespace".into(), Value::from(self.namespace.clone()));
        if cluster {
            let mut annotations = Map::new();
            annotations.insert(PRUNE_DISABLED_ANNOTATION.into(), Value::from("disabled"));
            metadata.insert("annotations".into(), Value::Object(annotations));
        }
        let mut object = Map::new();
        object.insert("apiVersion".into(), Value::from(self.kind.api_version));
        object.insert("kind".into(), Value::from(self.kind.kind));
        object.insert("metadata".into(), Value::Object(metadata));
        let mut spec = self.spec.clone();
        if !cluster {
            strip_defaults(self.kind.fields, &mut spec);
        }
        object.insert("spec".into(), Value::Object(spec));
        Value::Object(object)
    }

    /// The file committed for git delivery.
    pub fn to_yaml(&self) -> String {
        crate::manifests::write_documents(&[self.manifest(false)])
    }

    /// The file name in its directory: `<kind>-<namespace>-<name>.yaml`, lowercase.
    pub fn file_name(&self) -> String {
        file_name(self.kind, &self.namespace, &self.name)
    }

    /// Whether `observed` (a live object or a parsed file) carries every field of
    /// this spec with the same value, a field at its default also by leaving it out.
    /// Fields only the server added (defaults of the CRD) are not differences.
    pub fn is_satisfied_by(&self, observed: &Value) -> bool {
        spec_is_satisfied(self.kind, &self.spec, observed)
    }
}

/// Whether `observed` carries every field of `want` (a spec as rendered, possibly
/// incomplete) with the same value, a field at its default also by leaving it out.
pub fn spec_is_satisfied(kind: &KindDef, want: &Map<String, Value>, observed: &Value) -> bool {
    let mut want = want.clone();
    (kind.derived_defaults)(&mut want);
    observed
        .get("spec")
        .and_then(Value::as_object)
        .is_some_and(|have| satisfied(kind.fields, &want, have))
}

/// The errors of the kind's cross-field rules for a spec whose fields each
/// passed their own checks (Flux's defaults are filled in first).
pub fn check_rules(kind: &KindDef, spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut spec = spec.clone();
    (kind.derived_defaults)(&mut spec);
    fill_defaults(kind.fields, &mut spec);
    (kind.rules)(&spec)
}

/// The file name of an object in its directory.
pub fn file_name(kind: &KindDef, namespace: &str, name: &str) -> String {
    format!("{}-{namespace}-{name}.yaml", kind.kind.to_lowercase())
}

/// The value at a (possibly dotted, `chart.spec`) key.
pub(crate) fn get_key<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let first = parts.next()?;
    let mut value = map.get(first)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// Sets the value at a (possibly dotted) key, creating the objects on the way.
pub(crate) fn set_key(map: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            map.insert(key.to_string(), value);
        }
        Some((first, rest)) => {
            let slot = map
                .entry(first.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                set_key(inner, rest, value);
            }
        }
    }
}

fn check_fields(
    fields: &[FieldDef],
    map: &Map<String, Value>,
    parent: &FieldPath,
    errors: &mut Vec<FieldError>,
) {
    for field in fields {
        let path = parent.clone().at_field(field.name);
        match get_key(map, field.key) {
            None | Some(Value::Null) => {
                if field.required {
                    errors.push(FieldError::new(path, "is required"));
                }
            }
            Some(value) => check_value(field, value, path, errors),
        }
    }
}

fn check_string(field: &FieldDef, value: &Value, path: FieldPath, errors: &mut Vec<FieldError>) {
    match value.as_str() {
        Some(s) => {
            if let Err(reason) = field.check.check(s) {
                errors.push(FieldError::new(path, reason));
            }
        }
        None => errors.push(FieldError::new(path, "must be a string")),
    }
}

fn check_value(field: &FieldDef, value: &Value, path: FieldPath, errors: &mut Vec<FieldError>) {
    match field.ty {
        FieldType::String => check_string(field, value, path, errors),
        FieldType::LocalRef => match value.get("name") {
            Some(name) => check_string(field, name, path, errors),
            None => errors.push(FieldError::new(path, "must name an object")),
        },
        FieldType::Bool if !value.is_boolean() => {
            errors.push(FieldError::new(path, "must be a boolean"))
        }
        FieldType::Int if !value.is_i64() => {
            errors.push(FieldError::new(path, "must be an integer"))
        }
        FieldType::StringList => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_string(field, item, path.clone().at_index(i), errors);
                }
            }
            None => errors.push(FieldError::new(path, "must be a list of strings")),
        },
        FieldType::StringMap => match value.as_object() {
            Some(entries) if entries.values().all(Value::is_string) => {}
            _ => errors.push(FieldError::new(path, "must be a map of strings")),
        },
        FieldType::Object(nested) => match value.as_object() {
            Some(inner) => check_fields(nested, inner, &path, errors),
            None => errors.push(FieldError::new(path, "must be an object")),
        },
        FieldType::ObjectList(nested) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item.as_object() {
                        Some(inner) => {
                            check_fields(nested, inner, &path.clone().at_index(i), errors)
                        }
                        None => errors.push(FieldError::new(
                            path.clone().at_index(i),
                            "must be an object",
                        )),
                    }
                }
            }
            None => errors.push(FieldError::new(path, "must be a list of objects")),
        },
        FieldType::Document if !value.is_object() => {
            errors.push(FieldError::new(path, "must be a YAML or JSON mapping"))
        }
        FieldType::Bool | FieldType::Int | FieldType::Document => {}
    }
}

/// The spec fields of a live object or a parsed file that the kind's table knows,
/// with Flux's defaults where they are absent: what an import or a drift read
/// turns into settings. A field whose value is the one its kind derives from
/// other fields is left out, as a user who wants that value leaves it out.
pub fn known_spec(kind: &KindDef, observed: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(spec) = observed.get("spec").and_then(Value::as_object) {
        project(kind.fields, spec, &mut out);
    }
    drop_derived(kind, &mut out);
    fill_defaults(kind.fields, &mut out);
    out
}

/// Removes each top-level field that the kind's derived defaults would put back
/// with the same value.
fn drop_derived(kind: &KindDef, spec: &mut Map<String, Value>) {
    let keys: Vec<String> = spec.keys().cloned().collect();
    for key in keys {
        let mut without = spec.clone();
        without.remove(&key);
        (kind.derived_defaults)(&mut without);
        if without == *spec {
            spec.remove(&key);
        }
    }
}

fn project(fields: &[FieldDef], from: &Map<String, Value>, out: &mut Map<String, Value>) {
    for field in fields {
        let Some(value) = get_key(from, field.key) else {
            continue;
        };
        let kept = match (field.ty, value) {
            (FieldType::Object(nested), Value::Object(inner)) => {
                let mut o = Map::new();
                project(nested, inner, &mut o);
                Value::Object(o)
            }
            (FieldType::ObjectList(nested), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|inner| {
                        let mut o = Map::new();
                        project(nested, inner, &mut o);
                        Value::Object(o)
                    })
                    .collect(),
            ),
            (_, v) => v.clone(),
        };
        set_key(out, field.key, kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::kinds::{GIT_REPOSITORY, HELM_RELEASE, KUSTOMIZATION};
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn new_git_repository_fills_flux_defaults() {
        let spec = ObjectSpec::new(
            &GIT_REPOSITORY,
            "flux-system",
            "podinfo",
            map(json!({"url": "https://example.com/podinfo.git", "ref": {"branch": "main"}})),
        )
        .unwrap();
        assert_eq!(spec.spec["interval"], "1m0s");
        assert_eq!(spec.spec["timeout"], "60s");
        assert_eq!(spec.spec["suspend"], false);
        let yaml = spec.to_yaml();
        assert!(
            yaml.starts_with("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"),
            "{yaml}"
        );
        assert!(yaml.contains("  ref:\n    branch: main\n"), "{yaml}");
        assert_eq!(spec.file_name(), "gitrepository-flux-system-podinfo.yaml");
    }

    #[test]
    fn new_invalid_fields_are_all_reported_with_paths() {
        let err = ObjectSpec::new(
            &KUSTOMIZATION,
            "Flux",
            "apps",
            map(
                json!({"interval": "10 minutes", "sourceRef": {"kind": "Git", "name": "x"},
                       "healthChecks": [{"name": "a"}]}),
            ),
        )
        .unwrap_err();
        let ObjectError::Invalid { errors, .. } = err else {
            panic!("{err}")
        };
        let paths: Vec<String> = errors.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "namespace",
                "source_ref.kind",
                "prune",
                "interval",
                "health_checks[0].kind"
            ]
        );
    }

    #[test]
    fn new_helm_release_requires_exactly_one_chart_source() {
        let err = ObjectSpec::new(&HELM_RELEASE, "apps", "web", Map::new()).unwrap_err();
        assert!(
            matches!(err, ObjectError::Invalid { ref errors, .. } if errors[0].path == FieldPath::field("chart"))
        );
        let ok = ObjectSpec::new(
            &HELM_RELEASE,
            "apps",
            "web",
            map(json!({"chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}})),
        )
        .unwrap();
        assert_eq!(ok.spec["chart"]["spec"]["version"], "*");
        assert_eq!(ok.spec["maxHistory"], 5);
    }

    #[test]
    fn is_satisfied_by_ignores_server_defaults_but_not_changes() {
        let spec = ObjectSpec::new(
            &GIT_REPOSITORY,
            "flux-system",
            "podinfo",
            map(json!({"url": "https://example.com/podinfo.git"})),
        )
        .unwrap();
        let mut live = spec.manifest(true);
        live["spec"]["extraDefault"] = json!("x");
        live["status"] = json!({"observedGeneration": 1});
        assert!(spec.is_satisfied_by(&live));
        live["spec"]["interval"] = json!("5m");
        assert!(!spec.is_satisfied_by(&live));
    }

    #[test]
    fn known_spec_keeps_table_fields_and_fills_defaults() {
        let live = json!({"spec": {"url": "https://e/x.git", "unknownField": 1, "ref": {"branch": "main", "other": 2}}});
        let known = known_spec(&GIT_REPOSITORY, &live);
        assert_eq!(known["ref"], json!({"branch": "main"}));
        assert!(!known.contains_key("unknownField"));
        assert_eq!(known["timeout"], "60s");
    }
}
