//! The `kustomization.yaml` next to the gotk files, and `kustomization_override` parsing.

use serde_json::{Map, Value};

use super::overrides::select::Target;
use super::yaml::parse_yaml_stream;
use super::ManifestError;

/// The files the bootstrap kustomization lists, and an override must list.
pub const KUSTOMIZATION_FILES: [&str; 2] = ["gotk-components.yaml", "gotk-sync.yaml"];

/// The default `kustomization.yaml` written next to the gotk files.
pub fn default_kustomization() -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {}\n- {}\n",
        KUSTOMIZATION_FILES[0], KUSTOMIZATION_FILES[1]
    )
}

/// A parsed `kustomization_override`: a kustomize Kustomization that lists the two gotk
/// files among its `resources`.
///
/// This engine applies `namespace`, `patches`, `patchesStrategicMerge` and
/// `patchesJson6902` written inline, `images`, `replicas`, `labels`, `commonLabels` and
/// `commonAnnotations`. Every other field of a kustomize Kustomization (generators,
/// components, name prefixes, more resources, patches read from files, ...) is valid but
/// [deferred](Override::deferred): kustomize-controller builds it from git. A field that
/// kustomize does not know is an error, as it is for kustomize.
#[derive(Debug, Clone)]
pub struct Override {
    text: String,
    deferred: Vec<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) strategic_patches: Vec<Patch>,
    pub(crate) patches: Vec<Patch>,
    pub(crate) labels: Vec<LabelSet>,
    pub(crate) common_labels: Vec<(String, String)>,
    pub(crate) common_annotations: Vec<(String, String)>,
    pub(crate) json_patches: Vec<Patch>,
    pub(crate) images: Vec<ImageRule>,
    pub(crate) replicas: Vec<ReplicaRule>,
}

/// One patch of the override, with the field it came from (`patches[1]`).
#[derive(Debug, Clone)]
pub(crate) struct Patch {
    pub(crate) field: String,
    pub(crate) body: PatchBody,
    pub(crate) target: Option<Target>,
}

#[derive(Debug, Clone)]
pub(crate) enum PatchBody {
    /// Strategic-merge patches, one per YAML document.
    Strategic(Vec<Value>),
    /// A JSON 6902 operation list.
    Json(json_patch::Patch),
}

/// An entry of `labels`.
#[derive(Debug, Clone)]
pub(crate) struct LabelSet {
    pub(crate) pairs: Vec<(String, String)>,
    pub(crate) include_selectors: bool,
    pub(crate) include_templates: bool,
}

/// An entry of `images`.
#[derive(Debug, Clone)]
pub(crate) struct ImageRule {
    /// kustomize's match of `name` with an optional tag and digest.
    pub(crate) pattern: regex::Regex,
    pub(crate) new_name: Option<String>,
    pub(crate) new_tag: Option<String>,
    pub(crate) digest: Option<String>,
    pub(crate) tag_suffix: Option<String>,
}

/// An entry of `replicas`.
#[derive(Debug, Clone)]
pub(crate) struct ReplicaRule {
    pub(crate) name: String,
    pub(crate) count: i64,
}

/// The Kustomization fields this engine applies.
const APPLIED: [&str; 13] = [
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "namespace",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "images",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "replicas",
];

/// The other fields of kustomize's Kustomization (v5): valid, built by kustomize-controller.
const DEFERRED: [&str; 20] = [
    "openapi",
    "namePrefix",
    "nameSuffix",
    "replacements",
    "vars",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
    "sortOptions",
];

