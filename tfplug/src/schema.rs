//! Schemas: the attributes and blocks of a provider, resource or data source, with
//! their plan-time behaviour (defaults, validators, plan modifiers).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::plan::PlanModifier;
use crate::types::Type;
use crate::validator::Validator;
use crate::value::Value;

/// A versioned schema. The version is stored with the state, and
/// `UpgradeResourceState` receives it back.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// The schema version.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A version-0 schema of the given attributes.
    pub fn new(attributes: Vec<Attribute>) -> Self {
        Self {
            version: 0,
            block: Block {
                attributes,
                ..Block::default()
            },
        }
    }

    /// Sets the schema version.
    pub fn version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// Sets the description (Markdown).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.block.description = text.into();
        self
    }

    /// Adds nested blocks.
    pub fn blocks(mut self, blocks: Vec<NestedBlock>) -> Self {
        self.block.blocks = blocks;
        self
    }

    /// The object type of a value of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

/// A block: attributes and nested blocks.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// The attributes, in documentation order.
    pub attributes: Vec<Attribute>,
    /// The nested blocks.
    pub blocks: Vec<NestedBlock>,
    /// Markdown description.
    pub description: String,
    /// Whether the whole block is deprecated.
    pub deprecated: bool,
}

impl Block {
    /// The object type of a value of this block.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.name.clone(), b.value_type());
        }
        Type::Object(attrs)
    }

    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// How nested attributes or blocks repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// One object (`x = { ... }`).
    Single,
    /// A list of objects.
    List,
    /// A set of objects.
    Set,
    /// A map of objects.
    Map,
}

/// What an attribute holds.
#[derive(Clone, Debug)]
pub enum AttributeKind {
    /// A value of a plain type.
    Typed(Type),
    /// Nested attributes (protocol 6): `x = { a = 1 }`.
    Nested(Nesting, Vec<Attribute>),
}

/// An attribute, with its plan-time behaviour.
#[derive(Clone, Debug)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// Its type, or its nested attributes.
    pub kind: AttributeKind,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// The provider may set it.
    pub computed: bool,
    /// Hidden in plan output and marked sensitive in state.
    pub sensitive: bool,
    /// Deprecated: Terraform warns when it is set.
    pub deprecated: bool,
    /// Never stored in plan or state (Terraform 1.11+).
    pub write_only: bool,
    /// Markdown description.
    pub description: String,
    /// The value planned when the configuration leaves it null (optional + computed).
    pub default: Option<Value>,
    /// Checks run on known, non-null configuration values.
    pub validators: Vec<Arc<dyn Validator>>,
    /// Plan modifiers, in order.
    pub modifiers: Vec<PlanModifier>,
}

impl Attribute {
    fn typed(name: &str, ty: Type) -> Self {
        Self {
            name: name.to_string(),
            kind: AttributeKind::Typed(ty),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            write_only: false,
            description: String::new(),
            default: None,
            validators: Vec::new(),
            modifiers: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: &str) -> Self {
        Self::typed(name, Type::String)
    }

    /// A bool attribute.
    pub fn bool(name: &str) -> Self {
        Self::typed(name, Type::Bool)
    }

    /// A number attribute.
    pub fn number(name: &str) -> Self {
        Self::typed(name, Type::Number)
    }

    /// A list attribute.
    pub fn list(name: &str, element: Type) -> Self {
        Self::typed(name, Type::list(element))
    }

    /// A set attribute.
    pub fn set(name: &str, element: Type) -> Self {
        Self::typed(name, Type::set(element))
    }

    /// A map attribute.
    pub fn map(name: &str, element: Type) -> Self {
        Self::typed(name, Type::map(element))
    }

    /// A dynamic attribute.
    pub fn dynamic(name: &str) -> Self {
        Self::typed(name, Type::Dynamic)
    }

    /// An attribute of any type.
    pub fn of_type(name: &str, ty: Type) -> Self {
        Self::typed(name, ty)
    }

    /// A single nested attribute (`name = { ... }`).
    pub fn single_nested(name: &str, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::Single, attributes)
    }

