//! Dynamic values on the wire: msgpack, or JSON where Terraform sends it.

use crate::diag::Diagnostic;
use crate::proto::tfplugin6 as pb;
use crate::types::Type;
use crate::value::{json, msgpack, Value};

/// Decodes a value of type `ty`; an absent or empty value is null. `what` names the
/// value in the error's summary ("Invalid {what} Value").
pub(crate) fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    let Some(dv) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        json::decode(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|e| Diagnostic::from_error(format!("Invalid {what} Value"), &e))
}

/// Encodes a value of type `ty` as msgpack.
pub(crate) fn encode(value: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostic> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Ok(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => Err(Diagnostic::from_error(
            "Provider Produced an Unencodable Value",
            &e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty() -> Type {
        Type::object([("id", Type::String)])
    }

    #[test]
    fn absent_and_empty_values_are_null() {
        assert_eq!(decode(None, &ty(), "State"), Ok(Value::Null));
        let empty = pb::DynamicValue::default();
        assert_eq!(decode(Some(&empty), &ty(), "State"), Ok(Value::Null));
    }

    #[test]
    fn msgpack_round_trips_and_json_decodes() {
        let value = Value::object([("id", Value::from("a"))]);
        let wire = encode(&value, &ty()).unwrap();
        assert!(wire.json.is_empty());
        assert_eq!(decode(Some(&wire), &ty(), "State"), Ok(value.clone()));
        let json = pb::DynamicValue {
            msgpack: Vec::new(),
            json: br#"{"id":"a"}"#.to_vec(),
        };
        assert_eq!(decode(Some(&json), &ty(), "State"), Ok(value));
    }

    #[test]
    fn undecodable_value_names_what_it_was() {
        let garbage = pb::DynamicValue {
            msgpack: vec![0xa1, b'x'],
            json: Vec::new(),
        };
        let error = decode(Some(&garbage), &ty(), "Prior State").unwrap_err();
        assert_eq!(error.summary, "Invalid Prior State Value");
    }

    #[test]
    fn unencodable_value_is_the_providers_fault() {
        let error = encode(&Value::from(true), &Type::String).unwrap_err();
        assert_eq!(error.summary, "Provider Produced an Unencodable Value");
    }
}
