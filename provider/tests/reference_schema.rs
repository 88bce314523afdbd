//! Schema parity with the reference provider (fluxcd/terraform-provider-flux v1.8.5):
//! every attribute of its provider block and of `flux_bootstrap_git` exists here with
//! the same type and the same required/optional/computed/sensitive/deprecated flags,
//! except for the differences listed in `DOCUMENTED`, each of which
//! docs/guides/migrating-from-fluxcd-flux.md explains. A flag that differs changes
//! what Terraform plans for a migrated state, so any other difference fails here.
//!
//! The reference's schema is tests/fixtures/reference-provider/schema.json, its
//! `terraform providers schema -json` (the README there says where it came from).
#![cfg(test)]

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};
use terraform_provider_flux::FluxProvider;
use tfplug::{Attribute, AttributeKind, Nesting, Provider};

const REFERENCE: &str = include_str!("../../tests/fixtures/reference-provider/schema.json");
const ADDRESS: &str = "registry.terraform.io/fluxcd/flux";

/// Differences kept on purpose: `path: flag reference -> ours`.
const DOCUMENTED: [&str; 4] = [
    // Credentials the reference stores and prints in clear text.
    "flux_bootstrap_git.registry_credentials: sensitive false -> true",
    "provider.kubernetes.client_key: sensitive false -> true",
    "provider.kubernetes.password: sensitive false -> true",
    "provider.kubernetes.token: sensitive false -> true",
];

/// The flags Terraform's `providers schema -json` prints for each attribute, by
/// dotted path; absent flags are `false` there, so they are spelled out here.
fn flatten_reference(prefix: &str, attrs: &Json, out: &mut BTreeMap<String, Json>) {
    let Some(attrs) = attrs.as_object() else {
        panic!("{prefix}: attributes are not an object");
    };
    for (name, attr) in attrs {
        let path = format!("{prefix}.{name}");
        let flag = |f: &str| attr.get(f).and_then(Json::as_bool).unwrap_or(false);
        let mut flags = json!({
            "required": flag("required"),
            "optional": flag("optional"),
            "computed": flag("computed"),
            "sensitive": flag("sensitive"),
            "deprecated": flag("deprecated"),
        });
        if let Some(nested) = attr.get("nested_type") {
            flags["nesting"] = nested["nesting_mode"].clone();
            flatten_reference(&path, &nested["attributes"], out);
        } else {
            flags["type"] = attr["type"].clone();
        }
        out.insert(path, flags);
    }
}

fn flatten_ours(prefix: &str, attrs: &[Attribute], out: &mut BTreeMap<String, Json>) {
    for attr in attrs {
        let path = format!("{prefix}.{}", attr.name);
        let mut flags = json!({
            "required": attr.required,
            "optional": attr.optional,
            "computed": attr.computed,
            "sensitive": attr.sensitive,
            "deprecated": attr.deprecated,
        });
        match &attr.kind {
            AttributeKind::Typed(ty) => flags["type"] = ty.to_json(),
            AttributeKind::Nested(nesting, nested) => {
                flags["nesting"] = json!(match nesting {
                    Nesting::Single => "single",
                    Nesting::List => "list",
                    Nesting::Set => "set",
                    Nesting::Map => "map",
                });
                flatten_ours(&path, nested, out);
            }
        }
        out.insert(path, flags);
    }
}

/// Every difference between the two flattened schemas, and the attributes only ours
/// has (extensions).
fn differences(
    reference: &BTreeMap<String, Json>,
    ours: &BTreeMap<String, Json>,
) -> (Vec<String>, Vec<String>) {
    let mut diffs = Vec::new();
    for (path, want) in reference {
        let Some(have) = ours.get(path) else {
            diffs.push(format!("{path}: missing"));
            continue;
        };
        let (Some(want), Some(have)) = (want.as_object(), have.as_object()) else {
            continue;
        };
        for (flag, value) in want {
            let other = have.get(flag).unwrap_or(&Json::Null);
            if other != value {
                diffs.push(format!("{path}: {flag} {value} -> {other}"));
            }
        }
    }
    let extensions = ours
        .keys()
        .filter(|p| !reference.contains_key(*p))
        .cloned()
        .collect();
    (diffs, extensions)
}

fn reference_schemas() -> Json {
    let all: Json = serde_json::from_str(REFERENCE).unwrap();
    all["provider_schemas"][ADDRESS].clone()
}

#[test]
fn provider_and_bootstrap_schemas_match_the_reference_except_documented_differences() {
    let reference = reference_schemas();
    let provider = FluxProvider::new();
    let mut theirs = BTreeMap::new();
    flatten_reference(
        "provider",
        &reference["provider"]["block"]["attributes"],
        &mut theirs,
    );
    let bootstrap = &reference["resource_schemas"]["flux_bootstrap_git"];
    flatten_reference(
        "flux_bootstrap_git",
        &bootstrap["block"]["attributes"],
        &mut theirs,
    );

    let mut ours = BTreeMap::new();
    flatten_ours("provider", &provider.schema().block.attributes, &mut ours);
    let resource = provider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "flux_bootstrap_git")
        .unwrap();
    let schema = resource.schema();
    flatten_ours("flux_bootstrap_git", &schema.block.attributes, &mut ours);

    // A state the reference wrote is read without an upgrade step of its version.
    assert_eq!(json!(schema.version), bootstrap["version"]);
    assert!(
        schema.block.blocks.is_empty(),
        "the reference has no blocks"
    );

    let (diffs, extensions) = differences(&theirs, &ours);
    assert_eq!(diffs, DOCUMENTED, "undocumented schema differences");
    // A reference configuration leaves every extension out, so none may be required
    // where the reference's attributes are (inside an extension it may be).
    for path in &extensions {
        let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
        if !parent.contains('.') || theirs.contains_key(parent) {
            assert_eq!(ours[path]["required"], json!(false), "{path} is required");
        }
    }
}

#[test]
fn the_comparison_sees_a_changed_flag_and_a_missing_attribute() {
    let mut theirs = BTreeMap::new();
    flatten_reference(
        "r",
        &json!({
            "a": {"type": "string", "optional": true},
            "b": {"type": "bool", "optional": true},
        }),
        &mut theirs,
    );
    let mut ours = BTreeMap::new();
    flatten_ours(
        "r",
        &[
            Attribute::string("a").optional().computed(),
            Attribute::string("c").optional(),
        ],
        &mut ours,
    );
    let (diffs, extensions) = differences(&theirs, &ours);
    assert_eq!(diffs, ["r.a: computed false -> true", "r.b: missing"]);
    assert_eq!(extensions, ["r.c"]);
}
