//! The JSON form of values that Terraform stores in state and hands back in
//! `UpgradeResourceState`. JSON has no unknown: stored state is always known.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Number, Value};
use crate::error::CodecError;
use crate::path::AttributePath;
use crate::types::Type;

/// Decodes stored-state JSON as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: Json = serde_json::from_slice(bytes).map_err(CodecError::Json)?;
    from_json(json, ty, &AttributePath::root())
}

/// Encodes a known value as state JSON (used by tests and tools; the protocol
/// itself answers with msgpack).
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let json = to_json(value, ty, &AttributePath::root())?;
    serde_json::to_vec(&json).map_err(CodecError::Json)
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn mismatch(path: &AttributePath, ty: &Type, found: &str) -> CodecError {
    CodecError::Mismatch {
        path: path.clone(),
        expected: ty.friendly_name(),
        found: found.to_string(),
    }
}

fn from_json(json: Json, ty: &Type, path: &AttributePath) -> Result<Value, CodecError> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::String, Json::String(s)) => Ok(Value::String(s)),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Json::Number(n)) => Ok(Value::Number(if let Some(i) = n.as_i64() {
            Number::Int(i)
        } else if let Some(u) = n.as_u64() {
            Number::UInt(u)
        } else {
            Number::Float(n.as_f64().unwrap_or(f64::NAN))
        })),
        (Type::Number, Json::String(s)) if s.parse::<f64>().is_ok() => {
            Ok(Value::Number(Number::Decimal(s)))
        }
        (Type::List(elem) | Type::Set(elem), Json::Array(items)) => {
            let values = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| from_json(item, elem, &path.at_index(i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(values)
            } else {
                Value::List(values)
            })
        }
        (Type::Tuple(elems), Json::Array(items)) if items.len() == elems.len() => items
            .into_iter()
            .zip(elems)
            .enumerate()
            .map(|(i, (item, t))| from_json(item, t, &path.at_index(i)))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (Type::Map(elem), Json::Object(entries)) => entries
            .into_iter()
            .map(|(k, v)| {
                let value = from_json(v, elem, &path.at_key(k.clone()))?;
                Ok((k, value))
            })
            .collect::<Result<BTreeMap<_, _>, CodecError>>()
            .map(Value::Map),
        (Type::Object(attrs), Json::Object(entries)) => {
            let mut out: BTreeMap<String, Value> =
                attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
            for (k, v) in entries {
                let Some(attr_ty) = attrs.get(&k) else {
                    return Err(CodecError::UnexpectedAttribute {
                        path: path.clone(),
                        name: k,
                    });
                };
                let value = from_json(v, attr_ty, &path.at_attr(k.clone()))?;
                out.insert(k, value);
            }
            Ok(Value::Map(out))
        }
        (Type::Dynamic, Json::Object(mut entries)) => {
            let header = entries
                .remove("type")
                .and_then(|t| Type::from_json(&t))
                .ok_or_else(|| CodecError::DynamicType { path: path.clone() })?;
            let inner = from_json(entries.remove("value").unwrap_or(Json::Null), &header, path)?;
            Ok(Value::Dynamic(Box::new((header, inner))))
        }
        (ty, other) => Err(mismatch(path, ty, json_kind(&other))),
    }
}

fn to_json(value: &Value, ty: &Type, path: &AttributePath) -> Result<Json, CodecError> {
    match (ty, value) {
        (_, Value::Null) => Ok(Json::Null),
        (_, Value::Unknown(_)) => Err(mismatch(path, ty, "unknown")),
        (Type::Dynamic, v) => {
            let (concrete, inner) = match v {
                Value::Dynamic(d) => (d.0.clone(), &d.1),
                other => (other.infer_type(), other),
            };
            Ok(serde_json::json!({
                "value": to_json(inner, &concrete, path)?,
                "type": concrete.to_json(),
            }))
        }
        (_, Value::Dynamic(d)) => to_json(&d.1, ty, path),
        (Type::String, Value::String(s)) => Ok(Json::String(s.clone())),
        (Type::Bool, Value::Bool(b)) => Ok(Json::Bool(*b)),
        (Type::Number, Value::Number(n)) => Ok(match n {
            Number::Int(i) => Json::from(*i),
            Number::UInt(u) => Json::from(*u),
            Number::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Number::Decimal(s) => Json::String(s.clone()),
        }),
        (Type::List(elem) | Type::Set(elem), Value::List(items) | Value::Set(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| to_json(item, elem, &path.at_index(i)))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        (Type::Tuple(elems), Value::List(items)) if elems.len() == items.len() => items
            .iter()
            .zip(elems)
            .enumerate()
            .map(|(i, (item, t))| to_json(item, t, &path.at_index(i)))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        (Type::Map(elem), Value::Map(entries)) => entries
            .iter()
            .map(|(k, v)| Ok((k.clone(), to_json(v, elem, &path.at_key(k.clone()))?)))
            .collect::<Result<serde_json::Map<_, _>, CodecError>>()
            .map(Json::Object),
        (Type::Object(attrs), Value::Map(entries)) => attrs
            .iter()
            .map(|(k, t)| {
                let v = entries.get(k).unwrap_or(&Value::Null);
                Ok((k.clone(), to_json(v, t, &path.at_attr(k.clone()))?))
            })
            .collect::<Result<serde_json::Map<_, _>, CodecError>>()
            .map(Json::Object),
        (ty, other) => Err(mismatch(path, ty, other.kind_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_json_decodes_with_missing_attributes_as_null() {
        let ty = Type::object([
            ("id", Type::String),
            ("n", Type::Number),
            ("tags", Type::map(Type::String)),
        ]);
        let v = decode(br#"{"id":"flux-system","tags":{"a":"b"}}"#, &ty).unwrap();
        assert_eq!(v.attr("id").as_str(), Some("flux-system"));
        assert!(v.attr("n").is_null());
        assert_eq!(v.attr("tags").attr("a").as_str(), Some("b"));
    }

    #[test]
    fn state_json_rejects_attributes_the_schema_lost() {
        let ty = Type::object([("id", Type::String)]);
        let err = decode(br#"{"id":"x","gone":1}"#, &ty).unwrap_err();
        assert!(matches!(err, CodecError::UnexpectedAttribute { ref name, .. } if name == "gone"));
    }

    #[test]
    fn state_json_round_trips_known_values() {
        let ty = Type::object([
            ("s", Type::set(Type::String)),
            ("d", Type::Dynamic),
            ("n", Type::Number),
        ]);
        let v = Value::object([
            ("s", Value::set(["a".into()])),
            ("d", Value::object([("x", Value::from(true))])),
            ("n", Value::from(42)),
        ]);
        let bytes = encode(&v, &ty).unwrap();
        assert_eq!(decode(&bytes, &ty).unwrap(), v);
    }

    #[test]
    fn state_json_cannot_hold_unknown() {
        let err = encode(&Value::unknown(), &Type::String).unwrap_err();
        assert_eq!(err.to_string(), "expected string at (root), found unknown");
    }
}
