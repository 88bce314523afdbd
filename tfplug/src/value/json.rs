//! The JSON form of values that Terraform stores in state and hands back in
//! `UpgradeResourceState`. JSON has no unknown: stored state is always known.
//!
//! Numbers keep every digit: Terraform writes a number's full decimal text, which
//! `serde_json`'s own number type would round to a 64-bit float, so the decoder
//! reads each number of the schema as raw text and the encoder writes decimal text
//! back as it is.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as _;
use serde_json::value::RawValue;

use super::trail::Trail;
use super::{decimal, Number, Value};
use crate::error::CodecError;
use crate::types::Type;

/// Decodes stored-state JSON as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode_at(bytes, ty, &Trail::Root)
}

fn decode_at(bytes: &[u8], ty: &Type, trail: &Trail<'_>) -> Result<Value, CodecError> {
    let failure = RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let decoded = Seed {
        ty,
        trail,
        failure: &failure,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    // A mismatch aborts the parse with a placeholder error and leaves the located
    // one here.
    decoded.map_err(|error| failure.take().unwrap_or(CodecError::Json(error)))
}

/// Encodes a known value as state JSON (used by tests and tools; the protocol
/// itself answers with msgpack).
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    write_value(&mut out, value, ty, &Trail::Root)?;
    Ok(out)
}

fn mismatch(trail: &Trail<'_>, ty: &Type, found: &str) -> CodecError {
    CodecError::Mismatch {
        path: trail.path(),
        expected: ty.friendly_name(),
        found: found.to_string(),
    }
}

/// Decodes one JSON value as `ty`, at `trail`.
struct Seed<'a> {
    ty: &'a Type,
    trail: &'a Trail<'a>,
    failure: &'a RefCell<Option<CodecError>>,
}

