//! The repository files a `kustomization_override` reads, checked before the apply
//! commits anything: kustomize-controller builds such a kustomization from git, and a
//! missing file would only show as a sync failure after Flux is installed.

use flux_core::manifests::{local_references, Expect, LocalReference, KUSTOMIZATION_FILE_NAMES};
use tfplug::{AttributePath, Diagnostic};

use super::operations::Bootstrap;

impl Bootstrap {
    /// Fails, at `kustomization_override`, when a file or directory it names is not at
    /// the branch tip.
    pub async fn check_override_references(&self) -> Result<(), Diagnostic> {
        let Some(text) = &self.model.kustomization_override else {
            return Ok(());
        };
        let invalid = |detail: String| {
            Diagnostic::error("Invalid Kustomization Override", detail)
                .at(AttributePath::attr("kustomization_override"))
        };
        let references = local_references(text, &self.model.manifests_dir())
            .map_err(|e| invalid(format!("{e}.")))?;
        if references.is_empty() {
            return Ok(());
        }
        let paths: Vec<String> = references.iter().flat_map(candidates).collect();
        let seen = self.read_git(paths).await?;
        let present = |path: &str| seen.files.get(path).is_some_and(Option::is_some);
        for reference in &references {
            if !candidates(reference).iter().any(|p| present(p)) {
                return Err(invalid(missing(reference, self.git.branch())));
            }
        }
        Ok(())
    }
}

/// The paths whose presence satisfies the reference.
fn candidates(reference: &LocalReference) -> Vec<String> {
    let in_dir = || {
        KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|name| format!("{}/{name}", reference.path))
    };
    match reference.expect {
        Expect::File => vec![reference.path.clone()],
        Expect::Kustomization => in_dir().collect(),
        Expect::FileOrKustomization => std::iter::once(reference.path.clone())
            .chain(in_dir())
            .collect(),
    }
}

fn missing(reference: &LocalReference, branch: &str) -> String {
    let what = match reference.expect {
        Expect::File => "no such file",
        Expect::Kustomization => "no directory with a kustomization.yaml",
        Expect::FileOrKustomization => "neither a file nor a directory with a kustomization.yaml",
    };
    format!(
        "{} names {}: the branch {branch} has {what} there. kustomize-controller builds this kustomization from git, so commit it first.",
        reference.field, reference.path
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_may_be_a_file_or_a_kustomization_directory() {
        let reference = LocalReference {
            field: "resources[2]".into(),
            path: "c/flux-system/extra".into(),
            expect: Expect::FileOrKustomization,
        };
        assert_eq!(
            candidates(&reference),
            [
                "c/flux-system/extra",
                "c/flux-system/extra/kustomization.yaml",
                "c/flux-system/extra/kustomization.yml",
                "c/flux-system/extra/Kustomization"
            ]
        );
        assert_eq!(
            missing(&reference, "main"),
            "resources[2] names c/flux-system/extra: the branch main has neither a file nor a directory with a kustomization.yaml there. kustomize-controller builds this kustomization from git, so commit it first."
        );
    }
}
