//! `image.toolkit.fluxcd.io/v1` ImageUpdateAutomation: image updates committed to git.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{duration, local_ref, never_static, no_derived_defaults, path_of, SUSPEND};
use super::source_git::GIT_REF;
use super::KindDef;
use crate::objects::error::FieldError;
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::{Label, Name, OneOf};
use DefaultValue::Str;
use FieldType::{Object, StringMap};

const IUA_SOURCE_REF: &[FieldDef] = &[
    FieldDef::string(field!("kind"), "Only `GitRepository`.")
        .default(Str("GitRepository"))
        .written()
        .check(OneOf(&["GitRepository"])),
    FieldDef::string(field!("name"), "Name of the GitRepository.")
        .required()
        .check(Name),
    FieldDef::string(field!("namespace"), "Namespace of the GitRepository.").check(Label),
];

const CHECKOUT: &[FieldDef] = &[FieldDef::typed(
    field!("ref"),
    Object(GIT_REF),
    "Reference to check out; the GitRepository's when absent.",
)];

const COMMIT_AUTHOR: &[FieldDef] = &[
    FieldDef::string(field!("name"), "Author name."),
    FieldDef::string(field!("email"), "Author e-mail.").required(),
];

const SIGNING_KEY: &[FieldDef] = &[
    local_ref(
        field!("secretRef"),
        "Secret with the key (`git.asc` for gpg, `identity` for ssh).",
    )
    .required(),
    FieldDef::string(field!("type"), "`gpg` or `ssh`.")
        .default(Str("gpg"))
        .check(OneOf(&["gpg", "ssh"])),
];

const COMMIT: &[FieldDef] = &[
    FieldDef::typed(field!("author"), Object(COMMIT_AUTHOR), "Commit author.").required(),
    FieldDef::typed(
        field!("signingKey"),
        Object(SIGNING_KEY),
        "Commit signing key.",
    ),
    FieldDef::string(
        field!("messageTemplate"),
        "Go template of the commit message (use `Changed`, not `Updated`).",
    ),
];

const PUSH: &[FieldDef] = &[
    FieldDef::string(
        field!("branch"),
        "Branch to push to; the checkout branch when absent.",
    ),
    FieldDef::string(
        field!("refspec"),
        "Refspec to push (no deletes or forced pushes).",
    ),
    FieldDef::typed(field!("options"), StringMap, "Push options."),
];

const IUA_GIT: &[FieldDef] = &[
    FieldDef::typed(field!("checkout"), Object(CHECKOUT), "What is checked out."),
    FieldDef::typed(
        field!("commit"),
        Object(COMMIT),
        "How changes are committed.",
    )
    .required(),
    FieldDef::typed(field!("push"), Object(PUSH), "Where commits are pushed."),
];

const LABEL_SELECTOR: &[FieldDef] = &[FieldDef::typed(
    field!("matchLabels"),
    StringMap,
    "Labels the ImagePolicies must have.",
)];

const UPDATE: &[FieldDef] = &[
    FieldDef::string(field!("strategy"), "Only `Setters`.")
        .default(Str("Setters"))
        .written()
        .check(OneOf(&["Setters"])),
    FieldDef::string(
        field!("path"),
        "Directory updated; the repository root when absent.",
    ),
];

const IMAGE_UPDATE_AUTOMATION_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::typed(
        field!("sourceRef"),
        Object(IUA_SOURCE_REF),
        "The GitRepository to update.",
    )
    .required(),
    FieldDef::typed(
        field!("git"),
        Object(IUA_GIT),
        "Checkout, commit and push settings.",
    )
    .required(),
    duration(field!("interval"), "How often the automation runs.")
        .default(Str("30m0s"))
        .written(),
    FieldDef::typed(
        field!("policySelector"),
        Object(LABEL_SELECTOR),
        "ImagePolicies used; all of the namespace when absent.",
    ),
    FieldDef::typed(
        field!("update"),
        Object(UPDATE),
        "How manifests are updated.",
    ),
    SUSPEND,
]);

fn image_update_automation_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    let refspec = spec
        .get("git")
        .and_then(|g| g.get("push"))
        .and_then(|p| p.get("refspec"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if refspec.starts_with('+') || refspec.starts_with(':') {
        return vec![FieldError::new(
            path_of(IMAGE_UPDATE_AUTOMATION_FIELDS, &["git", "push", "refspec"]),
            "must not delete or force-push (no leading + or :)",
        )];
    }
    Vec::new()
}

/// `image.toolkit.fluxcd.io/v1` ImageUpdateAutomation.
pub static IMAGE_UPDATE_AUTOMATION: KindDef = KindDef {
    api_version: "image.toolkit.fluxcd.io/v1",
    kind: "ImageUpdateAutomation",
    fields: IMAGE_UPDATE_AUTOMATION_FIELDS,
    rules: image_update_automation_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn automation(push: Value) -> Value {
        json!({"sourceRef": {"name": "fleet"},
            "git": {"commit": {"author": {"email": "bot@example.com"}}, "push": push}})
    }

    #[test]
    fn valid_spec_passes() {
        let spec = automation(json!({"refspec": "refs/heads/main:refs/heads/auto"}));
        assert!(error_paths(&IMAGE_UPDATE_AUTOMATION, spec).is_empty());
    }

    #[test]
    fn source_ref_git_and_author_email_are_required() {
        assert_eq!(
            error_paths(&IMAGE_UPDATE_AUTOMATION, json!({})),
            ["source_ref", "git"]
        );
        let spec =
            json!({"sourceRef": {"name": "fleet"}, "git": {"commit": {"author": {"name": "bot"}}}});
        assert_eq!(
            error_paths(&IMAGE_UPDATE_AUTOMATION, spec),
            ["git.commit.author.email"]
        );
    }

    #[test]
    fn refspec_must_not_force_or_delete() {
        let reason = "git.push.refspec: must not delete or force-push (no leading + or :)";
        for refspec in ["+refs/heads/main", ":refs/heads/main"] {
            assert_eq!(
                error_texts(
                    &IMAGE_UPDATE_AUTOMATION,
                    automation(json!({"refspec": refspec}))
                ),
                [reason],
                "{refspec}"
            );
        }
    }
}