impl Seed<'_> {
    fn fail<E: de::Error>(&self, error: CodecError) -> E {
        self.failure.replace(Some(error));
        E::custom("the state does not match the schema")
    }

    fn mismatch<E: de::Error>(&self, found: &str) -> E {
        self.fail(mismatch(self.trail, self.ty, found))
    }

    fn child<'c>(&'c self, ty: &'c Type, trail: &'c Trail<'c>) -> Seed<'c> {
        Seed {
            ty,
            trail,
            failure: self.failure,
        }
    }

    /// A number from its JSON text: a literal, or (as Terraform also accepts) a
    /// string holding one.
    fn number<E: de::Error>(&self, text: &str) -> Result<Value, E> {
        let found = match text.as_bytes().first() {
            Some(b'n') => return Ok(Value::Null),
            Some(b'"') => {
                let inner: String = serde_json::from_str(text).map_err(E::custom)?;
                return Number::from_text(&inner)
                    .map(Value::Number)
                    .ok_or_else(|| self.mismatch("string"));
            }
            Some(b't' | b'f') => "bool",
            Some(b'[') => "array",
            Some(b'{') => "object",
            _ => "number",
        };
        Number::from_text(text)
            .map(Value::Number)
            .ok_or_else(|| self.mismatch(found))
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if *self.ty == Type::Number {
            let raw = <&RawValue>::deserialize(deserializer)?;
            return self.number(raw.get());
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of type {}", self.ty.friendly_name())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.ty {
            Type::Bool => Ok(Value::Bool(b)),
            _ => Err(self.mismatch("bool")),
        }
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value, E> {
        Err(self.mismatch("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value, E> {
        Err(self.mismatch("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Err(self.mismatch("number"))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.visit_string(s.to_string())
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        match self.ty {
            Type::String => Ok(Value::String(s)),
            _ => Err(self.mismatch("string")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        match self.ty {
            Type::List(elem) | Type::Set(elem) => {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) =
                    seq.next_element_seed(self.child(elem, &Trail::Index(self.trail, items.len())))?
                {
                    items.push(item);
                }
                Ok(if matches!(self.ty, Type::Set(_)) {
                    Value::Set(items)
                } else {
                    Value::List(items)
                })
            }
            Type::Tuple(elems) => {
                let mut items = Vec::with_capacity(elems.len());
                for (i, elem) in elems.iter().enumerate() {
                    let trail = Trail::Index(self.trail, i);
                    match seq.next_element_seed(self.child(elem, &trail))? {
                        Some(item) => items.push(item),
                        None => return Err(self.mismatch("shorter array")),
                    }
                }
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(self.mismatch("longer array"));
                }
                Ok(Value::List(items))
            }
            _ => Err(self.mismatch("array")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        match self.ty {
            Type::Map(elem) => {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value =
                        map.next_value_seed(self.child(elem, &Trail::Key(self.trail, &key)))?;
                    out.insert(key, value);
                }
                Ok(Value::Map(out))
            }
            Type::Object(attrs) => {
                let mut out: BTreeMap<String, Value> =
                    attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
                while let Some(key) = map.next_key::<String>()? {
                    let Some(attr_ty) = attrs.get(&key) else {
                        return Err(self.fail(CodecError::UnexpectedAttribute {
                            path: self.trail.path(),
                            name: key,
                        }));
                    };
                    let value =
                        map.next_value_seed(self.child(attr_ty, &Trail::Attr(self.trail, &key)))?;
                    out.insert(key, value);
                }
                Ok(Value::Map(out))
            }
            Type::Dynamic => self.dynamic(map),
            _ => Err(self.mismatch("object")),
        }
    }
}

impl Seed<'_> {
    /// A `dynamic` value: `{"value": ..., "type": ...}`, in either order, so the value
    /// is kept as raw text until its type is read.
    fn dynamic<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut header = None;
        let mut raw: Option<&RawValue> = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "type" => header = Some(map.next_value::<serde_json::Value>()?),
                "value" => raw = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(concrete) = header.as_ref().and_then(Type::from_json) else {
            return Err(self.fail(CodecError::DynamicType {
                path: self.trail.path(),
            }));
        };
        let inner = match raw {
            Some(raw) => decode_at(raw.get().as_bytes(), &concrete, self.trail)
                .map_err(|error| self.fail(error))?,
            None => Value::Null,
        };
        Ok(Value::Dynamic(Box::new((concrete, inner))))
    }
}

fn write_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    trail: &Trail<'_>,
) -> Result<(), CodecError> {
    match (ty, value) {
        (_, Value::Null) => out.extend_from_slice(b"null"),
        (_, Value::Unknown(_)) => return Err(mismatch(trail, ty, "unknown")),
        (Type::Dynamic, v) => {
            let (concrete, inner) = match v {
                Value::Dynamic(d) => (d.0.clone(), &d.1),
                other => (other.infer_type(), other),
            };
            out.extend_from_slice(br#"{"value":"#);
            write_value(out, inner, &concrete, trail)?;
            out.extend_from_slice(br#","type":"#);
            write_json(out, &concrete.to_json())?;
            out.push(b'}');
        }
        (_, Value::Dynamic(d)) => write_value(out, &d.1, ty, trail)?,
        (Type::String, Value::String(s)) => write_json(out, s)?,
        (Type::Bool, Value::Bool(b)) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" });
        }
        (Type::Number, Value::Number(n)) => write_number(out, n, trail, ty)?,
        (Type::List(elem) | Type::Set(elem), Value::List(items) | Value::Set(items)) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, elem, &Trail::Index(trail, i))?;
            }
            out.push(b']');
        }
        (Type::Tuple(elems), Value::List(items)) if elems.len() == items.len() => {
            out.push(b'[');
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, elem, &Trail::Index(trail, i))?;
            }
            out.push(b']');
        }
        (Type::Map(elem), Value::Map(entries)) => {
            write_object(out, entries.iter(), |out, key, v| {
                write_value(out, v, elem, &Trail::Key(trail, key))
            })?;
        }
        (Type::Object(attrs), Value::Map(entries)) => {
            let fields = attrs
                .iter()
                .map(|(k, t)| (k, (t, entries.get(k).unwrap_or(&Value::Null))));
            write_object(out, fields, |out, key, (t, v)| {
                write_value(out, v, t, &Trail::Attr(trail, key))
            })?;
        }
        (ty, other) => return Err(mismatch(trail, ty, other.kind_name())),
    }
    Ok(())
}

fn write_object<'k, V>(
    out: &mut Vec<u8>,
    fields: impl Iterator<Item = (&'k String, V)>,
    mut write_field: impl FnMut(&mut Vec<u8>, &str, V) -> Result<(), CodecError>,
) -> Result<(), CodecError> {
    out.push(b'{');
    for (i, (key, v)) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(out, key)?;
        out.push(b':');
        write_field(out, key, v)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_number(
    out: &mut Vec<u8>,
    n: &Number,
    trail: &Trail<'_>,
    ty: &Type,
) -> Result<(), CodecError> {
    match n {
        Number::Int(i) => write!(out, "{i}").map_err(CodecError::Write),
        Number::UInt(u) => write!(out, "{u}").map_err(CodecError::Write),
        // The float's own canonical text (what equality compares), not serde_json's:
        // the two pick different digits when the shortest forms tie.
        Number::Float(f) if f.is_finite() => {
            out.extend_from_slice(n.to_string().as_bytes());
            Ok(())
        }
        // JSON has no NaN or infinity, and neither has Terraform's number type.
        Number::Float(_) => Err(mismatch(trail, ty, "a non-finite float")),
        Number::Decimal(s) => match decimal::canonical(s) {
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(())
            }
            None => Err(mismatch(trail, ty, "non-numeric string")),
        },
    }
}

