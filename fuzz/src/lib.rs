//! Helpers shared by the fuzz targets and the seed generator (`examples/seeds.rs`).
//!
//! - [`arbitrary_type`] reads a Terraform type from fuzz input, and [`type_bytes`]
//!   writes the bytes that read back as a given type (for seeds).
//! - [`override_objects`]: the objects the kustomization override target patches.
//! - [`block_on`]: runs the provider's `validate` futures, which never wait on IO.

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use flux_core::manifests::{
    render_install, render_sync, BaseManifests, InstallOptions, InstallSpec, SyncOptions, SyncSpec,
};
use serde_json::Value as Json;
use tfplug::Type;

/// How deep a fuzzed type nests (a leaf type at this depth).
pub const MAX_TYPE_DEPTH: u8 = 4;

/// Attribute names of fuzzed object types: a few short ones (so that fuzzed data meets
/// them), plus the empty name, a space and a non-ASCII one for the path rendering.
pub const NAMES: [&str; 10] = ["a", "b", "c", "id", "name", "spec", "value", "", "a b", "ü"];

const LEAVES: u8 = 4;
const KINDS: u8 = 9;

/// A type read from the input, one byte per node: `tag % 9` picks string, number, bool,
/// dynamic, list, set, map, object (then a count and a name index per attribute) or tuple
/// (then a count); at `depth` 0 only the four leaf types. Exhausted input reads as zeros
/// (a string).
pub fn arbitrary_type(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Type> {
    let tag = u8::arbitrary(u)?;
    let tag = if depth == 0 {
        tag % LEAVES
    } else {
        tag % KINDS
    };
    let inner = depth.saturating_sub(1);
    Ok(match tag {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        3 => Type::Dynamic,
        4 => Type::list(arbitrary_type(u, inner)?),
        5 => Type::set(arbitrary_type(u, inner)?),
        6 => Type::map(arbitrary_type(u, inner)?),
        7 => {
            let count = u8::arbitrary(u)? % 5;
            let mut attrs = Vec::new();
            for _ in 0..count {
                let name = NAMES[usize::from(u8::arbitrary(u)?) % NAMES.len()];
                attrs.push((name, arbitrary_type(u, inner)?));
            }
            Type::object(attrs)
        }
        _ => {
            let count = u8::arbitrary(u)? % 4;
            let mut elems = Vec::new();
            for _ in 0..count {
                elems.push(arbitrary_type(u, inner)?);
            }
            Type::Tuple(elems)
        }
    })
}

/// The bytes [`arbitrary_type`] reads back as `ty` (names outside [`NAMES`] become the
/// first name; objects and tuples keep at most 4 and 3 members).
pub fn type_bytes(ty: &Type) -> Vec<u8> {
    let mut out = Vec::new();
    write_type(ty, &mut out);
    out
}

fn write_type(ty: &Type, out: &mut Vec<u8>) {
    match ty {
        Type::String => out.push(0),
        Type::Number => out.push(1),
        Type::Bool => out.push(2),
        Type::Dynamic => out.push(3),
        Type::List(t) => {
            out.push(4);
            write_type(t, out);
        }
        Type::Set(t) => {
            out.push(5);
            write_type(t, out);
        }
        Type::Map(t) => {
            out.push(6);
            write_type(t, out);
        }
        Type::Object(attrs) => {
            out.push(7);
            let attrs: Vec<_> = attrs.iter().take(4).collect();
            out.push(u8::try_from(attrs.len()).unwrap_or(0));
            for (name, t) in attrs {
                let index = NAMES.iter().position(|n| n == name).unwrap_or(0);
                out.push(u8::try_from(index).unwrap_or(0));
                write_type(t, out);
            }
        }
        Type::Tuple(elems) => {
            out.push(8);
            let elems: Vec<_> = elems.iter().take(3).collect();
            out.push(u8::try_from(elems.len()).unwrap_or(0));
            for t in elems {
                write_type(t, out);
            }
        }
    }
}

/// The objects the override target patches: Flux's install (all seven components) and
/// sync objects rendered from the embedded manifests, without the CustomResourceDefinitions
/// but one, whose OpenAPI schemas are dropped. Every kind the engine treats specially
/// (Namespace, Deployments, Services, ServiceAccounts, RoleBindings, NetworkPolicies, a
/// CRD, custom resources) is there, at a size that keeps the target fast.
pub fn override_objects() -> &'static [Json] {
    static OBJECTS: LazyLock<Vec<Json>> = LazyLock::new(|| {
        let base = BaseManifests::embedded().expect("embedded manifests");
        let install = InstallSpec::from_options(InstallOptions {
            components_extra: vec![
                "image-reflector-controller".into(),
                "image-automation-controller".into(),
                "source-watcher".into(),
            ],
            ..InstallOptions::default()
        })
        .expect("install options");
        let install = render_install(&install, &base).expect("install render");
        let sync = SyncSpec::from_options(SyncOptions {
            url: "ssh://git@git.example.com/org/fleet".into(),
            path: "clusters/dev".into(),
            ..SyncOptions::default()
        })
        .expect("sync options");
        let mut objects = Vec::new();
        let mut crd_kept = false;
        for mut object in install
            .objects
            .into_iter()
            .chain(render_sync(&sync).objects)
        {
            if object["kind"] == "CustomResourceDefinition" {
                if crd_kept {
                    continue;
                }
                crd_kept = true;
                if let Some(Json::Array(versions)) = object.pointer_mut("/spec/versions") {
                    for version in versions {
                        if let Some(map) = version.as_object_mut() {
                            map.remove("schema");
                        }
                    }
                }
            }
            objects.push(object);
        }
        objects
    });
    &OBJECTS
}

