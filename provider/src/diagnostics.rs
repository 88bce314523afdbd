//! Every core error turned into a Terraform diagnostic, in one place, so the wording
//! can be reviewed together.

use flux_core::manifests::ManifestError;
use flux_core::objects::{FieldError, FieldPath, PathSegment};
use tfplug::{AttributePath, Diagnostic, Diagnostics};

/// Invalid fields of a Flux object, each located at its attribute: a field's name
/// is its attribute's name, so the path maps step by step.
pub fn field_errors(errors: &[FieldError], diags: &mut Diagnostics) {
    for error in errors {
        diags.push(
            Diagnostic::error(
                "Invalid Attribute Value",
                format!("{}: {}.", error.path, error.reason),
            )
            .at(attribute_path(&error.path)),
        );
    }
}

/// A Flux object's field path as the attribute path of the resource.
fn attribute_path(path: &FieldPath) -> AttributePath {
    path.segments()
        .iter()
        .fold(AttributePath::root(), |at, segment| match segment {
            PathSegment::Field(name) => at.at_attr(*name),
            PathSegment::Index(index) => at.at_index(*index),
        })
}

/// Validation errors from the manifest options, each located at the attribute of the
/// option it names. `rename` maps option names to attribute names where they differ.
pub fn manifest_errors(
    errors: Vec<ManifestError>,
    rename: &[(&str, &str)],
    diags: &mut Diagnostics,
) {
    for error in errors {
        diags.push(manifest_error(&error, rename));
    }
}

/// One manifest error as a diagnostic.
pub fn manifest_error(error: &ManifestError, rename: &[(&str, &str)]) -> Diagnostic {
    let located = error.option().map(|option| {
        let attribute = rename
            .iter()
            .find(|(from, _)| *from == option)
            .map_or(option, |(_, to)| *to);
        AttributePath::attr(attribute)
    });
    let summary = if error.is_invalid_input() || located.is_some() {
        "Invalid Attribute Value"
    } else if error.is_retryable() {
        "Flux Manifests Unavailable"
    } else {
        "Invalid Flux Manifests"
    };
    let diagnostic = Diagnostic::from_error(summary, error);
    match located {
        Some(path) => diagnostic.at(path),
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_is_located_at_its_attribute() {
        let path = FieldPath::field("health_checks")
            .at_index(0)
            .at_field("kind");
        let mut diags = Diagnostics::new();
        field_errors(&[FieldError::new(path, "is required")], &mut diags);
        let diagnostic = diags.iter().next().unwrap();
        assert_eq!(
            diagnostic.path,
            Some(
                AttributePath::attr("health_checks")
                    .at_index(0)
                    .at_attr("kind")
            )
        );
        assert_eq!(diagnostic.detail, "health_checks[0].kind: is required.");
    }
}
