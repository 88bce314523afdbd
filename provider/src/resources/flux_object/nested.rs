//! Optional single nested attributes (a kind's optional objects, at any depth) are
//! declared computed as well as optional: Terraform 1.0.3 crashes planning a resource
//! whose configuration leaves a non-computed one out (fixed in 1.0.5), while computed
//! ones are safe. The plan then sets each exactly as configured, so they behave as
//! plain inputs on every Terraform version.

use flux_core::objects::{FieldDef, FieldType};
use tfplug::Value;

/// Whether the field's attribute is an optional object, and so declared computed.
pub fn is_computed_object(field: &FieldDef) -> bool {
    matches!(field.ty, FieldType::Object(_)) && !field.required && field.default.is_none()
}

/// Plans every optional object of `fields` as configured: null where the
/// configuration leaves it out, whatever Terraform proposed from the prior state.
pub fn plan_as_configured(fields: &[FieldDef], config: &Value, planned: &mut Value) {
    for field in fields {
        let configured = config.attr(field.name);
        match field.ty {
            FieldType::Object(nested) => {
                if configured.is_null() && is_computed_object(field) {
                    planned.set_attr(field.name, Value::Null);
                } else if let Some(slot) = planned.attr_mut(field.name) {
                    plan_as_configured(nested, configured, slot);
                }
            }
            FieldType::ObjectList(nested) => {
                if let Some(Value::List(items)) = planned.attr_mut(field.name) {
                    for (i, item) in items.iter_mut().enumerate() {
                        let element = configured
                            .as_elements()
                            .and_then(|e| e.get(i))
                            .unwrap_or(&Value::Null);
                        plan_as_configured(nested, element, item);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use flux_core::objects::kinds::FLUX_INSTANCE;

    use super::*;

    fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
        Value::object(entries)
    }

    #[test]
    fn optional_objects_left_out_are_planned_null_whatever_was_proposed() {
        let config = object([
            ("cluster", Value::Null),
            ("sync", object([("kind", Value::from("GitRepository"))])),
        ]);
        let mut planned = object([
            ("cluster", Value::unknown()),
            ("storage", object([("class", Value::from("standard"))])),
            ("sync", object([("kind", Value::from("GitRepository"))])),
        ]);
        plan_as_configured(FLUX_INSTANCE.fields, &config, &mut planned);
        assert!(planned.attr("cluster").is_null());
        assert!(
            planned.attr("storage").is_null(),
            "kept from the prior state"
        );
        assert_eq!(
            planned.attr("sync").attr("kind").as_str(),
            Some("GitRepository")
        );
    }

    #[test]
    fn objects_inside_list_elements_follow_their_element() {
        let patch =
            |target: Value| object([("patch", Value::from("- op: remove")), ("target", target)]);
        let config = object([(
            "kustomize",
            object([("patches", Value::list([patch(Value::Null)]))]),
        )]);
        let mut planned = object([(
            "kustomize",
            object([("patches", Value::list([patch(Value::unknown())]))]),
        )]);
        plan_as_configured(FLUX_INSTANCE.fields, &config, &mut planned);
        let patches = planned.attr("kustomize").attr("patches");
        let first = patches.as_elements().and_then(|e| e.first());
        assert!(
            first.is_some_and(|p| p.attr("target").is_null()),
            "{planned:?}"
        );
    }

    #[test]
    fn required_objects_are_not_computed() {
        let distribution = FLUX_INSTANCE
            .fields
            .iter()
            .find(|f| f.name == "distribution");
        assert!(distribution.is_some_and(|f| !is_computed_object(f)));
        let cluster = FLUX_INSTANCE.fields.iter().find(|f| f.name == "cluster");
        assert!(cluster.is_some_and(is_computed_object));
    }
}
