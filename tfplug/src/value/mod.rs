//! Terraform values: known, null or unknown at any depth, with exact numbers.
//!
//! A [`Value`] carries no type of its own; the schema's [`Type`](crate::Type) decides
//! how it is encoded on the wire ([`msgpack`]) and read from stored state ([`json`]).

mod decimal;
pub mod json;
mod model;
pub mod msgpack;
mod trail;

use std::collections::BTreeMap;
use std::fmt;

pub use model::{FromValue, ObjectAccess, Unknowable};

use crate::types::Type;

/// A Terraform number, kept exactly as it arrived.
#[derive(Clone, Debug)]
pub enum Number {
    /// A number that fits in a signed 64-bit integer.
    Int(i64),
    /// A positive integer above `i64::MAX`.
    UInt(u64),
    /// A number that is exactly a 64-bit float.
    Float(f64),
    /// Any other number, as decimal text (Terraform sends these as strings).
    Decimal(String),
}

impl Number {
    /// The value as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::UInt(u) => i64::try_from(*u).ok(),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 =>
            {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "checked integral and in range"
                )]
                Some(*f as i64)
            }
            Number::Float(_) => None,
            Number::Decimal(s) => decimal::canonical(s)?.parse().ok(),
        }
    }

    /// The value as `f64` (may round a decimal).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            #[expect(
                clippy::cast_precision_loss,
                reason = "documented as possibly rounding"
            )]
            Number::Int(i) => Some(*i as f64),
            #[expect(
                clippy::cast_precision_loss,
                reason = "documented as possibly rounding"
            )]
            Number::UInt(u) => Some(*u as f64),
            Number::Float(f) => Some(*f),
            Number::Decimal(s) => s.parse().ok(),
        }
    }

    /// A number from decimal text, keeping every digit: an integer that fits 64 bits,
    /// else the text itself. `None` when the text is not a decimal literal.
    pub fn from_text(text: &str) -> Option<Self> {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::Int(i));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(Number::UInt(u));
        }
        decimal::canonical(text).map(|_| Number::Decimal(text.to_string()))
    }

    /// A canonical decimal text, used for equality: one spelling per value, whatever
    /// form the number arrived in.
    fn canonical(&self) -> String {
        match self {
            Number::Int(i) => i.to_string(),
            Number::UInt(u) => u.to_string(),
            // `Display` of a float is its shortest round-trip digits, in plain form.
            Number::Float(f) if f.is_finite() => {
                let text = f.to_string();
                decimal::canonical(&text).unwrap_or(text)
            }
            Number::Float(f) => f.to_string(),
            Number::Decimal(s) => decimal::canonical(s).unwrap_or_else(|| s.clone()),
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// An unknown value ("known after apply"). Terraform 1.6+ may refine it (not null,
/// a string prefix, number bounds); the refinement is kept opaque and echoed back.
#[derive(Clone, Debug, Default)]
pub struct Unknown {
    refinement: Option<Vec<u8>>,
}

impl Unknown {
    /// Whether Terraform said the value will not be null.
    pub fn refined(&self) -> bool {
        self.refinement.is_some()
    }
}

/// A Terraform value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Null: absent from the configuration, or explicitly `null`.
    #[default]
    Null,
    /// Not known until apply.
    Unknown(Unknown),
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list, or a tuple.
    List(Vec<Value>),
    /// A set: order carries no meaning.
    Set(Vec<Value>),
    /// A map, or an object.
    Map(BTreeMap<String, Value>),
    /// A value of a `dynamic` attribute, with the concrete type it arrived with.
    Dynamic(Box<(Type, Value)>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown(_), Value::Unknown(_)) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.contains(x))
                    && b.iter().all(|x| a.contains(x))
            }
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Dynamic(a), Value::Dynamic(b)) => a.1 == b.1,
            (Value::Dynamic(a), b) | (b, Value::Dynamic(a)) => &a.1 == b,
            _ => false,
        }
    }
}

