//! `notification.toolkit.fluxcd.io/v1beta3` Alert: which events go to a Provider (static: no status).

use serde_json::{Map, Value};

use super::naming::{field, spec_fields};
use super::shared::{
    always_static, event_ref_rules, local_ref, no_derived_defaults, EVENT_REF, SUSPEND,
};
use super::KindDef;
use crate::objects::error::FieldError;
use crate::objects::field::{Check, DefaultValue, FieldDef, FieldType};
use Check::OneOf;
use DefaultValue::Str;
use FieldType::{ObjectList, StringList, StringMap};

const ALERT_FIELDS: &[FieldDef] = &spec_fields([
    local_ref(field!("providerRef"), "The notification Provider.").required(),
    FieldDef::string(field!("eventSeverity"), "`info` (everything) or `error`.")
        .default(Str("info"))
        .check(OneOf(&["info", "error"])),
    FieldDef::typed(
        field!("eventSources"),
        ObjectList(EVENT_REF),
        "Objects whose events are sent.",
    )
    .required(),
    FieldDef::typed(
        field!("inclusionList"),
        StringList,
        "Regular expressions an event message must match.",
    )
    .check(Check::Regex),
    FieldDef::typed(
        field!("exclusionList"),
        StringList,
        "Regular expressions of event messages to drop.",
    )
    .check(Check::Regex),
    FieldDef::typed(
        field!("eventMetadata"),
        StringMap,
        "Metadata added to every event.",
    ),
    FieldDef::string(field!("summary"), "Summary added to every event.").check(Check::MaxLen(255)),
    SUSPEND,
]);

fn alert_rules(spec: &Map<String, Value>) -> Vec<FieldError> {
    event_ref_rules(ALERT_FIELDS, spec, "eventSources")
}

/// `notification.toolkit.fluxcd.io/v1beta3` Alert (static: no status).
pub static ALERT: KindDef = KindDef {
    api_version: "notification.toolkit.fluxcd.io/v1beta3",
    kind: "Alert",
    fields: ALERT_FIELDS,
    rules: alert_rules,
    is_static: always_static,
    derived_defaults: no_derived_defaults,
    only_name: None,
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::shared::testing::{error_paths, error_texts};
    use super::*;

    fn alert(source: Value) -> Value {
        json!({"providerRef": {"name": "slack"}, "eventSources": [source]})
    }

    #[test]
    fn valid_spec_passes() {
        let spec = alert(
            json!({"kind": "Kustomization", "name": "*", "namespace": "*",
            "matchLabels": {"team": "a"}}),
        );
        assert!(error_paths(&ALERT, spec).is_empty());
    }

    #[test]
    fn provider_ref_and_event_sources_are_required() {
        assert_eq!(
            error_paths(&ALERT, json!({})),
            ["provider_ref", "event_sources"]
        );
    }

    #[test]
    fn wildcard_namespace_and_labels_need_wildcard_name() {
        let spec = alert(
            json!({"kind": "Kustomization", "name": "apps", "namespace": "*",
            "matchLabels": {"team": "a"}}),
        );
        assert_eq!(
            error_texts(&ALERT, spec),
            [
                "event_sources[0].namespace: * requires name *",
                "event_sources[0].match_labels: requires name *"
            ]
        );
    }

    #[test]
    fn alerts_are_static() {
        assert!((ALERT.is_static)(&Map::new()));
    }
}
