//! Assertions on `terraform plan`, and the clean-up of a failed test's resources.

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