impl Override {
    /// Parses and checks an override. Every unsupported field or bad value is an error
    /// naming the field; nothing is silently ignored.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let documents = parse_yaml_stream(text, "kustomization_override")?;
        let root = match documents.as_slice() {
            [Value::Object(map)] => map,
            _ => {
                return Err(ManifestError::override_field(
                    "document",
                    "must be a single YAML mapping (a kustomize Kustomization)",
                ))
            }
        };
        let mut deferred = Vec::new();
        for key in root.keys() {
            if DEFERRED.contains(&key.as_str()) {
                if !is_empty(root.get(key)) {
                    deferred.push(key.clone());
                }
            } else if !APPLIED.contains(&key.as_str()) {
                return Err(ManifestError::UnknownOverrideField { field: key.clone() });
            }
        }
        check_type_meta(root)?;
        check_resources(root.get("resources"), &mut deferred)?;
        let namespace = match root.get("namespace") {
            None | Some(Value::Null) => None,
            Some(Value::String(ns)) if ns.is_empty() => None,
            Some(Value::String(ns)) => {
                super::validate::validate_dns_label("namespace", ns).map_err(|_| {
                    ManifestError::override_field("namespace", "must be an RFC 1123 label")
                })?;
                Some(ns.clone())
            }
            Some(_) => {
                return Err(ManifestError::override_field(
                    "namespace",
                    "must be a string",
                ))
            }
        };
        let strategic_patches =
            parse_strategic_list(root.get("patchesStrategicMerge"), &mut deferred)?;
        let patches = parse_patches(root.get("patches"), &mut deferred)?;
        let labels = parse_labels(root.get("labels"), &mut deferred)?;
        let json_patches = parse_json6902_list(root.get("patchesJson6902"), &mut deferred)?;
        Ok(Self {
            text: text.to_string(),
            namespace,
            strategic_patches,
            patches,
            labels,
            common_labels: string_map(root.get("commonLabels"), "commonLabels")?,
            common_annotations: string_map(root.get("commonAnnotations"), "commonAnnotations")?,
            json_patches,
            images: parse_images(root.get("images"))?,
            replicas: parse_replicas(root.get("replicas"))?,
            deferred,
        })
    }

    /// The fields (`configMapGenerator`, `resources[2]`, `patches[0].path`) that are valid
    /// kustomize but not applied by this engine: with any of them, only kustomize (in the
    /// cluster, kustomize-controller) builds the same objects.
    pub fn deferred(&self) -> &[String] {
        &self.deferred
    }

    /// The override as given, which is written verbatim as `kustomization.yaml`.
    pub fn text(&self) -> &str {
        &self.text
    }
}

fn check_type_meta(root: &Map<String, Value>) -> Result<(), ManifestError> {
    match root.get("apiVersion").and_then(Value::as_str) {
        None if !root.contains_key("apiVersion") => {}
        Some("kustomize.config.k8s.io/v1beta1") => {}
        _ => {
            return Err(ManifestError::override_field(
                "apiVersion",
                "must be kustomize.config.k8s.io/v1beta1",
            ))
        }
    }
    match root.get("kind").and_then(Value::as_str) {
        None if !root.contains_key("kind") => Ok(()),
        Some("Kustomization") => Ok(()),
        _ => Err(ManifestError::override_field(
            "kind",
            "must be Kustomization",
        )),
    }
}

/// An absent, null or empty field is one kustomize ignores.
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

fn check_resources(
    resources: Option<&Value>,
    deferred: &mut Vec<String>,
) -> Result<(), ManifestError> {
    let list = match resources {
        Some(Value::Array(list)) => list,
        _ => {
            return Err(ManifestError::override_field(
                "resources",
                "must list gotk-components.yaml and gotk-sync.yaml",
            ))
        }
    };
    let mut names = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let name = item.as_str().ok_or_else(|| {
            ManifestError::override_field(format!("resources[{i}]"), "must be a string")
        })?;
        let name = name.trim_start_matches("./");
        if KUSTOMIZATION_FILES.contains(&name) {
            names.push(name);
        } else {
            deferred.push(format!("resources[{i}]"));
        }
    }
    for file in KUSTOMIZATION_FILES {
        if !names.contains(&file) {
            return Err(ManifestError::override_field(
                "resources",
                format!("must include {file}"),
            ));
        }
    }
    Ok(())
}

fn as_list<'a>(value: Option<&'a Value>, field: &str) -> Result<&'a [Value], ManifestError> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(list)) => Ok(list),
        Some(_) => Err(ManifestError::override_field(field, "must be a list")),
    }
}

fn as_entry<'a>(
    value: &'a Value,
    field: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ManifestError> {
    let map = value
        .as_object()
        .ok_or_else(|| ManifestError::override_field(field, "must be a mapping"))?;
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(ManifestError::UnknownOverrideField {
                field: format!("{field}.{key}"),
            });
        }
    }
    Ok(map)
}

