//! Terraform values to Kubernetes spec JSON and back, driven by the kind's
//! field table, with every error located at its attribute.

use flux_core::objects::{FieldDef, FieldType};
use serde_json::{Map, Value as Json};
use tfplug::{AttributePath, Number, Value};

/// Parses Helm-values-like text (YAML or JSON) into a JSON object.
pub fn parse_document(text: &str) -> Result<Json, String> {
    let docs = flux_core::manifests::parse_yaml_stream(text, "values")
        .map_err(|e| format!("not valid YAML: {e}"))?;
    match docs.into_iter().next() {
        None => Ok(Json::Object(Map::new())),
        Some(v @ Json::Object(_)) => Ok(v),
        Some(_) => Err("must be a YAML or JSON mapping".into()),
    }
}

/// Sets `value` at a dotted key (`chart.spec`).
fn set_key(map: &mut Map<String, Json>, key: &str, value: Json) {
    match key.split_once('.') {
        None => {
            map.insert(key.to_string(), value);
        }
        Some((first, rest)) => {
            let slot = map
                .entry(first.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(inner) = slot {
                set_key(inner, rest, value);
            }
        }
    }
}

fn get_key<'a>(map: &'a Map<String, Json>, key: &str) -> Option<&'a Json> {
    let mut parts = key.split('.');
    let mut value = map.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// The spec JSON of a known resource value (configuration, plan or state). Null
/// attributes are left out; unknown ones too (only validation sees them).
pub fn spec_from_value(
    fields: &[FieldDef],
    value: &Value,
    path: &AttributePath,
    errors: &mut Vec<(AttributePath, String)>,
) -> Map<String, Json> {
    let mut out = Map::new();
    for field in fields {
        let attr = value.attr(field.name);
        if attr.is_null() || attr.is_unknown() {
            continue;
        }
        let at = path.at_attr(field.name);
        if let Some(json) = field_json(field, attr, &at, errors) {
            set_key(&mut out, field.key, json);
        }
    }
    out
}

fn field_json(
    field: &FieldDef,
    value: &Value,
    path: &AttributePath,
    errors: &mut Vec<(AttributePath, String)>,
) -> Option<Json> {
    Some(match field.ty {
        FieldType::String => Json::from(value.as_str()?),
        FieldType::LocalRef => serde_json::json!({ "name": value.as_str()? }),
        FieldType::Bool => Json::from(value.as_bool()?),
        FieldType::Int => Json::from(value.as_number()?.as_i64()?),
        FieldType::StringList => Json::Array(
            value
                .as_elements()?
                .iter()
                .filter_map(Value::as_str)
                .map(Json::from)
                .collect(),
        ),
        FieldType::StringMap => Json::Object(
            value
                .as_entries()?
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), Json::from(s))))
                .collect(),
        ),
        FieldType::Object(nested) => Json::Object(spec_from_value(nested, value, path, errors)),
        FieldType::ObjectList(nested) => Json::Array(
            value
                .as_elements()?
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    Json::Object(spec_from_value(nested, item, &path.at_index(i), errors))
                })
                .collect(),
        ),
        FieldType::Document => match parse_document(value.as_str()?) {
            Ok(json) => json,
            Err(reason) => {
                errors.push((path.clone(), reason));
                return None;
            }
        },
    })
}

/// The attributes of a spec (an import or a drifted object): every field of the
/// table, null where the spec has none.
pub fn value_from_spec(fields: &[FieldDef], spec: &Map<String, Json>) -> Vec<(String, Value)> {
    fields
        .iter()
        .map(|field| {
            let value = get_key(spec, field.key)
                .map(|json| field_value(field, json))
                .unwrap_or(Value::Null);
            (field.name.to_string(), value)
        })
        .collect()
}

fn field_value(field: &FieldDef, json: &Json) -> Value {
    match field.ty {
        FieldType::String => json.as_str().map(Value::from).unwrap_or(Value::Null),
        FieldType::LocalRef => json
            .get("name")
            .and_then(Json::as_str)
            .map(Value::from)
            .unwrap_or(Value::Null),
        FieldType::Bool => json.as_bool().map(Value::from).unwrap_or(Value::Null),
        FieldType::Int => json
            .as_i64()
            .map(|i| Value::Number(Number::Int(i)))
            .unwrap_or(Value::Null),
        FieldType::StringList => match json.as_array() {
            Some(items) => Value::list(items.iter().filter_map(Json::as_str).map(Value::from)),
            None => Value::Null,
        },
        FieldType::StringMap => match json.as_object() {
            Some(map) => Value::object(
                map.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), Value::from(s)))),
            ),
            None => Value::Null,
        },
        FieldType::Object(nested) => match json.as_object() {
            Some(map) => Value::object(value_from_spec(nested, map)),
            None => Value::Null,
        },
        FieldType::ObjectList(nested) => match json.as_array() {
            Some(items) => Value::list(
                items
                    .iter()
                    .filter_map(Json::as_object)
                    .map(|map| Value::object(value_from_spec(nested, map))),
            ),
            None => Value::Null,
        },
        FieldType::Document => Value::from(json.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::objects::kinds::{HELM_RELEASE, KUSTOMIZATION};

    #[test]
    fn spec_from_value_and_back_round_trips_nested_fields() {
        let value = Value::object([
            (
                "source_ref",
                Value::object([("kind", "GitRepository".into()), ("name", "podinfo".into())]),
            ),
            ("prune", true.into()),
            (
                "dependencies",
                Value::list([Value::object([("name", Value::from("infra"))])]),
            ),
            ("interval", Value::unknown()),
        ]);
        let mut errors = Vec::new();
        let spec = spec_from_value(
            KUSTOMIZATION.fields,
            &value,
            &AttributePath::root(),
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(
            Json::Object(spec.clone()),
            serde_json::json!({"sourceRef": {"kind": "GitRepository", "name": "podinfo"},
                "prune": true, "dependsOn": [{"name": "infra"}]})
        );
        let back = Value::object(value_from_spec(KUSTOMIZATION.fields, &spec));
        assert_eq!(
            back.attr("source_ref").attr("name").as_str(),
            Some("podinfo")
        );
        assert_eq!(back.attr("prune").as_bool(), Some(true));
        assert!(back.attr("interval").is_null());
    }

    #[test]
    fn spec_from_value_dotted_key_and_bad_document_are_located() {
        let value = Value::object([
            ("chart", Value::object([("chart", Value::from("web"))])),
            ("values", Value::from("- a\n- b\n")),
        ]);
        let mut errors = Vec::new();
        let spec = spec_from_value(
            HELM_RELEASE.fields,
            &value,
            &AttributePath::root(),
            &mut errors,
        );
        assert_eq!(spec["chart"]["spec"]["chart"], "web");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, AttributePath::attr("values"));
    }
}
