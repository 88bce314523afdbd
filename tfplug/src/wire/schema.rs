//! Schemas on the wire. Descriptions are Markdown; plan-time behaviour (defaults,
//! validators, modifiers) stays on this side.

use crate::proto::tfplugin6 as pb;
use crate::schema::{Attribute, AttributeKind, Block, NestedBlock, Nesting, Schema};

/// The protocol form of `schema`.
pub(crate) fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block, schema.version)),
    }
}

fn block(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.blocks.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated,
    }
}

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &attribute.kind {
        AttributeKind::Typed(ty) => (ty.to_json().to_string().into_bytes(), None),
        AttributeKind::Nested(nesting, attrs) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attrs.iter().map(self::attribute).collect(),
                nesting: object_nesting(*nesting) as i32,
            }),
        ),
    };
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: ty,
        nested_type,
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attribute.deprecated,
        write_only: attribute.write_only,
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    pb::schema::NestedBlock {
        type_name: nested.name.clone(),
        block: Some(block(&nested.block, 0)),
        nesting: block_nesting(nested.nesting) as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

fn object_nesting(nesting: Nesting) -> pb::schema::object::NestingMode {
    use pb::schema::object::NestingMode;
    match nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    }
}

fn block_nesting(nesting: Nesting) -> pb::schema::nested_block::NestingMode {
    use pb::schema::nested_block::NestingMode;
    match nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Type;

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
    fn nested_attributes_travel_as_a_nested_type() {
        let wire = schema(&provider_like());
        let block = wire.block.unwrap();
        let k8s = block
            .attributes
            .iter()
            .find(|a| a.name == "kubernetes")
            .unwrap();
        assert!(k8s.r#type.is_empty());
        let nested = k8s.nested_type.as_ref().unwrap();
        assert_eq!(
            nested.nesting,
            pb::schema::object::NestingMode::Single as i32
        );
        let token = nested
            .attributes
            .iter()
            .find(|a| a.name == "token")
            .unwrap();
        assert!(token.sensitive);
        assert_eq!(token.r#type, b"\"string\"".to_vec());
        let id = block.attributes.iter().find(|a| a.name == "id").unwrap();
        assert!(id.computed && !id.optional);
    }

    #[test]
    fn nested_blocks_carry_version_zero_and_their_nesting() {
        let versioned = Schema::new(vec![]).version(3).blocks(vec![NestedBlock::new(
            "patch",
            Nesting::List,
            vec![Attribute::string("target").required()],
        )]);
        let wire = schema(&versioned);
        assert_eq!(wire.version, 3);
        let block = wire.block.unwrap();
        assert_eq!(block.version, 3);
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        let patch = &block.block_types[0];
        assert_eq!(patch.type_name, "patch");
        assert_eq!(
            patch.nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        assert_eq!(patch.block.as_ref().map(|b| b.version), Some(0));
    }
}
