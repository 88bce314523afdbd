//! Every core error turned into a Terraform diagnostic, in one place, so the wording
//! can be reviewed together.

use flux_core::cluster::ClusterError;
use flux_core::git::GitError;
use flux_core::manifests::ManifestError;
use flux_core::objects::{FieldError, FieldPath, ObjectError, PathSegment};
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

/// A git failure as a diagnostic with `summary`; an invalid setting is located at
/// its attribute under `git`.
pub fn git_error(summary: &str, e: &GitError) -> Diagnostic {
    let d = Diagnostic::from_error(summary, e);
    match e {
        GitError::Invalid { field, .. } => {
            // Core names the signing key by its own field; the setting is ssh_signing_key.
            let attr = match *field {
                "signing.ssh_private_key" => "ssh_signing_key",
                other => other,
            };
            d.at(AttributePath::attr("git").at_attr(attr))
        }
        _ => d,
    }
}

/// A cluster failure as a diagnostic with `summary`, the error chain as its detail.
pub fn cluster_error(summary: &str, e: &ClusterError) -> Diagnostic {
    Diagnostic::from_error(summary, e)
}

/// An error of core's object operations: invalid fields each at their attribute,
/// anything else under `summary`.
pub fn object_error(summary: &str, e: &ObjectError) -> Diagnostics {
    let mut diags = Diagnostics::new();
    match e {
        ObjectError::Invalid { errors, .. } => field_errors(errors, &mut diags),
        _ => diags.push(Diagnostic::from_error(summary, e)),
    }
    diags
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
