//! Read: the managed files at the branch tip, and what moved in the cluster since.

use std::collections::BTreeMap;

use flux_core::cluster::git_secret_data;
use flux_core::manifests::GitRef;
use flux_core::sync::SpecRef;
use tfplug::{Diagnostic, Diagnostics};

use super::drift;
use super::model::FILES;
use super::operations::Bootstrap;
use crate::diagnostics::cluster_error;

impl Bootstrap {
    /// Read: the files of the current path from git, then the cluster. Returns the
    /// refreshed `repository_files` and the cluster's drift, one line per finding.
    #[tracing::instrument(skip_all, fields(namespace = %self.model.namespace))]
    pub async fn observe(
        &mut self,
        diags: &mut Diagnostics,
    ) -> Result<(BTreeMap<String, String>, Vec<String>), Diagnostic> {
        // The files of the current path: an update that moved them leaves the keys of
        // the old path in state (see plan_files), which this read replaces.
        let keys: Vec<String> = FILES.iter().map(|f| self.model.file_key(f)).collect();
        let seen = self.read_git(keys.clone()).await?;
        let tip = seen.commit.clone();
        let files: BTreeMap<String, String> = seen
            .files
            .into_iter()
            .filter_map(|(k, v)| v.map(|b| (k, String::from_utf8_lossy(&b).into_owned())))
            .collect();
        // Credentials are compared only when that needs no network (a pinned key).
        // Without configured credentials any existing Secret is the right one.
        let expected_secret = (!self.model.disable_secret_creation
            && self.git.configures_credentials()
            && self.git.host_key_pinned())
        .then(|| git_secret_data(&self.git.credentials()).fingerprint());
        let cluster = self
            .observe_cluster()
            .await
            .map_err(|e| cluster_error("Failed To Read Flux In The Cluster", &e))?;
        let ns = &self.model.namespace;
        if let Some(k) = &cluster.kustomization {
            if let flux_core::cluster::Readiness::Failed(message) = &k.readiness {
                diags.warning(
                    "Flux Kustomization Not Ready",
                    format!("Kustomization {ns}/{ns} is not ready: {message}. This is usually a manifest under the synced path; Flux itself is not redeployed for it."),
                );
            }
        }
        for suspension in drift::suspensions(&self.model, &cluster) {
            diags.warning("Flux Sync Suspended", suspension);
        }
        // The images Flux applies from git, unless an override may patch them.
        let expected_images = self
            .model
            .kustomization_override
            .is_none()
            .then(|| files.get(&self.model.file_key("gotk-components.yaml")))
            .flatten()
            .map(|text| drift::images_of(text));
        let mut lines = drift::describe(
            &self.model,
            &cluster,
            expected_secret.as_deref(),
            expected_images.as_ref(),
        );
        // An override may patch the ref itself; then the model does not say which it is.
        if cluster.git_repository.is_some() && self.model.kustomization_override.is_none() {
            let live = super::observe::find_git_ref(&self.cluster, ns)
                .await
                .map_err(|e| cluster_error("Failed To Read Flux In The Cluster", &e))?;
            let wanted = SpecRef::from(
                &self
                    .model
                    .sync_ref
                    .clone()
                    .unwrap_or_else(|| GitRef::Branch(self.git.branch().to_string())),
            );
            lines.extend(live.and_then(|live| drift::describe_ref(&self.model, &live, &wanted)));
        }
        // Compared only once Flux applied the commit read: until then the cluster is
        // behind git (an edit pushed a moment ago), not changed by hand.
        let caught_up = cluster
            .kustomization
            .as_ref()
            .and_then(|k| k.last_applied_revision.as_deref())
            .zip(tip.as_deref())
            .is_some_and(|(applied, tip)| applied.ends_with(tip));
        if let Some(objects) = caught_up
            .then(|| drift::committed_objects(&self.model, &files))
            .flatten()
        {
            let found = self
                .cluster
                .drift_of(&objects)
                .await
                .map_err(|e| cluster_error("Failed To Compare Flux In The Cluster", &e))?;
            let applied = drift::describe_applied(&found, &lines);
            lines.extend(applied);
        }
        if !lines.is_empty() {
            tracing::info!(findings = lines.len(), "cluster drift");
        }
        Ok((files, lines))
    }
}
