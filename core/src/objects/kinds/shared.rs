//! Field constructors, fields and rules that several kinds share.

use serde_json::{Map, Value};

use super::naming::field;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldName, FieldType};

pub(super) fn no_rules(_: &Map<String, Value>) -> Vec<FieldError> {
    Vec::new()
}

pub(super) fn never_static(_: &Map<String, Value>) -> bool {
    false
}

pub(super) fn always_static(_: &Map<String, Value>) -> bool {
    true
}

pub(super) fn no_derived_defaults(_: &mut Map<String, Value>) {}

/// An optional Flux duration.
pub(super) const fn duration(name: FieldName, doc: &'static str) -> FieldDef {
    FieldDef::string(name, doc).check(Check::Duration)
}

/// An optional boolean, false by default.
pub(super) const fn flag(name: FieldName, doc: &'static str) -> FieldDef {
    FieldDef::typed(name, FieldType::Bool, doc).default(DefaultValue::Bool(false))
}

/// An optional reference to an object of the same namespace.
pub(super) const fn local_ref(name: FieldName, doc: &'static str) -> FieldDef {
    FieldDef::typed(name, FieldType::LocalRef, doc).check(Check::Name)
}

/// The name of the field at `key` in `fields`; the key itself when the table has no
/// such field (the table tests of each kind keep that from happening).
pub(super) fn name_of(fields: &'static [FieldDef], key: &'static str) -> &'static str {
    fields.iter().find(|f| f.key == key).map_or(key, |f| f.name)
}

/// The table nested under the field at `key` in `fields`.
pub(super) fn nested_of(fields: &'static [FieldDef], key: &str) -> &'static [FieldDef] {
    match fields.iter().find(|f| f.key == key).map(|f| f.ty) {
        Some(FieldType::Object(nested) | FieldType::ObjectList(nested)) => nested,
        _ => &[],
    }
}

/// The path of the field reached through `keys` (Flux's keys, outermost first).
pub(super) fn path_of(fields: &'static [FieldDef], keys: &[&'static str]) -> FieldPath {
    let mut path = FieldPath::default();
    let mut table = fields;
    for key in keys {
        path = path.at_field(name_of(table, key));
        table = nested_of(table, key);
    }
    path
}

/// The objects a kustomize patch applies to.
pub(super) const PATCH_TARGET: &[FieldDef] = &[
    FieldDef::string(field!("group"), "API group."),
    FieldDef::string(field!("version"), "API version."),
    FieldDef::string(field!("kind"), "Kind."),
    FieldDef::string(field!("name"), "Name (a regular expression)."),
    FieldDef::string(field!("namespace"), "Namespace (a regular expression)."),
    FieldDef::string(field!("labelSelector"), "Label selector."),
    FieldDef::string(field!("annotationSelector"), "Annotation selector."),
];

/// A kustomize patch and its target.
pub(super) const PATCH: &[FieldDef] = &[
    FieldDef::string(
        field!("patch"),
        "A strategic merge patch or a JSON 6902 patch, in YAML.",
    )
    .required(),
    FieldDef::typed(
        field!("target"),
        FieldType::Object(PATCH_TARGET),
        "The objects the patch applies to.",
    ),
];

/// Labels and annotations added to every object applied.
pub(super) const COMMON_METADATA: &[FieldDef] = &[
    FieldDef::typed(
        field!("labels"),
        FieldType::StringMap,
        "Labels added to every object.",
    ),
    FieldDef::typed(
        field!("annotations"),
        FieldType::StringMap,
        "Annotations added to every object.",
    ),
];

pub(super) const SUSPEND: FieldDef = flag(
    field!("suspend"),
    "Tells the controller to suspend reconciliation of this object.",
);

pub(super) const CROSS_NAMESPACE_REF: &[FieldDef] = &[
    FieldDef::string(field!("name"), "Name of the referent.")
        .required()
        .check(Check::Name),
    FieldDef::string(
        field!("namespace"),
        "Namespace of the referent; defaults to the object's own.",
    )
    .check(Check::Label),
];

const EVENT_KINDS: &[&str] = &[
    "Bucket",
    "GitRepository",
    "Kustomization",
    "HelmRelease",
    "HelmChart",
    "HelmRepository",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
    "OCIRepository",
    "ArtifactGenerator",
    "ExternalArtifact",
];

/// Objects an Alert listens to or a Receiver reconciles.
pub(super) const EVENT_REF: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "Kind of the objects.")
        .required()
        .check(Check::OneOf(EVENT_KINDS)),
    FieldDef::string(
        field!("name"),
        "Name of the object; `*` selects every object.",
    )
    .required()
    .check(Check::MaxLen(253)),
    FieldDef::string(
        field!("namespace"),
        "Namespace; `*` (with name `*`) means all namespaces.",
    )
    .check(Check::MaxLen(253)),
    FieldDef::string(field!("apiVersion"), "API version of the objects."),
    FieldDef::typed(
        field!("matchLabels"),
        FieldType::StringMap,
        "Labels the objects must have (with name `*`).",
    ),
];

/// The wildcard rules of the [`EVENT_REF`] list at `key` of a kind with `fields`.
pub(super) fn event_ref_rules(
    fields: &'static [FieldDef],
    spec: &Map<String, Value>,
    key: &'static str,
) -> Vec<FieldError> {
    let list = FieldPath::field(name_of(fields, key));
    let mut errors = Vec::new();
    for (i, item) in spec
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let all_names = item.get("name").and_then(Value::as_str) == Some("*");
        if item.get("namespace").and_then(Value::as_str) == Some("*") && !all_names {
            errors.push(FieldError::new(
                list.clone()
                    .at_index(i)
                    .at_field(name_of(EVENT_REF, "namespace")),
                "* requires name *",
            ));
        }
        if item.get("matchLabels").is_some() && !all_names {
            errors.push(FieldError::new(
                list.clone()
                    .at_index(i)
                    .at_field(name_of(EVENT_REF, "matchLabels")),
                "requires name *",
            ));
        }
    }
    errors
}

#[cfg(test)]
pub(super) mod testing {
    //! Helpers for the kinds' rule tests.

    use serde_json::Value;

    use crate::objects::{KindDef, ObjectError, ObjectSpec};

    /// The paths of every error `spec` gets, as text; empty when it is valid.
    pub fn error_paths(kind: &'static KindDef, spec: Value) -> Vec<String> {
        match ObjectSpec::new(
            kind,
            "flux-system",
            kind.only_name.unwrap_or("x"),
            spec.as_object().cloned().unwrap_or_default(),
        ) {
            Ok(_) => Vec::new(),
            Err(ObjectError::Invalid { errors, .. }) => {
                errors.iter().map(|e| e.path.to_string()).collect()
            }
            Err(e) => vec![e.to_string()],
        }
    }

    /// Every error of `spec`, path and reason, as text.
    pub fn error_texts(kind: &'static KindDef, spec: Value) -> Vec<String> {
        match ObjectSpec::new(
            kind,
            "flux-system",
            kind.only_name.unwrap_or("x"),
            spec.as_object().cloned().unwrap_or_default(),
        ) {
            Ok(_) => Vec::new(),
            Err(ObjectError::Invalid { errors, .. }) => {
                errors.iter().map(ToString::to_string).collect()
            }
            Err(e) => vec![e.to_string()],
        }
    }
}
