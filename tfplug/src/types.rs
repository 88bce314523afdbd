//! Terraform's type system (cty types) as the protocol writes them: JSON type
//! expressions in schemas, and the shape that decides how a value is encoded.

use std::collections::BTreeMap;

use serde_json::json;

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `string`
    String,
    /// `number`: arbitrary precision.
    Number,
    /// `bool`
    Bool,
    /// `dynamic`: the value carries its own type on the wire.
    Dynamic,
    /// `list(T)`
    List(Box<Type>),
    /// `set(T)`
    Set(Box<Type>),
    /// `map(T)`
    Map(Box<Type>),
    /// `object({...})`: every attribute is present in every value.
    Object(BTreeMap<String, Type>),
    /// `tuple([...])`
    Tuple(Vec<Type>),
}

impl Type {
    /// `list(T)`.
    pub fn list(element: Type) -> Self {
        Type::List(Box::new(element))
    }

    /// `set(T)`.
    pub fn set(element: Type) -> Self {
        Type::Set(Box::new(element))
    }

    /// `map(T)`.
    pub fn map(element: Type) -> Self {
        Type::Map(Box::new(element))
    }

    /// `object({...})` from attribute names and types.
    pub fn object<I, K>(attributes: I) -> Self
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// The JSON type expression Terraform expects in a schema (`"string"`,
    /// `["list","string"]`, `["object",{...}]`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let fields: serde_json::Map<String, serde_json::Value> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", fields])
            }
            Type::Tuple(elems) => {
                json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    /// Parses a JSON type expression, as found in a dynamic value's type header.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::String(s) => match s.as_str() {
                "string" => Some(Type::String),
                "number" => Some(Type::Number),
                "bool" => Some(Type::Bool),
                "dynamic" => Some(Type::Dynamic),
                _ => None,
            },
            serde_json::Value::Array(parts) => {
                let kind = parts.first()?.as_str()?;
                let arg = parts.get(1)?;
                match kind {
                    "list" => Some(Type::list(Type::from_json(arg)?)),
                    "set" => Some(Type::set(Type::from_json(arg)?)),
                    "map" => Some(Type::map(Type::from_json(arg)?)),
                    "object" => {
                        let mut attrs = BTreeMap::new();
                        for (k, t) in arg.as_object()? {
                            attrs.insert(k.clone(), Type::from_json(t)?);
                        }
                        Some(Type::Object(attrs))
                    }
                    "tuple" => {
                        let elems = arg
                            .as_array()?
                            .iter()
                            .map(Type::from_json)
                            .collect::<Option<Vec<_>>>()?;
                        Some(Type::Tuple(elems))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A short name for messages (`list(string)`).
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(t) => format!("list({})", t.friendly_name()),
            Type::Set(t) => format!("set({})", t.friendly_name()),
            Type::Map(t) => format!("map({})", t.friendly_name()),
            Type::Object(_) => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_round_trips_nested_types() {
        let t = Type::object([
            ("names", Type::set(Type::String)),
            ("env", Type::map(Type::String)),
            ("pair", Type::Tuple(vec![Type::Number, Type::Bool])),
            ("any", Type::Dynamic),
        ]);
        let json = t.to_json();
        assert_eq!(
            json,
            json!(["object", {"any": "dynamic", "env": ["map", "string"], "names": ["set", "string"], "pair": ["tuple", ["number", "bool"]]}])
        );
        assert_eq!(Type::from_json(&json), Some(t));
    }

    #[test]
    fn type_from_json_rejects_unknown_names() {
        assert_eq!(Type::from_json(&json!("int")), None);
        assert_eq!(Type::from_json(&json!(["vector", "string"])), None);
    }
}
