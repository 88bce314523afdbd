//! The msgpack encoding of values that Terraform uses in `DynamicValue.msgpack`.
//!
//! Rules (Terraform's cty msgpack format): nil is null; any extension value is
//! unknown (type 0 plain, type 12 refined); numbers are integers, floats, or decimal
//! strings when neither is exact; objects are maps carrying every attribute of their
//! type; a `dynamic` value is a two-element array of its JSON type and the value.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::trail::Trail;
use super::{Number, Unknown, Value};
use crate::error::CodecError;
use crate::types::Type;

/// The extension type Terraform uses for a plain unknown value.
const EXT_UNKNOWN: i8 = 0;
/// The extension type of a refined unknown value (Terraform 1.6+).
const EXT_REFINED_UNKNOWN: i8 = 12;

/// Decodes msgpack bytes as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader).map_err(CodecError::Msgpack)?;
    from_mp(raw, ty, &Trail::Root)
}

/// Encodes `value` as msgpack for type `ty`. Objects get every attribute of their
/// type, null where the value has none.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let raw = to_mp(value, ty, &Trail::Root)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &raw).map_err(|e| CodecError::Write(e.into()))?;
    Ok(out)
}

fn mismatch(trail: &Trail<'_>, ty: &Type, found: &str) -> CodecError {
    CodecError::Mismatch {
        path: trail.path(),
        expected: ty.friendly_name(),
        found: found.to_string(),
    }
}

fn mp_kind(v: &Mp) -> &'static str {
    match v {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "bool",
        Mp::Integer(_) => "integer",
        Mp::F32(_) | Mp::F64(_) => "float",
        Mp::String(_) => "string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "array",
        Mp::Map(_) => "map",
        Mp::Ext(..) => "extension",
    }
}

