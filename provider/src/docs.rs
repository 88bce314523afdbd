//! Registry-layout documentation generated from the schemas, so the docs cannot drift
//! from the code: every attribute's description lives in one place, the schema.
//! `provider/tests/docs.rs` fails when `docs/` differs from what this renders
//! (`UPDATE_DOCS=1 cargo test -p terraform-provider-flux --test docs` rewrites it).

use std::fmt::Write as _;

use tfplug::{Attribute, AttributeKind, Schema};

/// One documentation page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Path below `docs/`, e.g. `data-sources/install.md`.
    pub path: String,
    /// The Markdown.
    pub text: String,
}

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The provider block (`docs/index.md`).
    Provider,
    /// A resource (`docs/resources/<stem>.md`).
    Resource,
    /// A data source (`docs/data-sources/<stem>.md`).
    DataSource,
}

/// Renders a page: title, the schema's description, a hand-written guide (may be
/// empty), the example, and the attribute reference.
pub fn render(kind: Kind, type_name: &str, schema: &Schema, guide: &str, example: &str) -> Page {
    let stem = type_name.strip_prefix("flux_").unwrap_or(type_name);
    let (path, title, subcategory) = match kind {
        Kind::Provider => ("index.md".to_string(), "Provider: Flux".to_string(), ""),
        Kind::Resource => (
            format!("resources/{stem}.md"),
            format!("{type_name} Resource - terraform-provider-flux"),
            "",
        ),
        Kind::DataSource => (
            format!("data-sources/{stem}.md"),
            format!("{type_name} Data Source - terraform-provider-flux"),
            "",
        ),
    };
    let heading = match kind {
        Kind::Provider => "Flux Provider".to_string(),
        Kind::Resource => format!("{type_name} (Resource)"),
        Kind::DataSource => format!("{type_name} (Data Source)"),
    };
    let mut text = String::new();
    let description = schema.block.description.lines().next().unwrap_or_default();
    let _ = writeln!(text, "---\npage_title: \"{title}\"\nsubcategory: \"{subcategory}\"\ndescription: |-\n  {description}\n---\n");
    let _ = writeln!(text, "# {heading}\n\n{}\n", schema.block.description);
    if !guide.trim().is_empty() {
        let _ = writeln!(text, "{}\n", guide.trim());
    }
    if !example.trim().is_empty() {
        let _ = writeln!(
            text,
            "## Example Usage\n\n```terraform\n{}\n```\n",
            example.trim()
        );
    }
    let _ = writeln!(
        text,
        "<!-- generated from the schema: do not edit below -->\n## Schema\n"
    );
    write_attributes(&mut text, &schema.block.attributes, "");
    Page {
        path,
        text: text.trim_end().to_string() + "\n",
    }
}

/// Whether an attribute belongs to a section of the reference.
type Membership = fn(&Attribute) -> bool;

fn write_attributes(text: &mut String, attributes: &[Attribute], anchor: &str) {
    let groups: [(&str, Membership); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| a.computed && !a.optional && !a.required),
    ];
    let mut nested = Vec::new();
    for (title, belongs) in groups {
        let mut members: Vec<&Attribute> = attributes.iter().filter(|a| belongs(a)).collect();
        if members.is_empty() {
            continue;
        }
        members.sort_by(|a, b| a.name.cmp(&b.name));
        let _ = writeln!(text, "### {title}\n");
        for a in members {
            let id = format!("{anchor}{}", a.name);
            let mut line = format!("- `{}` ({}", a.name, type_label(a));
            if a.sensitive {
                line.push_str(", Sensitive");
            }
            if a.deprecated {
                line.push_str(", Deprecated");
            }
            line.push(')');
            if !a.description.is_empty() {
                let _ = write!(line, " {}", a.description);
            }
            if let Some(default) = &a.default {
                let _ = write!(line, " Defaults to `{}`.", default_text(default));
            }
            if a.nested_attributes().is_some() {
                let _ = write!(line, " (see [below for nested schema](#nestedatt--{id}))");
                nested.push((id, a));
            }
            let _ = writeln!(text, "{line}");
        }
        text.push('\n');
    }
    for (id, a) in nested {
        if let Some((_, attrs)) = a.nested_attributes() {
            let _ = writeln!(
                text,
                "<a id=\"nestedatt--{id}\"></a>\n### Nested Schema for `{}`\n",
                id.replace("--", ".")
            );
            write_attributes(text, attrs, &format!("{id}--"));
        }
    }
}

fn type_label(a: &Attribute) -> String {
    match &a.kind {
        AttributeKind::Typed(ty) => capitalize(
            &ty.friendly_name()
                .replace("list(", "List of ")
                .replace("set(", "Set of ")
                .replace("map(", "Map of ")
                .replace(')', ""),
        ),
        AttributeKind::Nested(nesting, _) => format!("{nesting:?} Nested Attribute"),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn default_text(v: &tfplug::Value) -> String {
    match v {
        tfplug::Value::String(s) => s.clone(),
        tfplug::Value::Bool(b) => b.to_string(),
        tfplug::Value::Number(n) => n.to_string(),
        tfplug::Value::Set(items) | tfplug::Value::List(items) => {
            let mut names: Vec<String> = items.iter().map(default_text).collect();
            names.sort();
            format!("[{}]", names.join(", "))
        }
        other => other.kind_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplug::Type;

    #[test]
    fn attributes_are_grouped_and_nested_schemas_linked() {
        let schema = Schema::new(vec![
            Attribute::string("url").required().description("Where."),
            Attribute::string("token")
                .optional()
                .sensitive()
                .description("Secret."),
            Attribute::set("names", Type::String)
                .default(tfplug::Value::set(["b".into(), "a".into()])),
            Attribute::string("id").computed(),
            Attribute::single_nested("http", vec![Attribute::string("username").optional()])
                .optional(),
        ])
        .description("A thing.");
        let page = render(
            Kind::Resource,
            "flux_thing",
            &schema,
            "",
            "resource \"flux_thing\" \"x\" {}",
        );
        assert_eq!(page.path, "resources/thing.md");
        let t = &page.text;
        assert!(t.contains("### Required\n\n- `url` (String) Where."), "{t}");
        assert!(t.contains("- `token` (String, Sensitive) Secret."), "{t}");
        assert!(
            t.contains("- `names` (Set of string) Defaults to `[a, b]`."),
            "{t}"
        );
        assert!(t.contains("### Read-Only\n\n- `id` (String)"), "{t}");
        assert!(
            t.contains("<a id=\"nestedatt--http\"></a>\n### Nested Schema for `http`"),
            "{t}"
        );
        assert!(
            t.contains("```terraform\nresource \"flux_thing\" \"x\" {}\n```"),
            "{t}"
        );
    }
}
