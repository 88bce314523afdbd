//! `DynamicValue` decoding against every schema the provider serves (its configuration,
//! each resource and each data source), then what Terraform's next calls do with the
//! value:
//!
//! - mode 0 (msgpack, `ValidateResourceConfig` and friends): decode, round-trip, run the
//!   attribute validators and the type's own `validate`; none may panic.
//! - mode 1 (JSON, `UpgradeResourceState`): decode and round-trip against the current
//!   schema, then `upgrade_state` from a schema version read from the input (`mode / 3`,
//!   0 up to the current one); an upgrade without errors must give a state that encodes for the
//!   current schema, as tfplug answers with it.
//!
//! - mode 2 (structured): a value of the schema's type built from the input (null,
//!   unknown or a value at every level, strings mostly realistic ones), encoded as
//!   Terraform would send it, then through mode 0, and when wholly known through mode 1:
//!   this reaches the validators far more often than raw bytes do.
//!
//! Input: `[schema index, mode (and version), value bytes...]`.
#![no_main]

use std::sync::{Arc, LazyLock};

use arbitrary::Unstructured;
use flux_provider_fuzz::{arbitrary_value, block_on, check_json, check_msgpack};
use libfuzzer_sys::fuzz_target;
use terraform_provider_flux::config::ProviderData;
use terraform_provider_flux::FluxProvider;
use tfplug::value::{json, msgpack};
use tfplug::{AttributePath, DataSource, Diagnostics, Provider, Resource, Schema, UpgradeResponse};

enum Kind {
    Provider,
    Resource(Arc<dyn Resource<ProviderData>>),
    DataSource(Arc<dyn DataSource<ProviderData>>),
}

struct Entry {
    schema: Schema,
    ty: tfplug::Type,
    kind: Kind,
}

static ENTRIES: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    let provider = FluxProvider::new();
    let entry = |schema: Schema, kind| Entry {
        ty: schema.value_type(),
        schema,
        kind,
    };
    let mut entries = vec![entry(provider.schema(), Kind::Provider)];
    for resource in provider.resources() {
        entries.push(entry(resource.schema(), Kind::Resource(resource)));
    }
    for data_source in provider.data_sources() {
        entries.push(entry(data_source.schema(), Kind::DataSource(data_source)));
    }
    entries
});

fuzz_target!(|data: &[u8]| {
    let [index, mode, bytes @ ..] = data else {
        return;
    };
    let entry = &ENTRIES[usize::from(*index) % ENTRIES.len()];
    let version = i64::from(mode / 3) % (entry.schema.version + 1);
    match mode % 3 {
        0 => validate(entry, bytes),
        1 => upgrade(entry, version, bytes),
        _ => {
            let mut u = Unstructured::new(bytes);
            let Ok(value) = arbitrary_value(&mut u, &entry.ty, true) else {
                return;
            };
            let packed = msgpack::encode(&value, &entry.ty).expect("a built value encodes");
            validate(entry, &packed);
            if value.is_wholly_known() {
                let text = json::encode(&value, &entry.ty).expect("a known value encodes");
                upgrade(entry, version, &text);
            }
        }
    }
});

/// Decodes a configuration and validates it as Terraform's Validate*Config calls do.
fn validate(entry: &Entry, bytes: &[u8]) {
    let Some(config) = check_msgpack(bytes, &entry.ty) else {
        return;
    };
    let mut diags = Diagnostics::new();
    tfplug::validator::validate_block(
        &entry.schema.block,
        &config,
        &AttributePath::root(),
        &mut diags,
    );
    let provider = FluxProvider::new();
    match &entry.kind {
        Kind::Provider => block_on(provider.validate(&config, &mut diags)),
        Kind::Resource(r) => block_on(r.validate(&config, &mut diags)),
        Kind::DataSource(d) => block_on(d.validate(&config, &mut diags)),
    }
}

/// Decodes stored state and upgrades it as UpgradeResourceState does.
fn upgrade(entry: &Entry, version: i64, bytes: &[u8]) {
    check_json(bytes, &entry.ty);
    let Kind::Resource(resource) = &entry.kind else {
        return;
    };
    let mut response = UpgradeResponse::default();
    resource.upgrade_state(version, bytes, &mut response);
    if response.diagnostics.has_errors() {
        return;
    }
    let encoded = msgpack::encode(&response.state, &entry.ty).unwrap_or_else(|e| {
        panic!(
            "{} upgraded a version {version} state to one its schema cannot encode: {e}",
            resource.type_name()
        )
    });
    let decoded = msgpack::decode(&encoded, &entry.ty).expect("decode the upgraded state");
    assert_eq!(
        decoded, response.state,
        "the upgraded state changed in msgpack"
    );
}
