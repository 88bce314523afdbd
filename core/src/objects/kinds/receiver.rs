//! `notification.toolkit.fluxcd.io/v1` Receiver: a webhook that makes objects reconcile.

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    duration, event_ref_rules, local_ref, never_static, no_derived_defaults, EVENT_REF, SUSPEND,
};
use super::KindDef;
use crate::objects::error::FieldError;
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::OneOf;
use DefaultValue::Str;
use FieldType::{ObjectList, StringList};

const RECEIVER_FIELDS: &[FieldDef] = &spec_fields([
    FieldDef::string(
        field!("type"),
        "Webhook sender type (`generic-oidc` is not supported by this provider yet).",
    )
    .required()
    .check(OneOf(&[
        "generic",
        "generic-hmac",
        "github",
        "gitlab",
        "bitbucket",
        "harbor",
        "dockerhub",
        "quay",
        "gcr",
        "nexus",
        "acr",
        "cdevents",
    ])),
    duration(field!("interval"), "How often the receiver is reconciled.").default(Str("10m0s")),
    FieldDef::typed(
        field!("events"),
        StringList,
        "Event types accepted (`push`, `Push Hook`, ...); all when empty.",
    ),
    FieldDef::typed(
        field!("resources"),
        ObjectList(EVENT_REF),
        "Objects reconciled when a webhook arrives.",
    )
    .required(),
    FieldDef::string(
        field!("resourceFilter"),
        "CEL expression selecting the resources per request.",
    ),
    local_ref(
        field!("secretRef"),
        "Secret with the webhook `token` (gcr also `email` and `audience`).",
    )
    .required(),
    SUSPEND,
]);

fn receiver_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    event_ref_rules(RECEIVER_FIELDS, spec, "resources")
}

/// `notification.toolkit.fluxcd.io/v1` Receiver.
pub static RECEIVER: KindDef = KindDef {
    api_version: "notification.toolkit.fluxcd.io/v1",
    kind: "Receiver",
    fields: RECEIVER_FIELDS,
    rules: receiver_rules,
    is_static: never_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn receiver(resource: Value) -> Value {
        json!({"type": "github", "secretRef": {"name": "token"}, "resources": [resource]})
    }

    #[test]
    fn valid_spec_passes() {
        let spec = receiver(json!({"kind": "GitRepository", "name": "flux-system"}));
        assert!(error_paths(&RECEIVER, spec).is_empty());
    }

    #[test]
    fn resources_and_secret_ref_are_required() {
        assert_eq!(
            error_paths(&RECEIVER, json!({"type": "github"})),
            ["resources", "secret_ref"]
        );
    }

    #[test]
    fn wildcard_namespace_needs_wildcard_name() {
        let spec = receiver(json!({"kind": "GitRepository", "name": "x", "namespace": "*"}));
        assert_eq!(
            error_texts(&RECEIVER, spec),
            ["resources[0].namespace: * requires name *"]
        );
    }

    #[test]
    fn receivers_are_reconciled() {
        assert!(!(RECEIVER.is_static)(&Map::new()));
    }
}
