//! tfplug's msgpack value decoder (`DynamicValue.msgpack`) against a type read from the
//! input: decoding never panics, and a decoded value round-trips through msgpack (same
//! value, stable bytes) and, when wholly known, through the JSON state codec.
#![no_main]

use arbitrary::Unstructured;
use flux_provider_fuzz::{arbitrary_type, check_msgpack, MAX_TYPE_DEPTH};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(ty) = arbitrary_type(&mut u, MAX_TYPE_DEPTH) else {
        return;
    };
    check_msgpack(u.take_rest(), &ty);
});
