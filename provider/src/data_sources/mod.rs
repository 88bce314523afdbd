//! Data sources: `flux_install` and `flux_sync`, the manifests Flux's generators
//! produce, rendered offline.

pub mod install;
pub mod sync;

pub use install::InstallDataSource;
pub use sync::SyncDataSource;

/// `<target_path>/<namespace>/<file>`, or `<namespace>/<file>` for an empty target.
pub(crate) fn repository_path(target_path: &str, namespace: &str, file: &str) -> String {
    let target = target_path.trim_matches('/');
    if target.is_empty() || target == "." {
        format!("{namespace}/{file}")
    } else {
        format!("{target}/{namespace}/{file}")
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use tfplug::{DataReadResponse, DataSource, Diagnostics, Value};

    use crate::config::ProviderData;

    /// A configuration of `data_source`: every attribute null but `entries`.
    pub(crate) fn config(
        data_source: &dyn DataSource<ProviderData>,
        entries: Vec<(&str, Value)>,
    ) -> Value {
        let mut c = Value::object(
            data_source
                .schema()
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null)),
        );
        for (k, v) in entries {
            c.set_attr(k, v);
        }
        c
    }

    /// Reads `data_source` as Terraform does: the state starts as the configuration.
    pub(crate) async fn read(
        data_source: &dyn DataSource<ProviderData>,
        c: Value,
    ) -> DataReadResponse {
        let mut resp = DataReadResponse {
            state: c.clone(),
            diagnostics: Diagnostics::new(),
        };
        data_source
            .read(&ProviderData::default(), c, &mut resp)
            .await;
        resp
    }
}
