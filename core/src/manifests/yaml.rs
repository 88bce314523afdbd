//! Multi-document YAML in and out, with kustomize's output layout.
//!
//! Output: keys sorted, 2-space indent, sequences not indented under their key, `---`
//! between documents, multi-line strings as literal blocks, and strings that would read back
//! as another type quoted.

use serde::Deserialize as _;
use serde_json::{Map, Value};

use super::ManifestError;

/// Parses a multi-document YAML stream into JSON values, skipping empty documents.
///
/// `what` names the input in errors (a file name or an option).
pub fn parse_yaml_stream(text: &str, what: &str) -> Result<Vec<Value>, ManifestError> {
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|source| ManifestError::Yaml {
            what: what.to_string(),
            source,
        })?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// Parses a multi-document YAML stream of Kubernetes objects.
///
/// Every document must be a mapping with `apiVersion`, `kind` and `metadata.name`
/// strings; empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, ManifestError> {
    parse_objects(text, "manifest")
}

pub(crate) fn parse_objects(text: &str, what: &str) -> Result<Vec<Value>, ManifestError> {
    let values = parse_yaml_stream(text, what)?;
    for (index, value) in values.iter().enumerate() {
        check_object(value).map_err(|reason| ManifestError::NotAnObject {
            what: what.to_string(),
            index,
            reason,
        })?;
    }
    Ok(values)
}

fn check_object(value: &Value) -> Result<(), String> {
    let map = value.as_object().ok_or("not a mapping")?;
    for key in ["apiVersion", "kind"] {
        if !map.get(key).is_some_and(Value::is_string) {
            return Err(format!("{key} is missing or not a string"));
        }
    }
    if !value
        .pointer("/metadata/name")
        .is_some_and(Value::is_string)
    {
        return Err("metadata.name is missing or not a string".to_string());
    }
    Ok(())
}

/// Writes objects as a YAML stream separated by `---` lines, in kustomize's layout.
pub fn write_documents(objects: &[Value]) -> String {
    let mut out = String::with_capacity(objects.len() * 2048);
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write_document(&mut out, object);
    }
    out
}

/// Writes one value as a YAML document (no separator).
pub fn write_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(out, items, 0),
        other => {
            write_inline(out, other, 0);
            out.push('\n');
        }
    }
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// go-yaml writes a key longer than this many bytes as an explicit `? key` entry. YAML
/// itself bounds an implicit key at 1024 characters, so longer ones must be explicit to
/// read back at all.
const SIMPLE_KEY_MAX: usize = 128;

/// Writes a non-empty mapping whose first key goes at the current position and whose other
/// keys are indented by `level`.
fn write_map(out: &mut String, map: &Map<String, Value>, level: usize) {
    for (i, (key, value)) in sorted_entries(map).into_iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        if key.len() > SIMPLE_KEY_MAX {
            out.push_str("? ");
            write_string(out, key, level + 2, true);
            out.push('\n');
            indent(out, level);
        } else {
            write_string(out, key, level, true);
        }
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

fn write_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            indent(out, level + 2);
            write_map(out, map, level + 2);
        }
        // Sequences under a key are not indented, as kustomize writes them.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            indent(out, level);
            write_seq(out, items, level);
        }
        other => {
            out.push(' ');
            write_inline(out, other, level + 2);
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, level);
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, level + 2),
            Value::Array(inner) if !inner.is_empty() => write_seq(out, inner, level + 2),
            other => {
                write_inline(out, other, level + 2);
                out.push('\n');
            }
        }
    }
}

/// Writes a scalar or an empty collection; `level` is the indent of a literal block's lines.
fn write_inline(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s, level, false),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_string(out: &mut String, s: &str, level: usize, is_key: bool) {
    if !is_key && s.contains('\n') && literal_block_ok(s) {
        write_literal(out, s, level);
    } else if s.is_empty() || resolves_to_non_string(s) {
        write_double_quoted(out, s);
    } else if !plain_ok(s) {
        if s.chars().all(|c| !needs_escape(c)) {
            write_breakable(out, s, level, !is_key, true);
        } else {
            write_double_quoted(out, s);
        }
    } else {
        write_breakable(out, s, level, !is_key, false);
    }
}

/// go-yaml's width: a plain or single-quoted scalar breaks at a single space once the line
/// is past this column.
const BEST_WIDTH: usize = 80;

