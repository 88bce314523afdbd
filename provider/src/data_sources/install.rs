//! `flux_install`: Flux's install manifests (`gotk-components.yaml`) for a set of
//! options, as the reference provider's data source of that name produced them.

use async_trait::async_trait;
use flux_core::manifests::{
    download_manifests, render_install, write_documents, BaseManifests, DownloadSpec,
    InstallOptions, InstallSpec, EMBEDDED_VERSION,
};
use tfplug::validator::{each, one_of};
use tfplug::{
    Attribute, DataReadResponse, DataSource, Diagnostics, ObjectAccess, Schema, Type, Value,
};

use crate::config::ProviderData;
use crate::diagnostics::{manifest_error, manifest_errors};

/// The data source type name.
pub const TYPE_NAME: &str = "flux_install";

/// Option names that the data source spells differently.
const RENAMES: &[(&str, &str)] = &[("image_pull_secret", "image_pull_secrets")];

/// `flux_install`.
#[derive(Debug, Default)]
pub struct InstallDataSource;

fn schema() -> Schema {
    Schema::new(vec![
        Attribute::string("target_path").required().description("Path in the repository the manifests are meant for; `path` is `<target_path>/<namespace>/gotk-components.yaml`."),
        Attribute::string("version").optional().description(format!("Flux version. Defaults to the version built into the provider, {EMBEDDED_VERSION}, which needs no download.")),
        Attribute::string("namespace").optional().description("Namespace Flux is installed in. Defaults to `flux-system`."),
        Attribute::string("cluster_domain").optional().description("Cluster DNS domain. Defaults to `cluster.local`."),
        Attribute::set("components", Type::String).optional().description("Controllers to install. Defaults to source, kustomize, helm and notification controllers."),
        Attribute::set("components_extra", Type::String).optional().validate(each(one_of(&["image-reflector-controller", "image-automation-controller", "source-watcher"]))).description("Extra controllers to install."),
        Attribute::string("registry").optional().description("Container registry of the controller images. Defaults to `ghcr.io/fluxcd`."),
        Attribute::string("image_pull_secrets").optional().description("Name of a Secret every controller pulls its image with."),
        Attribute::bool("watch_all_namespaces").optional().description("Whether the controllers watch every namespace. Defaults to true."),
        Attribute::bool("network_policy").optional().description("Whether to include the network policies. Defaults to true."),
        Attribute::string("log_level").optional().validate(one_of(&["info", "debug", "error"])).description("Controller log level. Defaults to `info`."),
        Attribute::set("toleration_keys", Type::String).optional().description("Taint keys every controller tolerates."),
        Attribute::string("baseurl").optional().description("Where to download the base manifests of a version that is not built in: a release URL (default Flux's GitHub releases) or a local directory."),
        Attribute::string("path").computed().description("Repository path of the manifest file."),
        Attribute::string("content").computed().description("The manifest file: `gotk-components.yaml`."),
        Attribute::list("objects", Type::String).computed().description("Each object of the manifest as its own YAML document, in install order."),
    ])
    .description("Renders Flux's install manifests (`gotk-components.yaml`) offline, as `flux install --export` does.")
}

struct Inputs {
    target_path: String,
    options: InstallOptions,
    baseurl: Option<String>,
}

fn inputs(config: &Value) -> Result<Inputs, tfplug::Diagnostic> {
    let obj = ObjectAccess::root(config);
    let defaults = InstallOptions::default();
    let sorted = |v: Option<Vec<String>>| {
        v.map(|mut v| {
            v.sort();
            v
        })
    };
    Ok(Inputs {
        target_path: obj.get("target_path")?,
        baseurl: obj.get("baseurl")?,
        options: InstallOptions {
            namespace: obj
                .get::<Option<String>>("namespace")?
                .unwrap_or(defaults.namespace),
            components: sorted(obj.get("components")?).unwrap_or(defaults.components),
            components_extra: sorted(obj.get("components_extra")?).unwrap_or_default(),
            registry: obj
                .get::<Option<String>>("registry")?
                .unwrap_or(defaults.registry),
            image_pull_secret: obj.get("image_pull_secrets")?,
            toleration_keys: sorted(obj.get("toleration_keys")?).unwrap_or_default(),
            watch_all_namespaces: obj
                .get::<Option<bool>>("watch_all_namespaces")?
                .unwrap_or(true),
            network_policy: obj.get::<Option<bool>>("network_policy")?.unwrap_or(true),
            log_level: obj
                .get::<Option<String>>("log_level")?
                .unwrap_or(defaults.log_level),
            cluster_domain: obj
                .get::<Option<String>>("cluster_domain")?
                .unwrap_or(defaults.cluster_domain),
            version: obj
                .get::<Option<String>>("version")?
                .unwrap_or(defaults.version),
        },
    })
}

