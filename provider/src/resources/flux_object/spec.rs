//! The object a resource value describes: its spec read through the kind's field
//! table, checked by core, every error located at its attribute.

use flux_core::objects::{self, KindDef, ObjectSpec};
use serde_json::{Map, Value as Json};
use tfplug::{AttributePath, Diagnostic, Diagnostics, Value};

use super::convert;
use super::model::ObjectModel;
use crate::diagnostics::{field_errors, object_error};

/// The spec JSON of a known value's fields.
pub fn spec_json(kind: &'static KindDef, value: &Value) -> Result<Map<String, Json>, Diagnostics> {
    let mut errors = Vec::new();
    let spec = convert::spec_from_value(kind.fields, value, &AttributePath::root(), &mut errors);
    if errors.is_empty() {
        return Ok(spec);
    }
    let mut diags = Diagnostics::new();
    for (path, reason) in errors {
        diags.push(Diagnostic::error("Invalid Attribute Value", reason).at(path));
    }
    Err(diags)
}

/// The validated object of a known value.
pub fn object_spec(
    kind: &'static KindDef,
    model: &ObjectModel,
    value: &Value,
) -> Result<ObjectSpec, Diagnostics> {
    let spec = spec_json(kind, value)?;
    ObjectSpec::new(kind, &model.namespace, &model.name, spec)
        .map_err(|e| object_error("Invalid Object", &e))
}

/// Checks what the attribute validators cannot: rules across fields, and
/// `secret_data` without `secret_ref`.
pub fn validate(kind: &'static KindDef, config: &Value, diags: &mut Diagnostics) {
    if !config.attr("secret_data").is_null() && config.attr("secret_ref").is_null() {
        diags.push(
            Diagnostic::error(
                "Invalid Attribute Combination",
                "secret_data is written to the Secret named by secret_ref: set secret_ref too.",
            )
            .at(AttributePath::attr("secret_data")),
        );
    }
    if !config.is_wholly_known() {
        return;
    }
    let mut errors = Vec::new();
    let spec = convert::spec_from_value(kind.fields, config, &AttributePath::root(), &mut errors);
    if errors.is_empty() {
        field_errors(&objects::check_rules(kind, &spec), diags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read relies on this to report a state it cannot convert.
    #[test]
    fn spec_json_reports_conversion_errors_at_their_attribute() {
        let value = Value::object([("values", Value::from("- a\n- b\n"))]);
        let diags = spec_json(&flux_core::objects::kinds::HELM_RELEASE, &value).unwrap_err();
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, Some(AttributePath::attr("values")));
    }
}