/// Runs a future that never waits on IO (the provider's `validate`) to completion.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// Whether a number is one JSON cannot hold (Terraform's numbers cannot be either).
pub fn has_non_finite(value: &tfplug::Value) -> bool {
    use tfplug::{Number, Value};
    match value {
        Value::Number(Number::Float(f)) => !f.is_finite(),
        Value::List(items) | Value::Set(items) => items.iter().any(has_non_finite),
        Value::Map(entries) => entries.values().any(has_non_finite),
        Value::Dynamic(d) => has_non_finite(&d.1),
        _ => false,
    }
}

/// Decodes `bytes` as msgpack of `ty` and checks what must hold for a decoded value: it
/// encodes again, the encoding decodes to an equal value and re-encodes to the same
/// bytes, and a wholly known value survives the JSON (stored state) codec too. Returns
/// the decoded value.
pub fn check_msgpack(bytes: &[u8], ty: &Type) -> Option<tfplug::Value> {
    use tfplug::value::msgpack;
    let value = msgpack::decode(bytes, ty).ok()?;
    let encoded = msgpack::encode(&value, ty)
        .unwrap_or_else(|e| panic!("a decoded value does not encode: {e}\n{value:?}"));
    let again = msgpack::decode(&encoded, ty)
        .unwrap_or_else(|e| panic!("an encoded value does not decode: {e}\n{value:?}"));
    assert_eq!(again, value, "msgpack round trip changed the value");
    let encoded_again = msgpack::encode(&again, ty).expect("re-encode");
    assert_eq!(encoded_again, encoded, "msgpack encoding is not stable");
    if value.is_wholly_known() && !has_non_finite(&value) {
        json_round_trip(&value, ty);
    }
    Some(value)
}

/// Decodes `bytes` as state JSON of `ty` and checks the same round trips as
/// [`check_msgpack`], then the msgpack codec on the decoded value.
pub fn check_json(bytes: &[u8], ty: &Type) -> Option<tfplug::Value> {
    use tfplug::value::{json, msgpack};
    let value = json::decode(bytes, ty).ok()?;
    assert!(value.is_wholly_known(), "JSON decoded an unknown value");
    let encoded = json_round_trip(&value, ty);
    let again = json::decode(&encoded, ty).expect("decode");
    let encoded_again = json::encode(&again, ty).expect("re-encode");
    assert_eq!(
        String::from_utf8_lossy(&encoded_again),
        String::from_utf8_lossy(&encoded),
        "JSON encoding is not stable"
    );
    let packed = msgpack::encode(&value, ty)
        .unwrap_or_else(|e| panic!("a JSON-decoded value does not encode as msgpack: {e}"));
    let unpacked = msgpack::decode(&packed, ty).expect("msgpack decode");
    assert_eq!(
        unpacked, value,
        "msgpack round trip of a JSON value changed it"
    );
    Some(value)
}