/// Writes a plain or single-quoted scalar, folding long lines as go-yaml (and so kustomize
/// and Flux) does; continuation lines are indented to `level`.
fn write_breakable(out: &mut String, s: &str, level: usize, allow_breaks: bool, quoted: bool) {
    let line_start = out.rfind('\n').map_or(0, |i| i + 1);
    // Bytes bound characters from above, so a short line needs no counting.
    let line_bytes = out.len() - line_start;
    let extra = if quoted {
        s.matches('\'').count() + 2
    } else {
        0
    };
    // Short scalars (and keys, which never break) cannot reach the width: write them whole.
    if !allow_breaks || line_bytes + s.len() + extra <= BEST_WIDTH {
        if quoted {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        } else {
            out.push_str(s);
        }
        return;
    }
    let mut column = out[line_start..].chars().count();
    if quoted {
        out.push('\'');
        column += 1;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let inner = i > 0 && i + 1 < chars.len();
            let next_is_space = chars.get(i + 1) == Some(&' ');
            if allow_breaks && !spaces && column > BEST_WIDTH && inner && !next_is_space {
                out.push('\n');
                indent(out, level);
                column = level;
            } else {
                out.push(' ');
                column += 1;
            }
            spaces = true;
        } else {
            if quoted && c == '\'' {
                out.push_str("''");
                column += 2;
            } else {
                out.push(c);
                column += 1;
            }
            spaces = false;
        }
    }
    if quoted {
        out.push('\'');
    }
}

fn literal_block_ok(s: &str) -> bool {
    !s.starts_with(' ')
        && !s.starts_with('\n')
        && s.lines().all(|l| !l.ends_with(' ') && !l.ends_with('\t'))
        && s.chars().all(|c| c == '\n' || !needs_escape(c))
}

fn write_literal(out: &mut String, s: &str, level: usize) {
    let (body, chomp) = if let Some(stripped) = s.strip_suffix('\n') {
        if stripped.ends_with('\n') {
            (s.trim_end_matches('\n'), "+")
        } else {
            (stripped, "")
        }
    } else {
        (s, "-")
    };
    out.push('|');
    out.push_str(chomp);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
    }
    if chomp == "+" {
        for _ in 0..(s.len() - body.len() - 1) {
            out.push('\n');
        }
    }
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Characters only a double-quoted escape carries: control characters; the line and
/// paragraph separators, which YAML 1.1 readers (libyaml, so serde_norway) take for line
/// breaks in any other style; the byte order mark, which libyaml skips at the start of a
/// line; and U+FFFE and U+FFFF, which it refuses unescaped.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// Strings that a YAML 1.1 or 1.2 reader would take for a bool, null or number.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: [&str; 26] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "True", "False", "Yes",
        "No", "On", "Off", "TRUE", "FALSE", "YES", "NO", "NULL", "Null", "Y", "N", "ON", "OFF",
    ];
    // The longest word has five letters; numbers start with a digit, a sign or a dot.
    if s.len() <= 5 && WORDS.contains(&s) {
        return true;
    }
    match s.as_bytes().first() {
        Some(b'0'..=b'9' | b'-' | b'+' | b'.') => looks_numeric(s),
        _ => false,
    }
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    if matches!(t, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if let Some(hex) = t.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| c.is_digit(8));
    }
    // Decimal integers and floats, with YAML 1.1's `_` separators and `:` sexagesimals.
    let mut digits = 0;
    let mut dots = 0;
    let mut exp = false;
    let mut prev = ' ';
    for c in t.chars() {
        match c {
            '0'..='9' => digits += 1,
            '_' | ':' if digits > 0 => {}
            '.' => dots += 1,
            'e' | 'E' if digits > 0 && !exp => exp = true,
            '-' | '+' if matches!(prev, 'e' | 'E') => {}
            _ => return false,
        }
        prev = c;
    }
    digits > 0 && dots <= 1
}

