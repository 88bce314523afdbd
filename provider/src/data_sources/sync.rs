//! `flux_sync`: the GitRepository and Kustomization that make Flux sync a repository
//! path (`gotk-sync.yaml`), and the `kustomization.yaml` beside them, as the reference
//! provider's data source of that name produced them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use flux_core::manifests::{default_kustomization, render_sync, GitRef, SyncOptions, SyncSpec};
use tfplug::{
    Attribute, AttributePath, DataReadResponse, DataSource, Diagnostic, Diagnostics, Number,
    ObjectAccess, Schema, Type, Value,
};

use crate::config::ProviderData;
use crate::diagnostics::manifest_errors;

/// The data source type name.
pub const TYPE_NAME: &str = "flux_sync";

/// Option names that the data source spells differently.
const RENAMES: &[(&str, &str)] = &[("secret_name", "secret"), ("path", "target_path")];

/// `flux_sync`.
#[derive(Debug, Default)]
pub struct SyncDataSource;

fn schema() -> Schema {
    Schema::new(vec![
        Attribute::string("url").required().description("Repository URL the GitRepository fetches."),
        Attribute::string("target_path").required().description("Repository path the root Kustomization applies."),
        Attribute::string("name").optional().description("Name of the GitRepository and the Kustomization. Defaults to `flux-system`."),
        Attribute::string("namespace").optional().description("Their namespace. Defaults to `flux-system`."),
        Attribute::string("branch").optional().description("Branch to follow. Defaults to `main`."),
        Attribute::string("tag").optional().description("Tag to follow instead of a branch."),
        Attribute::string("semver").optional().description("Semver range of tags to follow instead of a branch."),
        Attribute::string("commit").optional().description("Commit to pin instead of a branch."),
        Attribute::string("secret").optional().description("Name of the Secret with the git credentials. Defaults to `flux-system`."),
        Attribute::number("interval").optional().description("Minutes between fetches of the repository. Defaults to 1."),
        Attribute::set("patch_names", Type::String).optional().description("Patch files listed in `kustomization.yaml`, beside the gotk files."),
        Attribute::string("path").computed().description("Repository path of `gotk-sync.yaml`."),
        Attribute::string("content").computed().description("`gotk-sync.yaml`."),
        Attribute::string("kustomize_path").computed().description("Repository path of `kustomization.yaml`."),
        Attribute::string("kustomize_content").computed().description("`kustomization.yaml`, listing the gotk files and the patches."),
        Attribute::map("patch_file_paths", Type::String).computed().description("Repository path of each patch in `patch_names`."),
    ])
    .description("Renders the GitRepository and Kustomization (`gotk-sync.yaml`) that make Flux sync a repository path, offline.")
}

struct Inputs {
    options: SyncOptions,
    patch_names: Vec<String>,
}

fn git_ref(obj: &ObjectAccess<'_>) -> Result<GitRef, Diagnostic> {
    let chosen: Vec<(&str, String)> = ["commit", "semver", "tag"]
        .into_iter()
        .filter_map(|name| match obj.get::<Option<String>>(name) {
            Ok(Some(v)) => Some(Ok((name, v))),
            Ok(None) => None,
            Err(d) => Some(Err(d)),
        })
        .collect::<Result<_, _>>()?;
    if let [_, (second, _), ..] = chosen.as_slice() {
        return Err(Diagnostic::error(
            "Conflicting Git References",
            "Set at most one of tag, semver and commit.",
        )
        .at(obj.path_of(second)));
    }
    Ok(match chosen.into_iter().next() {
        Some(("commit", v)) => GitRef::Commit(v),
        Some(("semver", v)) => GitRef::Semver(v),
        Some((_, v)) => GitRef::Tag(v),
        None => GitRef::Branch(
            obj.get::<Option<String>>("branch")?
                .unwrap_or_else(|| "main".to_string()),
        ),
    })
}

fn inputs(config: &Value) -> Result<Inputs, Diagnostic> {
    let obj = ObjectAccess::root(config);
    let defaults = SyncOptions::default();
    let interval = match obj.get::<Option<Number>>("interval")? {
        None => defaults.interval,
        Some(n) => match n.as_i64() {
            Some(minutes) if minutes > 0 => format!("{minutes}m"),
            _ => {
                return Err(Diagnostic::error(
                    "Invalid Attribute Value",
                    format!("interval must be a positive whole number of minutes, got {n}."),
                )
                .at(AttributePath::attr("interval")))
            }
        },
    };
    let namespace: String = obj
        .get::<Option<String>>("namespace")?
        .unwrap_or(defaults.namespace);
    Ok(Inputs {
        patch_names: {
            let mut p = obj
                .get::<Option<Vec<String>>>("patch_names")?
                .unwrap_or_default();
            p.sort();
            p
        },
        options: SyncOptions {
            name: obj.get::<Option<String>>("name")?.unwrap_or(defaults.name),
            namespace,
            url: obj.get("url")?,
            interval,
            git_ref: Some(git_ref(&obj)?),
            secret_name: obj
                .get::<Option<String>>("secret")?
                .unwrap_or(defaults.secret_name),
            path: obj.get("target_path")?,
            recurse_submodules: false,
            sparse_checkout: Vec::new(),
        },
    })
}

