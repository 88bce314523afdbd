//! What a plan and a state say of the committed files and of the cluster's drift.
//!
//! `repository_files` holds whole files, as the reference's state does. Terraform
//! prints a changed string in full (and a string becoming unknown with its whole old
//! value), so planning the files' content would print thousands of lines for a
//! create, an upgrade or a drifted file. So `repository_files` is what the last read
//! found in git: unknown on create, kept as it is by a plan and an update, and read
//! anew by the next refresh. What a commit changes is planned in
//! `repository_files_summary`, a few lines per file (digest, Flux version, kinds,
//! images) that a reviewer can read. Cluster drift is its own list, `cluster_drift`:
//! Read fills it, a plan empties it, and the update that follows repairs it.

use std::collections::BTreeMap;

use flux_core::manifests::summarize;
use tfplug::{Diagnostics, PlanContext, Value};

use super::connection::effective_git;
use super::files;
use super::model::BootstrapModel;
use crate::config::{ProviderData, Setting};
use crate::connection::GitTarget;

/// The file contents of a `repository_files` value (unknown entries left out).
pub fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_entries()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Sets what an apply stored: the summaries of the files committed, and no drift.
/// `repository_files` stays as planned (see the module's comment) unless the plan
/// left it unknown (a create).
pub fn store_applied(state: &mut Value, files: BTreeMap<String, String>) {
    if state.attr("repository_files").is_wholly_known() && !state.attr("repository_files").is_null()
    {
        state.set_attr("repository_files_summary", summaries(&files));
        state.set_attr("cluster_drift", Value::list(Vec::new()));
    } else {
        store(state, files, Vec::new());
    }
}

/// Sets what a read found: the files, their summaries, the drift.
pub fn store(state: &mut Value, files: BTreeMap<String, String>, drift: Vec<String>) {
    state.set_attr("repository_files_summary", summaries(&files));
    state.set_attr(
        "repository_files",
        Value::object(files.into_iter().map(|(k, v)| (k, Value::from(v)))),
    );
    state.set_attr(
        "cluster_drift",
        Value::list(drift.into_iter().map(Value::from)),
    );
}

fn summaries(files: &BTreeMap<String, String>) -> Value {
    Value::object(
        files
            .iter()
            .map(|(k, text)| (k.clone(), Value::from(summarize(text)))),
    )
}

/// Plans `repository_files`, its summary and `cluster_drift`. When the files cannot
/// be rendered yet (git settings unknown until apply), both file attributes stay as
/// Terraform proposed them.
pub async fn plan(plan: &mut PlanContext, data: &ProviderData, diags: &mut Diagnostics) {
    plan_cluster_drift(plan);
    let prior_files = string_map(plan.prior.attr("repository_files"));
    let Some(files) = planned_files(&plan.planned, &prior_files, data, diags).await else {
        return;
    };
    let summary = Value::object(files.iter().map(|(k, v)| {
        let s = v
            .as_str()
            .map_or_else(Value::unknown, |t| summarize(t).into());
        (k.clone(), s)
    }));
    plan.planned.set_attr("repository_files_summary", summary);
    let prior = plan.prior.attr("repository_files");
    let stored = if prior.is_null() {
        Value::unknown()
    } else {
        prior.clone()
    };
    plan.planned.set_attr("repository_files", stored);
}

/// An apply leaves no drift. A state without the attribute (written by the
/// reference, or read while the cluster was unknown) keeps it null, so that its
/// first plan is not an update for nothing.
fn plan_cluster_drift(plan: &mut PlanContext) {
    let prior = plan.prior.attr("cluster_drift");
    let planned = if plan.prior.is_null() || !prior.is_null() {
        Value::list(Vec::new())
    } else {
        Value::Null
    };
    plan.planned.set_attr("cluster_drift", planned);
}

/// The `kustomization.yaml` an apply commits when no override is set: the one the
/// plan rendered with (from state, which Read filled from git), so that the result
/// matches the plan; `None` on create, where git is read at apply.
pub fn planned_kustomization(
    planned: &Value,
    prior: &Value,
    model: &BootstrapModel,
) -> Option<String> {
    let key = model.file_key("kustomization.yaml");
    [planned, prior].into_iter().find_map(|v| {
        v.attr("repository_files")
            .attr(&key)
            .as_str()
            .map(str::to_string)
    })
}