fn string_field(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, ManifestError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ManifestError::override_field(
            format!("{field}.{key}"),
            "must be a string",
        )),
    }
}

fn bool_field(map: &Map<String, Value>, key: &str, field: &str) -> Result<bool, ManifestError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ManifestError::override_field(
            format!("{field}.{key}"),
            "must be a boolean",
        )),
    }
}

fn string_map(value: Option<&Value>, field: &str) -> Result<Vec<(String, String)>, ManifestError> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(ManifestError::override_field(field, "must be a mapping")),
    };
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(ManifestError::override_field(
                format!("{field}.{k}"),
                "must be a string (quote numbers and booleans)",
            )),
        })
        .collect()
}

fn parse_patches(
    value: Option<&Value>,
    deferred: &mut Vec<String>,
) -> Result<Vec<Patch>, ManifestError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(value, "patches")?.iter().enumerate() {
        let field = format!("patches[{i}]");
        let map = as_entry(entry, &field, &["patch", "path", "target", "options"])?;
        if let Some(options) = map.get("options") {
            let options = as_entry(
                options,
                &format!("{field}.options"),
                &["allowNameChange", "allowKindChange"],
            )?;
            for key in ["allowNameChange", "allowKindChange"] {
                if bool_field(options, key, &format!("{field}.options"))? {
                    deferred.push(format!("{field}.options.{key}"));
                }
            }
        }
        if !is_empty(map.get("path")) {
            deferred.push(format!("{field}.path"));
            continue;
        }
        // kustomize trims the patch text, which also drops the final newline of a block
        // scalar that ends it.
        let text = string_field(map, "patch", &field)?
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ManifestError::override_field(format!("{field}.patch"), "is required")
            })?;
        let target = map
            .get("target")
            .map(|t| Target::parse(t, &format!("{field}.target")))
            .transpose()?;
        let body = parse_patch_body(&text, &field)?;
        match (&body, &target) {
            (PatchBody::Json(_), None) => {
                return Err(ManifestError::override_field(
                    format!("{field}.target"),
                    "is required for a JSON 6902 patch",
                ))
            }
            (PatchBody::Strategic(docs), Some(_)) if docs.len() > 1 => {
                return Err(ManifestError::override_field(
                    format!("{field}.patch"),
                    "must hold a single document when a target is set",
                ))
            }
            _ => {}
        }
        out.push(Patch {
            field,
            body,
            target,
        });
    }
    Ok(out)
}

/// A patch body is a JSON 6902 operation list when it is one sequence, else strategic merge.
fn parse_patch_body(text: &str, field: &str) -> Result<PatchBody, ManifestError> {
    let what = format!("kustomization_override {field}.patch");
    let documents = parse_yaml_stream(text, &what)?;
    if let [Value::Array(_)] = documents.as_slice() {
        let ops = documents.into_iter().next().unwrap_or_default();
        let patch =
            serde_json::from_value(ops).map_err(|source| ManifestError::JsonPatchParse {
                field: format!("{field}.patch"),
                source,
            })?;
        return Ok(PatchBody::Json(patch));
    }
    if documents.is_empty() || documents.iter().any(|d| !d.is_object()) {
        return Err(ManifestError::override_field(
            format!("{field}.patch"),
            "must be a strategic-merge patch (YAML mappings) or a JSON 6902 operation list",
        ));
    }
    Ok(PatchBody::Strategic(documents))
}

fn parse_strategic_list(
    value: Option<&Value>,
    deferred: &mut Vec<String>,
) -> Result<Vec<Patch>, ManifestError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(value, "patchesStrategicMerge")?.iter().enumerate() {
        let field = format!("patchesStrategicMerge[{i}]");
        let text = entry
            .as_str()
            .ok_or_else(|| ManifestError::override_field(&field, "must be a string"))?;
        // kustomize reads a single line without a mapping as a file path.
        if !text.trim().contains('\n') && !text.contains(':') {
            deferred.push(field);
            continue;
        }
        match parse_patch_body(text, &field)? {
            PatchBody::Strategic(docs) => out.push(Patch {
                field,
                body: PatchBody::Strategic(docs),
                target: None,
            }),
            PatchBody::Json(_) => {
                return Err(ManifestError::override_field(
                    field,
                    "must be a strategic-merge patch",
                ))
            }
        }
    }
    Ok(out)
}