fn plain_ok(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) {
        // `-`, `?` and `:` may start a plain scalar when followed by a non-space.
        let second = bytes.get(1).copied();
        let allowed = matches!(first, b'-' | b'?' | b':')
            && second.is_some_and(|c| c != b' ')
            && !(first == b'-' && s.starts_with("---"));
        if !allowed {
            return false;
        }
    }
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    let mut prev = 0u8;
    for &b in bytes {
        let bad =
            b < 0x20 || b == 0x7f || (b == b' ' && prev == b':') || (b == b'#' && prev == b' ');
        if bad {
            return false;
        }
        prev = b;
    }
    s.is_ascii() || !s.chars().any(needs_escape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) -> Value {
        let text = write_documents(std::slice::from_ref(v));
        let back = parse_yaml_stream(&text, "test").unwrap();
        back.into_iter().next().unwrap_or(Value::Null)
    }

    #[test]
    fn write_documents_tricky_strings_read_back_equal() {
        let v = json!({
            "a": ["*", "", "true", "1000", "0x1F", "1e3", "- x", "a: b", "a #b", "'q'",
                   "\"dq\"", "line1\nline2", "ends\n", "many\n\n", " lead", "trail ", "x\ty",
                   "null", "~", "-1", "1.5", "--flag=1", ":x", "@at", "%p", "ok-plain",
                   "c\u{1}d", "  indented\nblock", "yes", "On"],
            "nested": {"list": [{"k": 1, "l": [1, [2, 3]]}, []], "empty": {}},
            "n": null, "f": 1.25, "b": false
        });
        assert_eq!(roundtrip(&v), v);
    }

    // Found by the yaml_roundtrip fuzz target: a line separator (U+2028) inside a
    // literal block was read back as a line break, with the next line's indentation cut.
    #[test]
    fn write_documents_line_separators_read_back_equal() {
        let v = json!({
            "a": "spec:\n\u{2028}      nodeSelector:\n  x",
            "b": "one\u{2028}two",
            "c": "para\u{2029} graph",
            "d": "x y\u{2028}",
        });
        let text = write_documents(std::slice::from_ref(&v));
        assert!(
            text.contains("\\u2028") && text.contains("\\u2029"),
            "{text}"
        );
        assert_eq!(roundtrip(&v), v);
    }

    // Found by the yaml_roundtrip fuzz target: a key starting with a byte order mark
    // was written plain at the start of a line, where libyaml skips the mark (here the
    // rest then opened a quoted scalar that never closed).
    #[test]
    fn write_documents_byte_order_marks_read_back_equal() {
        let v = json!({
            "\u{feff}'a": ["*", "\u{feff}'"],
            "b": "x\u{feff}y",
            "c": ["\u{fffe}", "\u{ffff} z"],
        });
        assert_eq!(roundtrip(&v), v);
    }

    // Found by the yaml_roundtrip fuzzer: a key past YAML's 1024-character bound on
    // implicit keys was written as `key: value`, which does not parse.
    #[test]
    fn write_documents_long_keys_are_explicit_and_read_back_equal() {
        let long = format!("k{}", "ey\t[=, ".repeat(200));
        let medium = "m".repeat(129);
        let v = json!({
            "spec": {
                long.clone(): null,
                medium.clone(): {"a": [1, {"b": "c"}], "d": "e"},
                "list": [{long.clone(): ["x", "y"]}],
                "m".repeat(128): "simple",
            }
        });
        let text = write_documents(std::slice::from_ref(&v));
        assert!(text.contains(&format!("  ? {medium}\n  :\n")), "{text}");
        assert!(
            text.contains(&format!("  {}: simple\n", "m".repeat(128))),
            "{text}"
        );
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn write_documents_long_strings_fold_and_read_back_equal() {
        let long = "word ".repeat(40).trim_end().to_string();
        let quoted = format!("'{long}' and a: colon {long}");
        let v = json!({"spec": {"items": [{"message": long, "rule": quoted}], "k": long}});
        let text = write_documents(std::slice::from_ref(&v));
        assert!(text.lines().all(|l| l.len() < 100), "{text}");
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn write_documents_layout_is_kustomize_style() {
        let v = json!({"kind": "X", "apiVersion": "v1", "spec": {"items": [{"b": 1, "a": "*"}], "e": {}}});
        let text = write_documents(&[v.clone(), v]);
        assert_eq!(
            text,
            "apiVersion: v1\nkind: X\nspec:\n  e: {}\n  items:\n  - a: '*'\n    b: 1\n---\napiVersion: v1\nkind: X\nspec:\n  e: {}\n  items:\n  - a: '*'\n    b: 1\n"
        );
    }

    #[test]
    fn parse_documents_non_object_fails_naming_the_document() {
        let err = parse_documents("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n- 1\n")
            .unwrap_err();
        assert!(err.to_string().contains("document 1"), "{err}");
    }
}