fn from_mp(raw: Mp, ty: &Type, path: &Trail<'_>) -> Result<Value, CodecError> {
    match raw {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(kind, payload) => {
            let refinement = (kind == EXT_REFINED_UNKNOWN).then_some(payload);
            return Ok(Value::Unknown(Unknown { refinement }));
        }
        _ => {}
    }
    match ty {
        Type::String => match raw {
            Mp::String(s) => s
                .into_str()
                .map(Value::String)
                .ok_or_else(|| mismatch(path, ty, "invalid UTF-8")),
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::Bool => match raw {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::Number => match raw {
            Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
                (Some(v), _) => Ok(Value::Number(Number::Int(v))),
                (None, Some(v)) => Ok(Value::Number(Number::UInt(v))),
                (None, None) => Err(mismatch(path, ty, "integer out of range")),
            },
            Mp::F32(f) => Ok(Value::Number(Number::Float(f64::from(f)))),
            Mp::F64(f) => Ok(Value::Number(Number::Float(f))),
            Mp::String(s) => {
                let text = s
                    .into_str()
                    .ok_or_else(|| mismatch(path, ty, "invalid UTF-8"))?;
                Number::from_text(&text)
                    .map(Value::Number)
                    .ok_or_else(|| mismatch(path, ty, "non-numeric string"))
            }
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::List(elem) | Type::Set(elem) => match raw {
            Mp::Array(items) => {
                let values = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| from_mp(item, elem, &Trail::Index(path, i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(values)
                } else {
                    Value::List(values)
                })
            }
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::Tuple(elems) => match raw {
            Mp::Array(items) if items.len() == elems.len() => {
                let values = items
                    .into_iter()
                    .zip(elems)
                    .enumerate()
                    .map(|(i, (item, t))| from_mp(item, t, &Trail::Index(path, i)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(values))
            }
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::Map(elem) => match raw {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let key = map_key(k, path, ty)?;
                    let value = from_mp(v, elem, &Trail::Key(path, &key))?;
                    out.insert(key, value);
                }
                Ok(Value::Map(out))
            }
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::Object(attrs) => match raw {
            Mp::Map(entries) => {
                let mut out: BTreeMap<String, Value> =
                    attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
                for (k, v) in entries {
                    let key = map_key(k, path, ty)?;
                    let Some(attr_ty) = attrs.get(&key) else {
                        return Err(CodecError::UnexpectedAttribute {
                            path: path.path(),
                            name: key,
                        });
                    };
                    let value = from_mp(v, attr_ty, &Trail::Attr(path, &key))?;
                    out.insert(key, value);
                }
                Ok(Value::Map(out))
            }
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
        Type::Dynamic => match raw {
            Mp::Array(mut parts) if parts.len() == 2 => {
                let value = parts.pop().unwrap_or(Mp::Nil);
                let header = parts.pop().unwrap_or(Mp::Nil);
                let type_json = match header {
                    Mp::Binary(b) => b,
                    Mp::String(s) => s.into_bytes(),
                    _ => return Err(CodecError::DynamicType { path: path.path() }),
                };
                let concrete = serde_json::from_slice(&type_json)
                    .ok()
                    .and_then(|j| Type::from_json(&j))
                    .ok_or_else(|| CodecError::DynamicType { path: path.path() })?;
                let inner = from_mp(value, &concrete, path)?;
                Ok(Value::Dynamic(Box::new((concrete, inner))))
            }
            other => Err(mismatch(path, ty, mp_kind(&other))),
        },
    }
}

fn map_key(key: Mp, path: &Trail<'_>, ty: &Type) -> Result<String, CodecError> {
    match key {
        Mp::String(s) => s
            .into_str()
            .ok_or_else(|| mismatch(path, ty, "invalid UTF-8 key")),
        other => Err(mismatch(path, ty, mp_kind(&other))),
    }
}

fn to_mp(value: &Value, ty: &Type, path: &Trail<'_>) -> Result<Mp, CodecError> {
    match value {
        Value::Null => return Ok(Mp::Nil),
        Value::Unknown(u) => {
            return Ok(match &u.refinement {
                Some(payload) => Mp::Ext(EXT_REFINED_UNKNOWN, payload.clone()),
                None => Mp::Ext(EXT_UNKNOWN, vec![0]),
            })
        }
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, Value::Dynamic(d)) => dynamic_to_mp(&d.0, &d.1, path),
        (Type::Dynamic, other) => dynamic_to_mp(&other.infer_type(), other, path),
        (_, Value::Dynamic(d)) => to_mp(&d.1, ty, path),
        (Type::String, Value::String(s)) => Ok(Mp::String(s.as_str().into())),
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::Number, Value::Number(n)) => Ok(match n {
            Number::Int(i) => Mp::Integer((*i).into()),
            Number::UInt(u) => Mp::Integer((*u).into()),
            Number::Float(f) => Mp::F64(*f),
            Number::Decimal(s) => Mp::String(s.as_str().into()),
        }),
        (Type::List(elem) | Type::Set(elem), Value::List(items) | Value::Set(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| to_mp(item, elem, &Trail::Index(path, i)))
            .collect::<Result<Vec<_>, _>>()
            .map(Mp::Array),
        (Type::Tuple(elems), Value::List(items)) if elems.len() == items.len() => items
            .iter()
            .zip(elems)
            .enumerate()
            .map(|(i, (item, t))| to_mp(item, t, &Trail::Index(path, i)))
            .collect::<Result<Vec<_>, _>>()
            .map(Mp::Array),
        (Type::Map(elem), Value::Map(entries)) => entries
            .iter()
            .map(|(k, v)| {
                Ok((
                    Mp::String(k.as_str().into()),
                    to_mp(v, elem, &Trail::Key(path, k))?,
                ))
            })
            .collect::<Result<Vec<_>, CodecError>>()
            .map(Mp::Map),
        (Type::Object(attrs), Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnexpectedAttribute {
                    path: path.path(),
                    name: extra.clone(),
                });
            }
            // BTreeMap iteration is sorted, which is the order Terraform itself writes.
            attrs
                .iter()
                .map(|(name, attr_ty)| {
                    let v = entries.get(name).unwrap_or(&Value::Null);
                    Ok((
                        Mp::String(name.as_str().into()),
                        to_mp(v, attr_ty, &Trail::Attr(path, name))?,
                    ))
                })
                .collect::<Result<Vec<_>, CodecError>>()
                .map(Mp::Map)
        }
        (ty, other) => Err(mismatch(path, ty, other.kind_name())),
    }
}

fn dynamic_to_mp(ty: &Type, value: &Value, path: &Trail<'_>) -> Result<Mp, CodecError> {
    let header = serde_json::to_vec(&ty.to_json()).map_err(CodecError::Json)?;
    Ok(Mp::Array(vec![Mp::Binary(header), to_mp(value, ty, path)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(v: &Value, ty: &Type) -> Value {
        let bytes = encode(v, ty).unwrap();
        decode(&bytes, ty).unwrap()
    }

    #[test]
    fn unknown_encodes_as_terraform_fixext() {
        assert_eq!(
            encode(&Value::unknown(), &Type::String).unwrap(),
            vec![0xd4, 0x00, 0x00]
        );
        assert!(decode(&[0xd4, 0x00, 0x00], &Type::String)
            .unwrap()
            .is_unknown());
    }

    #[test]
    fn refined_unknown_round_trips_its_refinement() {
        // ext 12 whose payload is the msgpack map {1: true} ("not null"), as
        // Terraform 1.15 sends a refined unknown.
        let bytes = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3];
        let v = decode(&bytes[..], &Type::String).unwrap();
        assert!(v.is_unknown());
        let Value::Unknown(u) = &v else {
            unreachable!()
        };
        assert!(u.refined());
        assert_eq!(encode(&v, &Type::String).unwrap(), bytes.to_vec());
    }

    #[test]
    fn null_and_unknown_survive_at_depth() {
        let ty = Type::object([
            (
                "a",
                Type::list(Type::object([("b", Type::String), ("c", Type::Number)])),
            ),
            ("m", Type::map(Type::Bool)),
        ]);
        let v = Value::object([
            (
                "a",
                Value::list([
                    Value::object([("b", Value::unknown()), ("c", Value::Null)]),
                    Value::object([("b", "x".into()), ("c", Value::from(7))]),
                ]),
            ),
            ("m", Value::object([("k", Value::unknown())])),
        ]);
        let back = roundtrip(&v, &ty);
        assert_eq!(back, v);
        assert!(back.attr("a").as_elements().unwrap()[0]
            .attr("b")
            .is_unknown());
        assert!(back.attr("a").as_elements().unwrap()[0].attr("c").is_null());
        assert!(back.attr("m").attr("k").is_unknown());
    }

    #[test]
    fn object_encoding_carries_every_attribute_sorted() {
        let ty = Type::object([("z", Type::String), ("a", Type::String), ("m", Type::Bool)]);
        let v = Value::object([("z", Value::from("1"))]);
        let bytes = encode(&v, &ty).unwrap();
        // fixmap(3) "a" nil "m" nil "z" "1"
        assert_eq!(
            bytes,
            vec![0x83, 0xa1, b'a', 0xc0, 0xa1, b'm', 0xc0, 0xa1, b'z', 0xa1, b'1']
        );
    }

    #[test]
    fn object_encoding_rejects_attributes_outside_the_type() {
        let ty = Type::object([("a", Type::String)]);
        let v = Value::object([("a", Value::from("x")), ("b", Value::from("y"))]);
        let err = encode(&v, &ty).unwrap_err();
        assert!(matches!(err, CodecError::UnexpectedAttribute { ref name, .. } if name == "b"));
    }

    #[test]
    fn big_numbers_keep_their_precision() {
        // Terraform sends numbers that are neither exact int64 nor float64 as strings.
        let mut bytes = Vec::new();
        rmpv::encode::write_value(
            &mut bytes,
            &Mp::String("123456789012345678901234567890.5".into()),
        )
        .unwrap();
        let v = decode(&bytes, &Type::Number).unwrap();
        assert_eq!(
            v.as_number().unwrap().to_string(),
            "123456789012345678901234567890.5"
        );
        assert_eq!(encode(&v, &Type::Number).unwrap(), bytes);
        let u = Value::Number(Number::UInt(u64::MAX));
        assert_eq!(roundtrip(&u, &Type::Number), u);
        let f = Value::Number(Number::Float(0.1));
        assert_eq!(roundtrip(&f, &Type::Number), f);
    }

    #[test]
    fn integers_of_every_width_decode() {
        for bytes in [
            vec![0x02],
            vec![0xcd, 0x01, 0xbb],
            vec![0xd0, 0x80],
            vec![0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18],
        ] {
            let v = decode(&bytes, &Type::Number).unwrap();
            assert!(v.as_number().is_some(), "{bytes:?}");
        }
        assert_eq!(
            decode(&[0xcd, 0x01, 0xbb], &Type::Number)
                .unwrap()
                .as_number()
                .unwrap()
                .as_i64(),
            Some(443)
        );
    }

    #[test]
    fn sets_and_tuples_round_trip() {
        let ty = Type::object([
            ("s", Type::set(Type::String)),
            ("t", Type::Tuple(vec![Type::String, Type::Bool])),
        ]);
        let v = Value::object([
            ("s", Value::set(["b".into(), "a".into()])),
            ("t", Value::list(["x".into(), true.into()])),
        ]);
        assert_eq!(roundtrip(&v, &ty), v);
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::object([("k", Value::list([Value::from(1), Value::from("x")]))]);
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        let back = decode(&bytes, &Type::Dynamic).unwrap();
        assert_eq!(back, v);
        let Value::Dynamic(d) = back else {
            panic!("not dynamic")
        };
        assert_eq!(
            d.0,
            Type::object([("k", Type::Tuple(vec![Type::Number, Type::String]))])
        );
    }

    #[test]
    fn type_mismatch_names_the_path() {
        let ty = Type::object([("a", Type::list(Type::Bool))]);
        let v = Value::object([("a", Value::list(["x".into()]))]);
        let err = encode(&v, &ty).unwrap_err();
        assert_eq!(err.to_string(), "expected bool at a[0], found string");
    }

    #[test]
    fn empty_bytes_decode_as_null() {
        assert!(decode(&[], &Type::String).unwrap().is_null());
    }
}
