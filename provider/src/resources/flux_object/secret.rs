//! The Secret a resource writes from `secret_data`, named by the object's
//! `secret_ref`: written before the object, deleted after it.

use std::collections::BTreeMap;
use std::sync::Arc;

use flux_core::cluster::{Cluster, ObjectRef, SecretData, SecretSpec, SecretType};
use flux_core::objects::{KindDef, ObjectError, ObjectSpec};
use serde_json::Value as Json;
use tfplug::{AttributePath, Diagnostic, Diagnostics, Value};

use super::cluster::{on_cluster, required_cluster};
use super::model::ObjectModel;
use super::spec::object_spec;
use crate::config::ProviderData;

/// The Secret of `secret_data`, if any, to write before the object.
pub fn secret_to_write(
    model: &ObjectModel,
    spec: &ObjectSpec,
) -> Result<Option<SecretSpec>, Diagnostics> {
    let Some(entries) = &model.secret_data else {
        return Ok(None);
    };
    let Some(name) = spec
        .spec
        .get("secretRef")
        .and_then(|r| r.get("name"))
        .and_then(Json::as_str)
    else {
        return Err(Diagnostic::error(
            "Invalid Attribute Combination",
            "secret_data needs secret_ref.",
        )
        .at(AttributePath::attr("secret_data"))
        .into());
    };
    let mut data = SecretData::default();
    for (k, v) in entries {
        data.insert(k, v.expose().as_bytes());
    }
    Ok(Some(SecretSpec {
        namespace: model.namespace.clone(),
        name: name.to_string(),
        secret_type: SecretType::Opaque,
        data,
        labels: BTreeMap::new(),
    }))
}

/// Creates or updates the Secret.
pub async fn write(cluster: &Arc<Cluster>, secret: SecretSpec) -> Result<(), Diagnostics> {
    on_cluster(cluster, move |c| async move {
        c.ensure_secret(&secret)
            .await
            .map(|_| ())
            .map_err(|source| ObjectError::Cluster {
                object: format!("Secret/{}/{}", secret.namespace, secret.name),
                source: Box::new(source),
            })
    })
    .await
}

/// Deletes the Secret this resource wrote from `secret_data`: its content was this
/// resource's configuration, so it goes with the resource (after the object, which
/// may still read it while it is removed). A Secret only named by `secret_ref` is
/// left alone.
pub async fn delete_written(
    kind: &'static KindDef,
    data: &ProviderData,
    model: &ObjectModel,
    prior: &Value,
) -> Result<(), Diagnostics> {
    if model.secret_data.is_none() {
        return Ok(());
    }
    let Some(secret) = secret_to_write(model, &object_spec(kind, model, prior)?)? else {
        return Ok(());
    };
    let cluster = required_cluster(data)?;
    let object = ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: Some(secret.namespace),
        name: secret.name,
    };
    on_cluster(&cluster, move |c| async move {
        c.delete_object(&object)
            .await
            .map(|_| ())
            .map_err(|source| ObjectError::Cluster {
                object: format!(
                    "Secret {}/{}",
                    object.namespace.as_deref().unwrap_or_default(),
                    object.name
                ),
                source: Box::new(source),
            })
    })
    .await
}
