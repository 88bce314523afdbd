//! flux-core's `kustomization_override` parser and patch engine: `Override::parse` over
//! arbitrary text, then `apply_override` over Flux's install and sync objects. Neither
//! may panic; a parsed override keeps its text (it is committed verbatim), and the
//! patched objects, written as `gotk-components.yaml` is written, read back equal.
#![no_main]

use flux_core::manifests::{apply_override, parse_yaml_stream, write_documents, Override};
use flux_provider_fuzz::override_objects;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(over) = Override::parse(text) else {
        return;
    };
    assert_eq!(over.text(), text, "the override's text changed");
    let Ok(objects) = apply_override(override_objects().to_vec(), &over) else {
        return;
    };
    // A JSON patch may replace a whole object with null, which no file can hold.
    let objects: Vec<_> = objects.into_iter().filter(|o| !o.is_null()).collect();
    let written = write_documents(&objects);
    let back = parse_yaml_stream(&written, "fuzz").unwrap_or_else(|e| {
        panic!("the patched objects were written as YAML that does not parse: {e}\n{written}")
    });
    assert!(
        back == objects,
        "the patched objects read back differently:\n{written}"
    );
});
