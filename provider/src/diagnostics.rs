//! Every core error turned into a Terraform diagnostic, in one place, so the wording
//! can be reviewed together.

use flux_core::manifests::ManifestError;
use tfplug::{AttributePath, Diagnostic, Diagnostics};

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