/// JSON-encodes a wholly known, finite value, decodes it and checks equality; returns
/// the encoding.
fn json_round_trip(value: &tfplug::Value, ty: &Type) -> Vec<u8> {
    use tfplug::value::json;
    let encoded = json::encode(value, ty)
        .unwrap_or_else(|e| panic!("a known value does not encode as JSON: {e}\n{value:?}"));
    let back = json::decode(&encoded, ty).unwrap_or_else(|e| {
        panic!(
            "encoded JSON does not decode: {e}\n{}",
            String::from_utf8_lossy(&encoded)
        )
    });
    assert_eq!(&back, value, "JSON round trip changed the value");
    encoded
}

/// Strings the provider's validators and parsers care about, for values built from fuzz
/// input: names, URLs, durations, versions, ranges, paths, a known_hosts line and a
/// kustomization override.
pub const STRINGS: [&str; 24] = [
    "flux-system",
    "main",
    "clusters/dev",
    "1m0s",
    "10m",
    "-1s",
    "v2.9.4",
    "latest",
    ">=1.0.0 <2.0.0",
    "ssh://git@git.example.com/org/fleet",
    "https://git.example.com/org/fleet.git",
    "oci://ghcr.io/org/app",
    "ghcr.io/fluxcd",
    "source-controller",
    "info",
    "cluster.local",
    "git",
    "generic",
    "",
    "*",
    "0123456789abcdef0123456789abcdef01234567",
    "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\npatches:\n- patch: |\n    - op: add\n      path: /spec/template/spec/containers/0/args/-\n      value: --concurrent=8\n  target:\n    kind: Deployment\n    name: \"(kustomize|helm)-controller\"\n",
    "KUBECONFIG",
];

/// A value of type `ty` built from the input: at every level null, unknown, or a value
/// (strings mostly from [`STRINGS`], else arbitrary; collections of up to three
/// elements). The top level is always a known value.
pub fn arbitrary_value(
    u: &mut Unstructured<'_>,
    ty: &Type,
    top: bool,
) -> arbitrary::Result<tfplug::Value> {
    use tfplug::{Number, Value};
    if !top {
        match u8::arbitrary(u)? % 8 {
            0 => return Ok(Value::Null),
            1 => return Ok(Value::unknown()),
            _ => {}
        }
    }
    Ok(match ty {
        Type::String => {
            let pick = u8::arbitrary(u)?;
            match STRINGS.get(usize::from(pick)) {
                Some(s) => Value::from(*s),
                None => Value::from(String::arbitrary(u)?),
            }
        }
        Type::Number => Value::Number(Number::Int(i64::from(i16::arbitrary(u)?))),
        Type::Bool => Value::Bool(bool::arbitrary(u)?),
        Type::Dynamic => Value::from(STRINGS[usize::from(u8::arbitrary(u)?) % STRINGS.len()]),
        Type::List(t) | Type::Set(t) => {
            let count = u8::arbitrary(u)? % 4;
            let mut items = Vec::new();
            for _ in 0..count {
                items.push(arbitrary_value(u, t, false)?);
            }
            if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            }
        }
        Type::Map(t) => {
            let count = u8::arbitrary(u)? % 3;
            let mut entries = Vec::new();
            for _ in 0..count {
                let key = STRINGS[usize::from(u8::arbitrary(u)?) % STRINGS.len()];
                entries.push((key, arbitrary_value(u, t, false)?));
            }
            Value::object(entries)
        }
        Type::Object(attrs) => {
            let mut entries = Vec::new();
            for (name, t) in attrs {
                entries.push((name.clone(), arbitrary_value(u, t, false)?));
            }
            Value::object(entries)
        }
        Type::Tuple(elems) => {
            let mut items = Vec::new();
            for t in elems {
                items.push(arbitrary_value(u, t, false)?);
            }
            Value::List(items)
        }
    })
}
