//! tfplug's JSON value decoder (stored state, `UpgradeResourceState`) against a type read
//! from the input: decoding never panics, and a decoded value round-trips through JSON
//! (same value, stable text) and through msgpack.
#![no_main]

use arbitrary::Unstructured;
use flux_provider_fuzz::{arbitrary_type, check_json, MAX_TYPE_DEPTH};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(ty) = arbitrary_type(&mut u, MAX_TYPE_DEPTH) else {
        return;
    };
    check_json(u.take_rest(), &ty);
});
