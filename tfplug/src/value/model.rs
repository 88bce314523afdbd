//! Typed extraction of values into Rust types, with errors located at the attribute
//! that failed.

use std::collections::BTreeMap;

use super::{Number, Value};
use crate::diag::Diagnostic;
use crate::path::AttributePath;

/// A Rust type that can be read from a Terraform value.
pub trait FromValue: Sized {
    /// Reads `value`, found at `path`; errors are located there.
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic>;
}

fn not_known(path: &AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Value Not Yet Known",
        format!(
            "The value of {path} is not known yet, but it is needed here. Make sure it does not \
             depend on a resource that is created in the same apply, or apply that resource first."
        ),
    )
    .at(path.clone())
}

fn wrong_type(path: &AttributePath, expected: &str, value: &Value) -> Diagnostic {
    Diagnostic::error(
        "Unexpected Value Type",
        format!(
            "Expected {expected} at {path}, found {}.",
            value.kind_name()
        ),
    )
    .at(path.clone())
}

fn required(path: &AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Missing Required Value",
        format!("A value is required for {path}."),
    )
    .at(path.clone())
}

fn known<'a>(value: &'a Value, path: &AttributePath) -> Result<&'a Value, Diagnostic> {
    match value {
        Value::Unknown(_) => Err(not_known(path)),
        Value::Null => Err(required(path)),
        Value::Dynamic(d) => known(&d.1, path),
        v => Ok(v),
    }
}

impl FromValue for Value {
    fn from_value(value: &Value, _path: &AttributePath) -> Result<Self, Diagnostic> {
        Ok(value.clone())
    }
}

impl FromValue for String {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match known(value, path)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(wrong_type(path, "a string", other)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match known(value, path)? {
            Value::Bool(b) => Ok(*b),
            other => Err(wrong_type(path, "a bool", other)),
        }
    }
}

impl FromValue for Number {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match known(value, path)? {
            Value::Number(n) => Ok(n.clone()),
            other => Err(wrong_type(path, "a number", other)),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        let n = Number::from_value(value, path)?;
        n.as_i64().ok_or_else(|| {
            Diagnostic::error(
                "Invalid Number",
                format!("Expected a whole number at {path}, found {n}."),
            )
            .at(path.clone())
        })
    }
}

/// Null reads as `None`; unknown is still an error (use [`Unknowable`] for that).
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_value(value, path).map(Some)
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match known(value, path)? {
            Value::List(items) | Value::Set(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item, &path.at_index(i)))
                .collect(),
            other => Err(wrong_type(path, "a list or set", other)),
        }
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match known(value, path)? {
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), T::from_value(v, &path.at_key(k.clone()))?)))
                .collect(),
            other => Err(wrong_type(path, "a map", other)),
        }
    }
}

/// A value that may not be known yet, at plan time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unknowable<T> {
    /// Known (possibly `None` for null when `T` is an `Option`).
    Known(T),
    /// Known only after apply.
    Unknown,
}

impl<T> Unknowable<T> {
    /// The known value, if any.
    pub fn known(self) -> Option<T> {
        match self {
            Unknowable::Known(v) => Some(v),
            Unknowable::Unknown => None,
        }
    }

    /// Whether the value is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Unknowable::Unknown)
    }
}

impl<T: FromValue> FromValue for Unknowable<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        if value.is_unknown() {
            Ok(Unknowable::Unknown)
        } else {
            T::from_value(value, path).map(Unknowable::Known)
        }
    }
}

/// Reads the attributes of an object value, each at its own path.
#[derive(Clone, Debug)]
pub struct ObjectAccess<'a> {
    value: &'a Value,
    path: AttributePath,
}

impl<'a> ObjectAccess<'a> {
    /// Reads the root object of a configuration, plan or state.
    pub fn root(value: &'a Value) -> Self {
        Self {
            value,
            path: AttributePath::root(),
        }
    }

    /// Reads an object found at `path`.
    pub fn new(value: &'a Value, path: AttributePath) -> Self {
        Self { value, path }
    }

    /// Reads attribute `name` as `T`.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Diagnostic> {
        T::from_value(self.value.attr(name), &self.path.at_attr(name))
    }

    /// The raw value of attribute `name`.
    pub fn value(&self, name: &str) -> &'a Value {
        self.value.attr(name)
    }

    /// The path of attribute `name`.
    pub fn path_of(&self, name: &str) -> AttributePath {
        self.path.at_attr(name)
    }

    /// The path of this object.
    pub fn path(&self) -> &AttributePath {
        &self.path
    }

    /// The nested object in attribute `name` (null reads as an object of nulls).
    pub fn object(&self, name: &str) -> ObjectAccess<'a> {
        ObjectAccess {
            value: self.value.attr(name),
            path: self.path.at_attr(name),
        }
    }

    /// Whether attribute `name` is null.
    pub fn is_null(&self, name: &str) -> bool {
        self.value.attr(name).is_null()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Value {
        Value::object([
            ("host", Value::from("https://127.0.0.1:6443")),
            ("insecure", Value::Null),
            ("token", Value::unknown()),
            ("paths", Value::set(["a".into(), "b".into()])),
            (
                "exec",
                Value::object([("args", Value::list([Value::from(1)]))]),
            ),
        ])
    }

    #[test]
    fn get_reads_typed_values_and_null_as_none() {
        let c = config();
        let obj = ObjectAccess::root(&c);
        assert_eq!(obj.get::<String>("host").unwrap(), "https://127.0.0.1:6443");
        assert_eq!(obj.get::<Option<bool>>("insecure").unwrap(), None);
        assert_eq!(obj.get::<Vec<String>>("paths").unwrap().len(), 2);
    }

    #[test]
    fn unknown_is_an_error_unless_unknowable() {
        let c = config();
        let obj = ObjectAccess::root(&c);
        let err = obj.get::<Option<String>>("token").unwrap_err();
        assert_eq!(err.summary, "Value Not Yet Known");
        assert_eq!(err.path, Some(AttributePath::attr("token")));
        assert!(obj
            .get::<Unknowable<Option<String>>>("token")
            .unwrap()
            .is_unknown());
    }

    #[test]
    fn type_errors_are_located_at_depth() {
        let c = config();
        let err = ObjectAccess::root(&c)
            .object("exec")
            .get::<Vec<String>>("args")
            .unwrap_err();
        assert_eq!(
            err.path,
            Some(AttributePath::attr("exec").at_attr("args").at_index(0))
        );
        assert_eq!(err.summary, "Unexpected Value Type");
    }

    #[test]
    fn missing_required_value_is_located() {
        let c = config();
        let err = ObjectAccess::root(&c)
            .get::<String>("insecure")
            .unwrap_err();
        assert_eq!(err.summary, "Missing Required Value");
    }
}