/// The expected `repository_files` of a plan, or `None` when something they depend on
/// is not known yet. A kustomization.yaml edited in git (and read into state) is kept
/// when no override is set.
async fn planned_files(
    planned: &Value,
    prior_files: &BTreeMap<String, String>,
    data: &ProviderData,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, Value>> {
    let model = BootstrapModel::from_value(planned).ok()?;
    let git = match effective_git(planned, data) {
        Ok(Setting::Known(g)) => g,
        _ => return None,
    };
    let target = GitTarget::new(&git).ok()?;
    let base = match files::load_base(&model).await {
        Ok(b) => b,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let kustomization_key = model.file_key("kustomization.yaml");
    let existing = prior_files.get(&kustomization_key).map(String::as_str);
    match files::render(&model, &base, &target.sync_url, target.branch(), existing) {
        Ok(files) => {
            let mut files: BTreeMap<String, Value> = files
                .by_key(&model)
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect();
            // Without an override, an existing kustomization.yaml in git is kept, and
            // on create it is only read at apply.
            if model.kustomization_override.is_none() && existing.is_none() {
                files.insert(kustomization_key, Value::unknown());
            }
            Some(files)
        }
        Err(d) => {
            diags.extend(d);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{https_git, plan as run_plan, planned, provider_data};
    use super::*;

    /// The state an apply of a default plan leaves: the rendered files, with the
    /// default `kustomization.yaml` read from git.
    async fn applied() -> Value {
        let data = provider_data(Some(https_git()));
        let (first, _) = run_plan(Value::Null, planned(&[]), &data).await;
        let mut files = BTreeMap::new();
        let mut diags = Diagnostics::new();
        let rendered = planned_files(&first.planned, &BTreeMap::new(), &data, &mut diags)
            .await
            .unwrap();
        for (k, v) in rendered {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(flux_core::manifests::default_kustomization);
            files.insert(k, text);
        }
        let mut state = first.planned;
        state.set_attr("id", "flux-system".into());
        store(&mut state, files, Vec::new());
        state
    }

    #[tokio::test]
    async fn create_plan_leaves_files_unknown_and_summarizes_them() {
        let data = provider_data(Some(https_git()));
        let (ctx, diags) = run_plan(
            Value::Null,
            planned(&[("path", "clusters/a".into())]),
            &data,
        )
        .await;
        assert!(!diags.has_errors(), "{diags:?}");
        assert!(ctx.planned.attr("repository_files").is_unknown());
        assert_eq!(ctx.planned.attr("cluster_drift"), &Value::list(Vec::new()));
        let summary = ctx.planned.attr("repository_files_summary");
        let components = summary
            .attr("clusters/a/flux-system/gotk-components.yaml")
            .as_str()
            .unwrap();
        assert!(components.contains("\nFlux v2.9.4\n"), "{components}");
        assert!(
            components.contains("image: ghcr.io/fluxcd/source-controller:"),
            "{components}"
        );
        assert!(components.lines().count() < 15, "{components}");
        let sync = summary
            .attr("clusters/a/flux-system/gotk-sync.yaml")
            .as_str()
            .unwrap();
        assert!(
            sync.contains("objects: 1 GitRepository, 1 Kustomization"),
            "{sync}"
        );
        // An existing kustomization.yaml in git is kept, so it is known at apply only.
        assert!(summary
            .attr("clusters/a/flux-system/kustomization.yaml")
            .is_unknown());
    }

    #[tokio::test]
    async fn rendered_sync_file_keeps_credentials_out_of_the_url() {
        let data = provider_data(Some(https_git()));
        let mut diags = Diagnostics::new();
        let files = planned_files(
            &planned(&[("path", "clusters/a".into())]),
            &BTreeMap::new(),
            &data,
            &mut diags,
        )
        .await
        .unwrap();
        let sync = files["clusters/a/flux-system/gotk-sync.yaml"]
            .as_str()
            .unwrap();
        assert!(
            sync.contains("url: https://git.example.com/fleet.git"),
            "{sync}"
        );
        assert!(sync.contains("path: ./clusters/a"), "{sync}");
    }

    #[tokio::test]
    async fn state_in_sync_plans_no_change() {
        let data = provider_data(Some(https_git()));
        let prior = applied().await;
        let mut proposed = prior.clone();
        proposed.set_attr("repository_files", prior.attr("repository_files").clone());
        let (ctx, _) = run_plan(prior.clone(), proposed, &data).await;
        assert_eq!(ctx.planned, prior);
    }

    #[tokio::test]
    async fn kustomization_edited_in_git_is_kept() {
        let data = provider_data(Some(https_git()));
        let edited = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\npatches: []\n";
        let mut prior = applied().await;
        let mut files = string_map(prior.attr("repository_files"));
        files.insert("flux-system/kustomization.yaml".into(), edited.into());
        store(&mut prior, files, Vec::new());
        let (ctx, _) = run_plan(prior.clone(), prior.clone(), &data).await;
        assert_eq!(ctx.planned, prior);
    }

    #[tokio::test]
    async fn override_is_summarized_at_create() {
        let data = provider_data(Some(https_git()));
        let over = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\nnamespace: flux-system\n";
        let (ctx, _) = run_plan(
            Value::Null,
            planned(&[("kustomization_override", over.into())]),
            &data,
        )
        .await;
        assert_eq!(
            ctx.planned
                .attr("repository_files_summary")
                .attr("flux-system/kustomization.yaml")
                .as_str(),
            Some(summarize(over).as_str())
        );
    }

    #[tokio::test]
    async fn cluster_drift_is_planned_away_and_files_stay() {
        let data = provider_data(Some(https_git()));
        let mut prior = applied().await;
        let files = string_map(prior.attr("repository_files"));
        store(
            &mut prior,
            files,
            vec!["GitRepository flux-system/flux-system is missing".into()],
        );
        let (ctx, _) = run_plan(prior.clone(), prior.clone(), &data).await;
        assert_eq!(ctx.planned.attr("cluster_drift"), &Value::list(Vec::new()));
        assert_eq!(
            ctx.planned.attr("repository_files"),
            prior.attr("repository_files")
        );
    }

    #[tokio::test]
    async fn file_edited_in_git_plans_a_new_digest_and_keeps_the_read_files() {
        let data = provider_data(Some(https_git()));
        let mut prior = applied().await;
        let mut files = string_map(prior.attr("repository_files"));
        let key = "flux-system/gotk-sync.yaml";
        let edited = files[key].replace("interval: 10m0s", "interval: 1h0m0s");
        assert_ne!(edited, files[key]);
        files.insert(key.into(), edited);
        store(&mut prior, files, Vec::new());
        let (ctx, _) = run_plan(prior.clone(), prior.clone(), &data).await;
        assert_eq!(
            ctx.planned.attr("repository_files"),
            prior.attr("repository_files")
        );
        let digest = |v: &Value| {
            v.attr("repository_files_summary")
                .attr(key)
                .as_str()
                .and_then(|s| s.lines().next())
                .map(str::to_string)
        };
        assert!(digest(&ctx.planned).is_some());
        assert_ne!(digest(&ctx.planned), digest(&prior));
    }

    #[tokio::test]
    async fn state_without_cluster_drift_keeps_it_null() {
        let data = provider_data(Some(https_git()));
        let mut prior = applied().await;
        prior.set_attr("cluster_drift", Value::Null);
        let (ctx, _) = run_plan(prior.clone(), prior.clone(), &data).await;
        assert!(ctx.planned.attr("cluster_drift").is_null());
        assert_eq!(ctx.planned, prior);
    }

    #[tokio::test]
    async fn an_update_keeps_the_planned_files_and_summarizes_the_committed_ones() {
        let prior = applied().await;
        let mut committed = string_map(prior.attr("repository_files"));
        let key = "flux-system/gotk-sync.yaml";
        let new_sync = committed[key].replace("interval: 10m0s", "interval: 1h0m0s");
        committed.insert(key.into(), new_sync.clone());
        let mut state = prior.clone();
        store_applied(&mut state, committed);
        assert_eq!(
            state.attr("repository_files"),
            prior.attr("repository_files")
        );
        assert_eq!(
            state.attr("repository_files_summary").attr(key).as_str(),
            Some(summarize(&new_sync).as_str())
        );
        // A create planned the files unknown: the committed ones are stored.
        let mut created = prior.clone();
        created.set_attr("repository_files", Value::unknown());
        let files = string_map(prior.attr("repository_files"));
        store_applied(&mut created, files);
        assert_eq!(
            created.attr("repository_files"),
            prior.attr("repository_files")
        );
    }
}