/// The base manifests for `version`: built in when the version matches and no other
/// source is named, so the common case needs no network.
async fn base_manifests(
    version: &str,
    baseurl: Option<&str>,
) -> Result<BaseManifests, flux_core::manifests::ManifestError> {
    match baseurl {
        None if version == EMBEDDED_VERSION => BaseManifests::embedded(),
        Some(local) if !local.starts_with("http://") && !local.starts_with("https://") => {
            BaseManifests::from_path(std::path::Path::new(local))
        }
        url => {
            let mut spec = DownloadSpec::new(version);
            if let Some(url) = url {
                spec.base_url = url.to_string();
            }
            download_manifests(&spec).await
        }
    }
}

#[async_trait]
impl DataSource<ProviderData> for InstallDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if !config.is_wholly_known() {
            return;
        }
        match inputs(config) {
            Ok(i) => {
                if let Err(errors) = InstallSpec::from_options(i.options) {
                    manifest_errors(errors, RENAMES, diags);
                }
            }
            Err(d) => diags.push(d),
        }
    }

    async fn read(&self, _data: &ProviderData, config: Value, response: &mut DataReadResponse) {
        let inputs = match inputs(&config) {
            Ok(i) => i,
            Err(d) => return response.diagnostics.push(d),
        };
        let namespace = inputs.options.namespace.clone();
        let spec = match InstallSpec::from_options(inputs.options) {
            Ok(s) => s,
            Err(errors) => return manifest_errors(errors, RENAMES, &mut response.diagnostics),
        };
        let base = match base_manifests(spec.version(), inputs.baseurl.as_deref()).await {
            Ok(b) => b,
            Err(e) => {
                let mut d = manifest_error(&e, RENAMES);
                if inputs.baseurl.is_some() {
                    d = d.at(tfplug::AttributePath::attr("baseurl"));
                }
                return response.diagnostics.push(d);
            }
        };
        let rendered = match render_install(&spec, &base) {
            Ok(r) => r,
            Err(e) => return response.diagnostics.push(manifest_error(&e, RENAMES)),
        };
        let objects = rendered
            .objects
            .iter()
            .map(|o| Value::String(write_documents(std::slice::from_ref(o))))
            .collect::<Vec<_>>();
        let state = &mut response.state;
        state.set_attr(
            "path",
            super::repository_path(&inputs.target_path, &namespace, "gotk-components.yaml").into(),
        );
        state.set_attr("content", rendered.text.into());
        state.set_attr("objects", Value::List(objects));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_sources::test_support;

    fn config(entries: Vec<(&str, Value)>) -> Value {
        test_support::config(&InstallDataSource, entries)
    }

    async fn read(c: Value) -> DataReadResponse {
        test_support::read(&InstallDataSource, c).await
    }

    #[tokio::test]
    async fn default_options_render_the_embedded_install() {
        let resp = read(config(vec![("target_path", "clusters/dev".into())])).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(
            resp.state.attr("path").as_str(),
            Some("clusters/dev/flux-system/gotk-components.yaml")
        );
        let content = resp.state.attr("content").as_str().unwrap();
        assert!(content.contains(&format!("# Flux Version: {EMBEDDED_VERSION}")));
        assert_eq!(resp.state.attr("objects").as_elements().unwrap().len(), 32);
    }

    #[tokio::test]
    async fn bad_options_are_located_at_their_attributes() {
        let c = config(vec![
            ("target_path", "x".into()),
            ("namespace", "Not_Valid".into()),
            (
                "components",
                Value::set(["helm-controller".into(), "source-controller".into()]),
            ),
            ("image_pull_secrets", "Bad Name".into()),
        ]);
        let mut diags = Diagnostics::new();
        InstallDataSource.validate(&c, &mut diags).await;
        let paths: Vec<String> = diags
            .iter()
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert!(paths.contains(&"namespace".to_string()), "{paths:?}");
        assert!(paths.contains(&"components".to_string()), "{paths:?}");
        assert!(
            paths.contains(&"image_pull_secrets".to_string()),
            "{paths:?}"
        );
    }

    #[tokio::test]
    async fn unknown_config_is_not_validated_yet() {
        let c = config(vec![
            ("target_path", Value::unknown()),
            ("namespace", "Not_Valid".into()),
        ]);
        let mut diags = Diagnostics::new();
        InstallDataSource.validate(&c, &mut diags).await;
        assert!(diags.is_empty());
    }
}
