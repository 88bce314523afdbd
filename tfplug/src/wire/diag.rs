//! Diagnostics on the wire.

use super::path::attribute_path;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::proto::tfplugin6 as pb;

/// The protocol form of `diags`, in order.
pub(crate) fn diagnostics(diags: &Diagnostics) -> Vec<pb::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: severity(d.severity) as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().map(attribute_path),
    }
}

fn severity(severity: Severity) -> pb::diagnostic::Severity {
    match severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::AttributePath;

    #[test]
    fn diagnostic_carries_severity_text_and_path() {
        let mut diags = Diagnostics::new();
        diags.attribute_error(AttributePath::attr("git").at_attr("url"), "Bad", "x");
        diags.warning("Careful", "y");
        let wire = diagnostics(&diags);
        assert_eq!(wire.len(), 2);
        assert_eq!(wire[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(
            (wire[0].summary.as_str(), wire[0].detail.as_str()),
            ("Bad", "x")
        );
        assert_eq!(wire[0].attribute.as_ref().map(|a| a.steps.len()), Some(2));
        assert_eq!(wire[1].severity, pb::diagnostic::Severity::Warning as i32);
        assert_eq!(wire[1].attribute, None);
    }
}