impl Value {
    /// An unknown value without refinements.
    pub fn unknown() -> Self {
        Value::Unknown(Unknown::default())
    }

    /// An object (or map) from name/value pairs.
    pub fn object<I, K>(entries: I) -> Self
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list.
    pub fn list<I: IntoIterator<Item = Value>>(items: I) -> Self {
        Value::List(items.into_iter().collect())
    }

    /// A set.
    pub fn set<I: IntoIterator<Item = Value>>(items: I) -> Self {
        Value::Set(items.into_iter().collect())
    }

    /// A list of strings, or null when `items` is `None`.
    pub fn string_list<I, S>(items: Option<I>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match items {
            Some(items) => {
                Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
            }
            None => Value::Null,
        }
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Dynamic(d) => d.1.is_null(),
            _ => false,
        }
    }

    /// Whether the value itself is unknown (not looking inside collections).
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Dynamic(d) => d.1.is_unknown(),
            _ => false,
        }
    }

    /// Whether the value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(entries) => entries.values().all(Value::is_wholly_known),
            Value::Dynamic(d) => d.1.is_wholly_known(),
            _ => true,
        }
    }

    /// The attribute `name` of an object, or null when the value is not an object
    /// or has no such attribute.
    pub fn attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(entries) => entries.get(name).unwrap_or(&NULL),
            Value::Dynamic(d) => d.1.attr(name),
            _ => &NULL,
        }
    }

    /// A mutable reference to attribute `name` of an object (inserting null).
    /// Returns `None` when the value is not an object.
    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Map(entries) => Some(entries.entry(name.to_string()).or_default()),
            _ => None,
        }
    }

    /// Sets attribute `name` of an object; does nothing on other values.
    pub fn set_attr(&mut self, name: &str, value: Value) {
        if let Value::Map(entries) = self {
            entries.insert(name.to_string(), value);
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a known boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short description of the kind of value, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Dynamic(_) => "dynamic",
        }
    }

    /// Infers a type for a value of a `dynamic` attribute that the provider built.
    pub fn infer_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown(_) => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => Type::Tuple(items.iter().map(Value::infer_type).collect()),
            Value::Set(items) => Type::set(
                items
                    .first()
                    .map(Value::infer_type)
                    .unwrap_or(Type::Dynamic),
            ),
            Value::Map(entries) => Type::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.infer_type()))
                    .collect(),
            ),
            Value::Dynamic(d) => d.0.clone(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<BTreeMap<String, T>> for Value {
    fn from(m: BTreeMap<String, T>) -> Self {
        Value::Map(m.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_equality_ignores_order() {
        let a = Value::set(["x".into(), "y".into()]);
        let b = Value::set(["y".into(), "x".into()]);
        assert_eq!(a, b);
        assert_ne!(a, Value::set(["x".into()]));
        assert_ne!(
            Value::list(["x".into(), "y".into()]),
            Value::list(["y".into(), "x".into()])
        );
    }

    #[test]
    fn numbers_compare_by_value_across_representations() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_eq!(Number::Int(3), Number::Decimal("3".into()));
        assert_ne!(Number::Int(3), Number::Float(3.5));
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(
            Number::Decimal("18446744073709551616".into()).as_i64(),
            None
        );
    }

    #[test]
    fn wholly_known_looks_at_every_depth() {
        let v = Value::object([("a", Value::list([Value::from("x"), Value::unknown()]))]);
        assert!(!v.is_wholly_known());
        assert!(!v.is_unknown());
        assert!(Value::object([("a", Value::Null)]).is_wholly_known());
    }

    #[test]
    fn attr_of_missing_or_non_object_is_null() {
        let v = Value::object([("a", Value::from(true))]);
        assert_eq!(v.attr("a").as_bool(), Some(true));
        assert!(v.attr("b").is_null());
        assert!(Value::from("s").attr("a").is_null());
    }
}