fn parse_json6902_list(
    value: Option<&Value>,
    deferred: &mut Vec<String>,
) -> Result<Vec<Patch>, ManifestError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(value, "patchesJson6902")?.iter().enumerate() {
        let field = format!("patchesJson6902[{i}]");
        let map = as_entry(entry, &field, &["patch", "path", "target", "options"])?;
        if !is_empty(map.get("path")) {
            deferred.push(format!("{field}.path"));
            continue;
        }
        let text = string_field(map, "patch", &field)?.ok_or_else(|| {
            ManifestError::override_field(format!("{field}.patch"), "is required")
        })?;
        let target = map
            .get("target")
            .map(|t| Target::parse(t, &format!("{field}.target")))
            .transpose()?
            .ok_or_else(|| {
                ManifestError::override_field(format!("{field}.target"), "is required")
            })?;
        let ops = parse_yaml_stream(&text, &format!("kustomization_override {field}.patch"))?
            .into_iter()
            .next()
            .unwrap_or_default();
        let patch =
            serde_json::from_value(ops).map_err(|source| ManifestError::JsonPatchParse {
                field: format!("{field}.patch"),
                source,
            })?;
        out.push(Patch {
            field,
            body: PatchBody::Json(patch),
            target: Some(target),
        });
    }
    Ok(out)
}

fn parse_labels(
    value: Option<&Value>,
    deferred: &mut Vec<String>,
) -> Result<Vec<LabelSet>, ManifestError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(value, "labels")?.iter().enumerate() {
        let field = format!("labels[{i}]");
        let map = as_entry(
            entry,
            &field,
            &["pairs", "includeSelectors", "includeTemplates", "fields"],
        )?;
        if !is_empty(map.get("fields")) {
            deferred.push(format!("{field}.fields"));
        }
        out.push(LabelSet {
            pairs: string_map(map.get("pairs"), &format!("{field}.pairs"))?,
            include_selectors: bool_field(map, "includeSelectors", &field)?,
            include_templates: bool_field(map, "includeTemplates", &field)?,
        });
    }
    Ok(out)
}

fn parse_images(value: Option<&Value>) -> Result<Vec<ImageRule>, ManifestError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(value, "images")?.iter().enumerate() {
        let field = format!("images[{i}]");
        let map = as_entry(
            entry,
            &field,
            &["name", "newName", "newTag", "digest", "tagSuffix"],
        )?;
        let name = string_field(map, "name", &field)?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ManifestError::override_field(format!("{field}.name"), "is required"))?;
        // The name is a regular expression in kustomize too (not escaped).
        let pattern = regex::Regex::new(&format!(
            "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{{}}-]*)?$"
        ))
        .map_err(|source| ManifestError::TargetRegex {
            field: format!("{field}.name"),
            source: Box::new(source),
        })?;
        out.push(ImageRule {
            pattern,
            new_name: string_field(map, "newName", &field)?.filter(|s| !s.is_empty()),
            new_tag: string_field(map, "newTag", &field)?.filter(|s| !s.is_empty()),
            digest: string_field(map, "digest", &field)?.filter(|s| !s.is_empty()),
            tag_suffix: string_field(map, "tagSuffix", &field)?.filter(|s| !s.is_empty()),
        });
    }
    Ok(out)
}

fn parse_replicas(value: Option<&Value>) -> Result<Vec<ReplicaRule>, ManifestError> {
    let mut out = Vec::new();
    for (i, entry) in as_list(value, "replicas")?.iter().enumerate() {
        let field = format!("replicas[{i}]");
        let map = as_entry(entry, &field, &["name", "count"])?;
        let name = string_field(map, "name", &field)?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ManifestError::override_field(format!("{field}.name"), "is required"))?;
        let count = match map.get("count") {
            None | Some(Value::Null) => 0,
            Some(v) => v.as_i64().filter(|c| *c >= 0).ok_or_else(|| {
                ManifestError::override_field(
                    format!("{field}.count"),
                    "must be a whole number, 0 or more",
                )
            })?,
        };
        out.push(ReplicaRule { name, count });
    }
    Ok(out)
}