/// `kustomization.yaml`: the default one, with the patches listed after it.
fn kustomization(patch_names: &[String]) -> String {
    let mut text = default_kustomization();
    if !patch_names.is_empty() {
        text.push_str("patches:\n");
        for name in patch_names {
            text.push_str(&format!("- path: {name}\n"));
        }
    }
    text
}

#[async_trait]
impl DataSource<ProviderData> for SyncDataSource {
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
                for name in &i.patch_names {
                    if name.contains('/')
                        || name == "gotk-components.yaml"
                        || name == "gotk-sync.yaml"
                        || name == "kustomization.yaml"
                    {
                        diags.attribute_error(
                            AttributePath::attr("patch_names"),
                            "Invalid Attribute Value",
                            format!("patch name {name:?} must be a plain file name other than the gotk files and kustomization.yaml."),
                        );
                    }
                }
                if let Err(errors) = SyncSpec::from_options(i.options) {
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
        let target = inputs.options.path.clone();
        let namespace = inputs.options.namespace.clone();
        let spec = match SyncSpec::from_options(inputs.options) {
            Ok(s) => s,
            Err(errors) => return manifest_errors(errors, RENAMES, &mut response.diagnostics),
        };
        let rendered = render_sync(&spec);
        let path = |file: &str| super::repository_path(&target, &namespace, file);
        let patches: BTreeMap<String, Value> = inputs
            .patch_names
            .iter()
            .map(|n| (n.clone(), Value::String(path(n))))
            .collect();
        let state = &mut response.state;
        state.set_attr("path", path("gotk-sync.yaml").into());
        state.set_attr("content", rendered.text.into());
        state.set_attr("kustomize_path", path("kustomization.yaml").into());
        state.set_attr(
            "kustomize_content",
            kustomization(&inputs.patch_names).into(),
        );
        state.set_attr("patch_file_paths", Value::Map(patches));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_sources::test_support;

    fn config(entries: Vec<(&str, Value)>) -> Value {
        test_support::config(&SyncDataSource, entries)
    }

    async fn read(c: Value) -> DataReadResponse {
        test_support::read(&SyncDataSource, c).await
    }

    #[tokio::test]
    async fn sync_renders_repository_and_kustomization() {
        let resp = read(config(vec![
            ("url", "ssh://git@example.com/org/repo".into()),
            ("target_path", "clusters/dev".into()),
            ("tag", "v1.2.3".into()),
            ("interval", Value::from(5)),
            ("patch_names", Value::set(["a.yaml".into()])),
        ]))
        .await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let content = resp.state.attr("content").as_str().unwrap();
        assert!(content.contains("tag: v1.2.3"), "{content}");
        assert!(content.contains("interval: 5m0s"), "{content}");
        assert!(content.contains("path: ./clusters/dev"), "{content}");
        assert_eq!(
            resp.state.attr("kustomize_path").as_str(),
            Some("clusters/dev/flux-system/kustomization.yaml")
        );
        assert!(resp
            .state
            .attr("kustomize_content")
            .as_str()
            .unwrap()
            .contains("- path: a.yaml"));
        assert_eq!(
            resp.state.attr("patch_file_paths").attr("a.yaml").as_str(),
            Some("clusters/dev/flux-system/a.yaml")
        );
    }

    #[tokio::test]
    async fn two_git_references_are_an_error_at_the_second() {
        let c = config(vec![
            ("url", "https://h/r".into()),
            ("target_path", "x".into()),
            ("tag", "v1".into()),
            ("commit", "abc".into()),
        ]);
        let mut diags = Diagnostics::new();
        SyncDataSource.validate(&c, &mut diags).await;
        let d = diags.iter().next().unwrap();
        assert_eq!(d.summary, "Conflicting Git References");
        assert_eq!(d.path, Some(AttributePath::attr("tag")));
    }

    #[tokio::test]
    async fn invalid_names_are_located() {
        let c = config(vec![
            ("url", "https://h/r".into()),
            ("target_path", "x".into()),
            ("secret", "Bad_Secret".into()),
            ("interval", Value::from(0)),
        ]);
        let mut diags = Diagnostics::new();
        SyncDataSource.validate(&c, &mut diags).await;
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("interval"))
        );
        let c = config(vec![
            ("url", "https://h/r".into()),
            ("target_path", "x".into()),
            ("secret", "Bad_Secret".into()),
        ]);
        let mut diags = Diagnostics::new();
        SyncDataSource.validate(&c, &mut diags).await;
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("secret"))
        );
    }
}
