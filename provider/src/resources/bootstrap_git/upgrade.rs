//! Loading a stored state. The reference provider writes the same schema version (0)
//! but knows none of this provider's extension attributes, so its states lack them.
//! A missing attribute that has a default here is read as that default: the writer
//! behaved as the default does (e.g. the reference never drains workloads), and a null
//! in its place would plan a change (`+ drain_workloads = false`) that is not real.

use tfplug::{Diagnostic, Schema, UpgradeResponse};

/// The state of `raw` (state JSON written with schema `version`) in `schema`.
pub(super) fn upgrade(schema: &Schema, version: i64, raw: &[u8], response: &mut UpgradeResponse) {
    if version != schema.version {
        response.diagnostics.error(
            "Unsupported State Version",
            format!(
                "The state of flux_bootstrap_git was written with schema version {version}, \
                 which this provider version cannot read (it reads version {}).",
                schema.version
            ),
        );
        return;
    }
    let mut state = match tfplug::value::json::decode(raw, &schema.value_type()) {
        Ok(state) => state,
        Err(e) => {
            return response
                .diagnostics
                .push(Diagnostic::from_error("Unreadable State", &e))
        }
    };
    // Decoding already succeeded, so the text is a JSON object; its keys tell a null
    // that was written apart from an attribute the writer did not have.
    let written: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(raw).unwrap_or_default();
    for attr in &schema.block.attributes {
        if let Some(default) = &attr.default {
            if !written.contains_key(&attr.name) {
                state.set_attr(&attr.name, default.clone());
            }
        }
    }
    response.state = state;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::bootstrap_git::schema::schema;
    use tfplug::Value;

    const REFERENCE_STATE: &str =
        include_str!("../../../../tests/fixtures/reference-provider/http/terraform.tfstate");

    fn attributes_of_reference_state() -> Vec<u8> {
        let state: serde_json::Value = serde_json::from_str(REFERENCE_STATE).unwrap();
        serde_json::to_vec(&state["resources"][0]["instances"][0]["attributes"]).unwrap()
    }

    #[test]
    fn reference_state_gets_the_extension_defaults_and_keeps_its_values() {
        let raw = attributes_of_reference_state();
        let mut response = UpgradeResponse::default();
        upgrade(&schema(), 0, &raw, &mut response);
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        let state = response.state;
        assert_eq!(state.attr("drain_workloads"), &Value::from(false));
        assert_eq!(state.attr("path").as_str(), Some("clusters/reference"));
        assert_eq!(state.attr("version").as_str(), Some("v2.9.4"));
        // Written as null by the reference: stays null.
        assert!(state.attr("timeouts").is_null());
        assert!(state.attr("sync_tag").is_null());
    }

    #[test]
    fn a_written_value_is_kept_even_when_it_differs_from_the_default() {
        let raw = br#"{"id":"flux-system","drain_workloads":true,"namespace":"flux-system"}"#;
        let mut response = UpgradeResponse::default();
        upgrade(&schema(), 0, raw, &mut response);
        assert_eq!(response.state.attr("drain_workloads"), &Value::from(true));
    }

    #[test]
    fn another_schema_version_is_refused() {
        let mut response = UpgradeResponse::default();
        upgrade(&schema(), 7, b"{}", &mut response);
        assert!(response.diagnostics.has_errors());
    }
}
