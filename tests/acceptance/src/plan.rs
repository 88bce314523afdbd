//! Assertions on `terraform plan`, and the clean-up of a failed test's resources.
#![expect(clippy::panic, reason = "an assertion helper fails the calling test")]

use crate::terraform::Workdir;

/// Asserts that `terraform plan` shows no changes.
pub fn assert_plan_empty(wd: &Workdir) {
    let plan = wd.plan_detailed();
    assert_eq!(plan.code, 0, "second plan is not empty:\n{}", plan.report());
}

/// Asserts that `terraform plan` shows changes and names each of `expected`; returns
/// the plan's output.
pub fn assert_plan_shows(wd: &Workdir, expected: &[&str]) -> String {
    let plan = wd.plan_detailed();
    let text = plan.all();
    assert_eq!(plan.code, 2, "no changes planned:\n{text}");
    for fragment in expected {
        assert!(
            text.contains(fragment),
            "the plan does not show {fragment:?}:\n{text}"
        );
    }
    text
}

/// Runs `terraform destroy` in its work directory when dropped while the test panics,
/// so that a failed test leaves no Flux behind for the next one on the shared cluster.
pub struct DestroyOnPanic<'a>(pub &'a Workdir);

impl Drop for DestroyOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.destroy();
        }
    }
}

/// Asserts that the failed command's output `text` has, for each `(message,
/// located_at)`, an error diagnostic containing `message` that shows the configuration
/// line `located_at` (Terraform shows the line of the attribute a diagnostic is
/// located at; the resource block's first line would mean it was not located).
pub fn assert_diagnostics_located(text: &str, expected: &[(&str, &str)]) {
    let diagnostics: Vec<&str> = text.split("Error: ").skip(1).collect();
    for (message, located_at) in expected {
        let Some(diagnostic) = diagnostics.iter().find(|d| d.contains(message)) else {
            panic!("missing {message:?} in:\n{text}");
        };
        assert!(
            diagnostic.contains(located_at),
            "{message:?} is not located at `{located_at}`:\n{diagnostic}"
        );
    }
}
