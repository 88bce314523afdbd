//! Import of a Flux object resource: the state an import ID names, which the
//! read that follows fills in from the object.

use flux_core::objects::{self, KindDef};
use tfplug::{Diagnostic, Schema, Value};

use super::model::{join, normalize_directory, Delivery};
use super::schema::COMMON;

/// Private state of an imported resource: its first read takes every field from
/// the object.
pub const IMPORTED: &[u8] = b"imported";

/// The state of an import ID: `<namespace>/<name>` (cluster delivery) or
/// `<namespace>/<name>@<git directory>` (git delivery). The common attributes
/// start at their schema defaults; the spec fields are left to the read.
pub fn import_state(
    kind: &'static KindDef,
    schema: &Schema,
    id: &str,
) -> Result<Value, Diagnostic> {
    let bad = || {
        Diagnostic::error(
            "Invalid Import ID",
            format!(
                "Expected <namespace>/<name> (cluster delivery) or <namespace>/<name>@<git directory> (git delivery), got {id:?}."
            ),
        )
    };
    let (object, directory) = match id.split_once('@') {
        Some((o, d)) => (o, Some(normalize_directory(d))),
        None => (id, None),
    };
    let (namespace, name) = object.split_once('/').ok_or_else(bad)?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return Err(bad());
    }
    let mut state = Value::object(schema.block.attributes.iter().map(|a| {
        let common = COMMON.contains(&a.name.as_str());
        let start = a.default.clone().filter(|_| common);
        (a.name.clone(), start.unwrap_or(Value::Null))
    }));
    state.set_attr("id", Value::from(format!("{namespace}/{name}")));
    state.set_attr("namespace", Value::from(namespace));
    state.set_attr("name", Value::from(name));
    let delivery = match directory {
        Some(_) => Delivery::Git,
        None => Delivery::Cluster,
    };
    state.set_attr("delivery", Value::from(delivery.as_str()));
    // As the plan has it for an unset `wait`.
    state.set_attr("wait", Value::from(delivery == Delivery::Cluster));
    if let Some(dir) = directory {
        state.set_attr(
            "git_file",
            Value::from(join(&dir, &objects::file_name(kind, namespace, name))),
        );
        state.set_attr("git_directory", Value::from(dir));
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::objects::kinds::KUSTOMIZATION;

    #[test]
    fn import_state_id_forms_choose_the_delivery() {
        let schema = super::super::schema::schema(&KUSTOMIZATION, "", &[], None);
        let git = import_state(&KUSTOMIZATION, &schema, "apps/web@./clusters/a/objects/").unwrap();
        assert_eq!(git.attr("delivery").as_str(), Some("git"));
        assert_eq!(git.attr("wait").as_bool(), Some(false));
        assert_eq!(
            git.attr("git_file").as_str(),
            Some("clusters/a/objects/kustomization-apps-web.yaml")
        );
        let cluster = import_state(&KUSTOMIZATION, &schema, "apps/web").unwrap();
        assert_eq!(cluster.attr("delivery").as_str(), Some("cluster"));
        assert_eq!(cluster.attr("wait").as_bool(), Some(true));
        assert!(cluster.attr("git_file").is_null());
        assert!(import_state(&KUSTOMIZATION, &schema, "web").is_err());
    }

    #[test]
    fn import_state_starts_from_the_schema_defaults_of_the_common_attributes_only() {
        let mut defaulted_fields = 0;
        for kind in flux_core::objects::kinds::all() {
            let schema = super::super::schema::schema(kind, "", &[], None);
            let state = import_state(kind, &schema, "apps/web").unwrap();
            assert_eq!(state.attr("wait_timeout").as_str(), Some("5m"));
            assert_eq!(state.attr("namespace").as_str(), Some("apps"));
            for field in kind.fields.iter().filter(|f| f.default.is_some()) {
                assert!(state.attr(field.name).is_null(), "{}", field.name);
                defaulted_fields += 1;
            }
        }
        assert!(defaulted_fields > 0);
    }
}
