//! flux-core's YAML reader and kustomize-layout writer (every manifest the provider
//! commits goes through `write_documents`): any stream of mappings that parses is
//! written and must read back equal.
#![no_main]

use flux_core::manifests::{parse_yaml_stream, write_documents};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(documents) = parse_yaml_stream(text, "fuzz") else {
        return;
    };
    // Manifests are mappings; a top-level scalar is never written.
    if !documents.iter().all(serde_json::Value::is_object) {
        return;
    }
    let written = write_documents(&documents);
    let back = parse_yaml_stream(&written, "fuzz")
        .unwrap_or_else(|e| panic!("written YAML does not parse: {e}\n{written}"));
    assert!(back == documents, "YAML read back differently:\n{written}");
});