    /// A list of nested objects (`name = [{ ... }]`).
    pub fn list_nested(name: &str, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::List, attributes)
    }

    /// A set of nested objects.
    pub fn set_nested(name: &str, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::Set, attributes)
    }

    /// A map of nested objects.
    pub fn map_nested(name: &str, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::Map, attributes)
    }

    fn nested(name: &str, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        Self {
            kind: AttributeKind::Nested(nesting, attributes),
            ..Self::typed(name, Type::Dynamic)
        }
    }

    /// Marks the attribute required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Marks the attribute optional.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Marks the attribute computed.
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Marks the attribute sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated.
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    /// Marks the attribute write-only.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    /// Sets the Markdown description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Optional + computed with a default planned when the configuration is null.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.optional = true;
        self.computed = true;
        self.default = Some(value.into());
        self
    }

    /// Adds a validator.
    pub fn validate(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// Makes every optional single nested attribute, this one and those at any depth
    /// inside it, optional + computed and planned exactly as configured
    /// ([`PlanModifier::AsConfigured`]). Terraform before 1.0.5 crashes planning a
    /// resource whose configuration leaves out a single nested attribute that is not
    /// computed; declared computed it is accepted, and it still behaves as a plain
    /// input on every version.
    pub fn input_object(mut self) -> Self {
        if let AttributeKind::Nested(nesting, attrs) = &mut self.kind {
            if *nesting == Nesting::Single && self.optional && !self.computed {
                self.computed = true;
                self.modifiers.push(PlanModifier::AsConfigured);
            }
            let inner = std::mem::take(attrs);
            *attrs = inner.into_iter().map(Attribute::input_object).collect();
        }
        self
    }

    /// Adds a plan modifier.
    pub fn modify(mut self, modifier: PlanModifier) -> Self {
        self.modifiers.push(modifier);
        self
    }

    /// The type of this attribute's value.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Typed(ty) => ty.clone(),
            AttributeKind::Nested(nesting, attrs) => {
                let object = Type::Object(
                    attrs
                        .iter()
                        .map(|a| (a.name.clone(), a.value_type()))
                        .collect(),
                );
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => Type::list(object),
                    Nesting::Set => Type::set(object),
                    Nesting::Map => Type::map(object),
                }
            }
        }
    }

    /// The nested attributes, if any.
    pub fn nested_attributes(&self) -> Option<(Nesting, &[Attribute])> {
        match &self.kind {
            AttributeKind::Nested(n, attrs) => Some((*n, attrs)),
            AttributeKind::Typed(_) => None,
        }
    }
}

/// A nested block (`name { ... }`).
#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// The block type name.
    pub name: String,
    /// How it repeats.
    pub nesting: Nesting,
    /// Its content.
    pub block: Block,
    /// Minimum count (list and set).
    pub min_items: i64,
    /// Maximum count (list and set); 0 is unlimited.
    pub max_items: i64,
}

impl NestedBlock {
    /// A nested block.
    pub fn new(name: &str, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        Self {
            name: name.to_string(),
            nesting,
            block: Block {
                attributes,
                ..Block::default()
            },
            min_items: 0,
            max_items: 0,
        }
    }

    /// The type of this block's value.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }
}

impl std::fmt::Debug for dyn Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider_like() -> Schema {
        Schema::new(vec![
            Attribute::single_nested(
                "kubernetes",
                vec![
                    Attribute::string("host").optional(),
                    Attribute::string("token").optional().sensitive(),
                    Attribute::set("config_paths", Type::String).optional(),
                ],
            )
            .optional(),
            Attribute::string("id").computed(),
        ])
    }

    #[test]
    fn value_type_follows_nesting() {
        let ty = provider_like().value_type();
        assert_eq!(
            ty,
            Type::object([
                ("id", Type::String),
                (
                    "kubernetes",
                    Type::object([
                        ("config_paths", Type::set(Type::String)),
                        ("host", Type::String),
                        ("token", Type::String),
                    ])
                ),
            ])
        );
    }

    #[test]
    fn default_makes_an_attribute_optional_and_computed() {
        let a = Attribute::string("namespace").default("flux-system");
        assert!(a.optional && a.computed);
        assert_eq!(a.default, Some(Value::from("flux-system")));
    }
}