fn write_json<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), CodecError> {
    serde_json::to_writer(out, value).map_err(CodecError::Json)
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

    #[test]
    fn state_json_numbers_keep_every_digit() {
        let ty = Type::object([("n", Type::list(Type::Number))]);
        let text = br#"{"n":[123456789012345678901234567890.123456789,1e400,18446744073709551615,-9223372036854775808,0.1,2.5]}"#;
        let v = decode(text, &ty).unwrap();
        let n = v.attr("n");
        let items: Vec<String> = match n {
            Value::List(items) => items
                .iter()
                .map(|i| i.as_number().unwrap().to_string())
                .collect(),
            other => panic!("not a list: {other:?}"),
        };
        assert_eq!(
            items,
            [
                "123456789012345678901234567890.123456789",
                "1e400",
                "18446744073709551615",
                "-9223372036854775808",
                "0.1",
                "2.5"
            ]
        );
        // Written back as JSON numbers, digit for digit.
        let again = encode(&v, &ty).unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            r#"{"n":[123456789012345678901234567890.123456789,1e400,18446744073709551615,-9223372036854775808,0.1,2.5]}"#
        );
    }

    #[test]
    fn state_json_number_mismatches_are_located() {
        let ty = Type::object([("spec", Type::object([("n", Type::Number)]))]);
        let err = decode(br#"{"spec":{"n":true}}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), "expected number at spec.n, found bool");
        let err = decode(br#"{"spec":{"n":"many"}}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), "expected number at spec.n, found string");
        // A number written as a string, as Terraform accepts it, keeps its digits.
        let v = decode(br#"{"spec":{"n":"1.000000000000000000001"}}"#, &ty).unwrap();
        assert_eq!(
            v.attr("spec").attr("n").as_number().unwrap().to_string(),
            "1.000000000000000000001"
        );
    }

    #[test]
    fn state_json_shapes_are_checked_where_they_break() {
        let ty = Type::object([("t", Type::Tuple(vec![Type::String, Type::Bool]))]);
        let err = decode(br#"{"t":["a"]}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), "expected tuple at t, found shorter array");
        let err = decode(br#"{"t":["a",true,1]}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), "expected tuple at t, found longer array");
        let ty = Type::object([("m", Type::map(Type::String))]);
        let err = decode(br#"{"m":{"k":1}}"#, &ty).unwrap_err();
        assert!(err.to_string().contains("found number"), "{err}");
        assert!(matches!(decode(b"{", &ty), Err(CodecError::Json(_))));
        assert!(matches!(
            decode(br#"{"m":{}} x"#, &ty),
            Err(CodecError::Json(_))
        ));
    }

    #[test]
    fn state_json_dynamic_values_read_their_type_in_either_order() {
        let ty = Type::object([("d", Type::Dynamic)]);
        for text in [
            br#"{"d":{"value":{"big":1e400},"type":["object",{"big":"number"}]}}"#.as_slice(),
            br#"{"d":{"type":["object",{"big":"number"}],"value":{"big":1e400}}}"#.as_slice(),
        ] {
            let v = decode(text, &ty).unwrap();
            let Value::Dynamic(d) = v.attr("d") else {
                panic!("not dynamic: {v:?}");
            };
            assert_eq!(d.0, Type::object([("big", Type::Number)]));
            assert_eq!(d.1.attr("big").as_number().unwrap().to_string(), "1e400");
        }
        let err = decode(br#"{"d":{"value":1}}"#, &ty).unwrap_err();
        assert!(matches!(err, CodecError::DynamicType { .. }), "{err}");
    }

    // Found by the value_msgpack fuzz target: this float lies exactly between two
    // 17-digit decimals; serde_json wrote one and equality read the other, so the state
    // JSON of a value no longer equalled the value.
    #[test]
    fn state_json_float_on_a_tie_round_trips() {
        let ty = Type::Number;
        let v = Value::Number(Number::Float(f64::from(1.556_861_9_f32)));
        let text = encode(&v, &ty).unwrap();
        assert_eq!(
            decode(&text, &ty).unwrap(),
            v,
            "{}",
            String::from_utf8_lossy(&text)
        );
        let big = Value::Number(Number::Float(1e300));
        assert_eq!(decode(&encode(&big, &ty).unwrap(), &ty).unwrap(), big);
    }

    #[test]
    fn equal_numbers_compare_equal_whatever_their_spelling() {
        assert_eq!(Number::Decimal("1.50".into()), Number::Float(1.5));
        assert_eq!(Number::Decimal("15e2".into()), Number::Int(1500));
        assert_ne!(
            Number::Decimal("9007199254740993".into()),
            Number::Float(9_007_199_254_740_992.0)
        );
    }
}
