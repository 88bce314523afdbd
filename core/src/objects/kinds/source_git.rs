//! `source.toolkit.fluxcd.io/v1` GitRepository: a git repository the source controller fetches.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    duration, flag, local_ref, name_of, never_static, no_derived_defaults, SUSPEND,
};
use super::KindDef;
use crate::objects::error::{FieldError, FieldPath};
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Name, OneOf, Prefix};
use DefaultValue::Str;
use FieldType::{Object, ObjectList, StringList};

/// A git reference, also what an ImageUpdateAutomation checks out.
pub(super) const GIT_REF: &[FieldDef] = &[
    FieldDef::string(field!("branch"), "Git branch to check out."),
    FieldDef::string(
        field!("tag"),
        "Git tag to check out; takes precedence over branch.",
    ),
    FieldDef::string(
        field!("semver"),
        "Semver range of tags to check out; takes precedence over tag.",
    )
    .check(Check::SemverRange),
    FieldDef::string(
        field!("name"),
        "Full git reference (`refs/heads/main`, `refs/pull/1/head`); takes precedence over semver.",
    ),
    FieldDef::string(
        field!("commit"),
        "Commit SHA to check out; takes precedence over everything else.",
    ),
];

const GIT_VERIFY: &[FieldDef] = &[
    FieldDef::string(
        field!("mode"),
        "What to verify: `HEAD`, `Tag` or `TagAndHEAD`.",
    )
    .default(Str("HEAD"))
    .check(OneOf(&["head", "HEAD", "Tag", "TagAndHEAD"])),
    local_ref(
        field!("secretRef"),
        "Secret holding the trusted public keys.",
    )
    .required(),
];

const GIT_INCLUDE: &[FieldDef] = &[
    local_ref(field!("repository"), "GitRepository to include.").required(),
    FieldDef::string(
        field!("fromPath"),
        "Path to copy from the included repository.",
    ),
    FieldDef::string(
        field!("toPath"),
        "Path to copy to in this repository's artifact.",
    ),
];

const GIT_REPOSITORY_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(field!("url"), "Repository URL: `http://`, `https://` or `ssh://`.")
        .required()
        .check(Prefix(&["http://", "https://", "ssh://"])),
    duration(field!("interval"), "How often the repository is checked for changes.")
        .default(Str("1m0s"))
        .written(),
    duration(field!("timeout"), "Timeout of git operations.").default(Str("60s")),
    FieldDef::typed(field!("ref"), Object(GIT_REF), "Git reference to check out; the controller uses branch `master` when absent."),
    local_ref(field!("secretRef"), "Secret with the credentials (`username`/`password`, `bearerToken`, or `identity`/`known_hosts`)."),
    FieldDef::string(field!("provider"), "Authentication provider. Flux's `provider`, renamed because `provider` is a reserved name.")
        .default(Str("generic"))
        .check(OneOf(&["generic", "aws", "azure", "github"])),
    FieldDef::string(field!("serviceAccountName"), "ServiceAccount for workload identity (providers `aws` and `azure`).")
        .check(Name),
    local_ref(field!("proxySecretRef"), "Secret with the proxy settings."),
    FieldDef::string(field!("ignore"), "Paths to leave out of the artifact, in `.sourceignore` syntax."),
    SUSPEND,
    flag(field!("recurseSubmodules"), "Whether submodules are cloned too."),
    FieldDef::typed(field!("include"), ObjectList(GIT_INCLUDE), "Other GitRepositories whose content is copied into this one's artifact."),
    FieldDef::typed(field!("sparseCheckout"), StringList, "Directories to check out; everything when empty."),
    FieldDef::typed(field!("verify"), Object(GIT_VERIFY), "OpenPGP signature verification of commits or tags."),
]);

fn git_repository_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let provider = spec
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("generic");
    if spec.contains_key("serviceAccountName") && !matches!(provider, "aws" | "azure") {
        errors.push(FieldError::new(
            FieldPath::field(name_of(GIT_REPOSITORY_FIELDS, "serviceAccountName")),
            "only allowed with provider aws or azure",
        ));
    }
    errors
}

/// `source.toolkit.fluxcd.io/v1` GitRepository.
pub static GIT_REPOSITORY: KindDef = KindDef {
    api_version: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    fields: GIT_REPOSITORY_FIELDS,
    rules: git_repository_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn repo() -> Value {
        json!({"url": "https://github.com/org/repo.git"})
    }

    #[test]
    fn valid_spec_passes() {
        let mut spec = repo();
        spec["provider"] = json!("azure");
        spec["serviceAccountName"] = json!("flux");
        assert!(error_paths(&GIT_REPOSITORY, spec).is_empty());
    }

    #[test]
    fn url_is_required_and_needs_a_git_scheme() {
        assert_eq!(error_paths(&GIT_REPOSITORY, json!({})), ["url"]);
        assert_eq!(
            error_paths(&GIT_REPOSITORY, json!({"url": "git@github.com:org/repo"})),
            ["url"]
        );
    }

    #[test]
    fn service_account_needs_a_cloud_provider() {
        let mut spec = repo();
        spec["serviceAccountName"] = json!("flux");
        assert_eq!(
            error_texts(&GIT_REPOSITORY, spec),
            ["service_account_name: only allowed with provider aws or azure"]
        );
    }
}
