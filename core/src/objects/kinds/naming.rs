//! The snake_case name of each field, derived from Flux's camelCase key at compile
//! time, and the few top-level fields named otherwise.

use super::super::field::FieldDef;

/// The longest name [`snake_case`] can derive; a longer one comes out empty, which
/// the table tests reject.
pub(super) const CAPACITY: usize = 64;

/// Top-level spec fields whose name is not their key's snake_case form. `provider`
/// and `depends_on` are reserved on every object by the configuration languages
/// that set these fields, and the other two say what the field does: `wait` alone
/// reads as a setting of the caller's own wait, and `chart.spec` is the only field
/// under `chart`.
pub(super) const RENAMED: &[(&str, &str)] = &[
    ("provider", "auth_provider"),
    ("dependsOn", "dependencies"),
    ("wait", "wait_for_objects"),
    ("chart.spec", "chart"),
];

/// The snake_case form of a camelCase key (`secretRef` → `secret_ref`), in a
/// buffer of [`CAPACITY`] bytes with the length used.
pub(super) const fn snake_case(key: &str) -> ([u8; CAPACITY], usize) {
    let bytes = key.as_bytes();
    let mut out = [0u8; CAPACITY];
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let upper = byte.is_ascii_uppercase();
        let width = if upper { 2 } else { 1 };
        if len + width > CAPACITY {
            return ([0u8; CAPACITY], 0);
        }
        if upper {
            out[len] = b'_';
            out[len + 1] = byte.to_ascii_lowercase();
        } else {
            out[len] = byte;
        }
        len += width;
        i += 1;
    }
    (out, len)
}

/// The first `N` bytes of a [`snake_case`] buffer, as an array of exactly that size
/// (so that a constant can hold it as a `&'static str`).
pub(super) const fn fit<const N: usize>(buffer: [u8; CAPACITY]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < CAPACITY {
        out[i] = buffer[i];
        i += 1;
    }
    out
}

/// A field's [`FieldName`](super::super::field::FieldName) from Flux's key alone:
/// `field!("secretRef")` names the field `secret_ref`.
macro_rules! field {
    ($key:literal) => {{
        const DERIVED: ([u8; $crate::objects::kinds::naming::CAPACITY], usize) =
            $crate::objects::kinds::naming::snake_case($key);
        const BYTES: [u8; DERIVED.1] = $crate::objects::kinds::naming::fit(DERIVED.0);
        const NAME: &str = match ::core::str::from_utf8(&BYTES) {
            Ok(name) => name,
            Err(_) => "",
        };
        $crate::objects::FieldName {
            name: NAME,
            key: $key,
        }
    }};
}
pub(super) use field;

/// A kind's top-level fields, with the names in [`RENAMED`] applied.
pub(super) const fn spec_fields<const N: usize>(mut fields: [FieldDef; N]) -> [FieldDef; N] {
    let mut i = 0;
    while i < N {
        let mut j = 0;
        while j < RENAMED.len() {
            if same(fields[i].key, RENAMED[j].0) {
                fields[i].name = RENAMED[j].1;
            }
            j += 1;
        }
        i += 1;
    }
    fields
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::all;
    use super::*;
    use crate::objects::FieldType;

    fn derived(key: &str) -> String {
        let (buffer, len) = snake_case(key);
        String::from_utf8_lossy(&buffer[..len]).into_owned()
    }

    #[test]
    fn snake_case_splits_before_each_capital() {
        assert_eq!(derived("url"), "url");
        assert_eq!(derived("secretRef"), "secret_ref");
        assert_eq!(
            derived("digestReflectionPolicy"),
            "digest_reflection_policy"
        );
        assert_eq!(derived("apiVersion"), "api_version");
    }

    #[test]
    fn snake_case_too_long_for_the_buffer_is_empty() {
        assert_eq!(derived(&"a".repeat(CAPACITY)), "a".repeat(CAPACITY));
        assert_eq!(derived(&"a".repeat(CAPACITY + 1)), "");
        assert_eq!(derived(&"aB".repeat(CAPACITY / 3 + 1)), "");
    }

    #[test]
    fn field_macro_derives_the_name() {
        let name = field!("serviceAccountName");
        assert_eq!(
            (name.name, name.key),
            ("service_account_name", "serviceAccountName")
        );
    }

    #[test]
    fn spec_fields_renames_only_the_listed_keys() {
        let fields = spec_fields([
            FieldDef::string(field!("provider"), ""),
            FieldDef::string(field!("dependsOn"), ""),
            FieldDef::string(field!("secretRef"), ""),
        ]);
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["auth_provider", "dependencies", "secret_ref"]);
    }

    fn nested(field: &FieldDef) -> &'static [FieldDef] {
        match field.ty {
            FieldType::Object(fields) | FieldType::ObjectList(fields) => fields,
            _ => &[],
        }
    }

    fn check_derived(fields: &[FieldDef]) {
        for field in fields {
            assert_eq!(field.name, derived(field.key), "{}", field.key);
            check_derived(nested(field));
        }
    }

    // Nested fields keep their derived names: `decryption.provider` stays `provider`.
    #[test]
    fn every_table_name_is_derived_or_a_listed_top_level_exception() {
        for kind in all() {
            for field in kind.fields {
                match RENAMED.iter().find(|(key, _)| *key == field.key) {
                    Some((_, name)) => assert_eq!(field.name, *name, "{}", kind.kind),
                    None => assert_eq!(field.name, derived(field.key), "{}", kind.kind),
                }
                check_derived(nested(field));
            }
        }
    }

    #[test]
    fn every_exception_is_used_by_some_kind() {
        for (key, _) in RENAMED {
            assert!(
                all().iter().any(|k| k.fields.iter().any(|f| f.key == *key)),
                "{key}"
            );
        }
    }
}
