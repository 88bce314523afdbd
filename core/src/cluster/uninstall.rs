//! Uninstall, in the order of `flux uninstall`: components, finalizers of Flux objects, CRDs,
//! then the namespace. Every step runs even when an earlier one failed; already-gone objects
//! are success (TPF #500), so running it twice is fine. An optional drain first deletes what
//! Flux deployed (TPF #569).

use std::time::Duration;

use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use serde_json::json;
use tokio::time::Instant;

use super::{is_not_found, Cluster, ClusterError, ObjectRef, FIELD_MANAGER};

/// Flux kinds whose finalizers are removed before their CRDs are deleted.
const FLUX_KINDS: &[(&str, &str, &str)] = &[
    ("source.toolkit.fluxcd.io", "v1", "GitRepository"),
    ("source.toolkit.fluxcd.io", "v1", "OCIRepository"),
    ("source.toolkit.fluxcd.io", "v1", "HelmRepository"),
    ("source.toolkit.fluxcd.io", "v1", "HelmChart"),
    ("source.toolkit.fluxcd.io", "v1", "Bucket"),
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
    ("notification.toolkit.fluxcd.io", "v1beta3", "Alert"),
    ("notification.toolkit.fluxcd.io", "v1beta3", "Provider"),
    ("notification.toolkit.fluxcd.io", "v1", "Receiver"),
    ("image.toolkit.fluxcd.io", "v1", "ImagePolicy"),
    ("image.toolkit.fluxcd.io", "v1", "ImageRepository"),
    ("image.toolkit.fluxcd.io", "v1", "ImageUpdateAutomation"),
    (
        "source.extensions.fluxcd.io",
        "v1beta1",
        "ArtifactGenerator",
    ),
];

/// Component kinds deleted from the namespace in step 1.
const NAMESPACED_COMPONENT_KINDS: &[(&str, &str, &str)] = &[
    ("apps", "v1", "Deployment"),
    ("", "v1", "Service"),
    ("networking.k8s.io", "v1", "NetworkPolicy"),
    ("", "v1", "ServiceAccount"),
];

/// Cluster-wide component kinds deleted in step 1.
const CLUSTER_COMPONENT_KINDS: &[(&str, &str, &str)] = &[
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
];

const DRAIN_INTERVAL: Duration = Duration::from_secs(1);

/// What to uninstall.
#[derive(Clone, Debug)]
pub struct UninstallSpec {
    /// The Flux namespace.
    pub namespace: String,
    /// Name of the root Kustomization, kept (suspended, not pruned) during a drain.
    pub root_name: String,
    /// Leave the namespace in place.
    pub keep_namespace: bool,
    /// Drain first, waiting at most this long: suspend the root Kustomization, delete every
    /// other Kustomization and every HelmRelease, and let the controllers prune what they
    /// deployed. `None` skips the drain, leaving workloads orphaned as `flux uninstall` does.
    pub drain: Option<Duration>,
}

/// What happened to the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceOutcome {
    /// Deletion was requested (it may still be terminating).
    Deleted,
    /// It did not exist.
    AlreadyGone,
    /// `keep_namespace` was set.
    Kept,
}

/// What an uninstall did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UninstallOutcome {
    /// Kustomizations and HelmReleases deleted by the drain.
    pub drained: Vec<ObjectRef>,
    /// Components and CRDs deleted.
    pub deleted: Vec<ObjectRef>,
    /// Flux objects whose finalizers were removed.
    pub finalizers_removed: Vec<ObjectRef>,
    /// The namespace.
    pub namespace: NamespaceOutcome,
}

fn gvk(&(group, version, kind): &(&str, &str, &str)) -> GroupVersionKind {
    GroupVersionKind::gvk(group, version, kind)
}

fn reference_of(gvk: &GroupVersionKind, object: &DynamicObject) -> ObjectRef {
    let api_version = if gvk.group.is_empty() {
        gvk.version.clone()
    } else {
        format!("{}/{}", gvk.group, gvk.version)
    };
    ObjectRef {
        api_version,
        kind: gvk.kind.clone(),
        namespace: object.metadata.namespace.clone(),
        name: object.metadata.name.clone().unwrap_or_default(),
    }
}

impl Cluster {
    /// Lists the objects of a kind, in one namespace or all; a kind the server does not serve
    /// has no objects.
    pub(crate) async fn list_objects(
        &self,
        gvk: &GroupVersionKind,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<(ObjectRef, DynamicObject)>, ClusterError> {
        let Some((ar, _)) = self.find_resource(gvk).await? else {
            return Ok(Vec::new());
        };
        let client = self.client().await?;
        let api: kube::Api<DynamicObject> = match namespace {
            Some(ns) => kube::Api::namespaced_with(client, ns, &ar),
            None => kube::Api::all_with(client, &ar),
        };
        let mut params = ListParams::default();
        if let Some(selector) = label_selector {
            params = params.labels(selector);
        }
        match api.list(&params).await {
            Ok(list) => Ok(list
                .items
                .into_iter()
                .map(|o| (reference_of(gvk, &o), o))
                .collect()),
            Err(error) if is_not_found(&error) => Ok(Vec::new()),
            Err(source) => Err(ClusterError::List {
                kind: gvk.kind.clone(),
                scope: namespace.unwrap_or("all namespaces").to_owned(),
                source: Box::new(source),
            }),
        }
    }

    /// Deletes one object in the background; `Ok(false)` when it was already gone.
    pub async fn delete_object(&self, object: &ObjectRef) -> Result<bool, ClusterError> {
        if self.find_resource(&object.gvk()).await?.is_none() {
            return Ok(false);
        }
        let api = self.api_for(object).await?;
        match api.delete(&object.name, &DeleteParams::background()).await {
            Ok(_) => Ok(true),
            Err(error) if is_not_found(&error) => Ok(false),
            Err(source) => Err(ClusterError::Request {
                action: "delete",
                object: object.clone(),
                source: Box::new(source),
            }),
        }
    }

    /// Removes Flux, see the module documentation. Returns an error listing every failed
    /// step after all steps ran.
    #[tracing::instrument(skip_all, fields(namespace = %spec.namespace, drain = spec.drain.is_some()))]
    pub async fn uninstall(&self, spec: &UninstallSpec) -> Result<UninstallOutcome, ClusterError> {
        let mut failures = Vec::new();
        let mut outcome = UninstallOutcome {
            drained: Vec::new(),
            deleted: Vec::new(),
            finalizers_removed: Vec::new(),
            namespace: NamespaceOutcome::Kept,
        };
        if let Some(timeout) = spec.drain {
            match self.drain(spec, timeout).await {
                Ok(drained) => outcome.drained = drained,
                Err(error) => failures.push(error),
            }
        }
        let selector = format!(
            "app.kubernetes.io/part-of=flux,app.kubernetes.io/instance={}",
            spec.namespace
        );
        // 1. Components.
        for (kinds, namespace) in [
            (NAMESPACED_COMPONENT_KINDS, Some(spec.namespace.as_str())),
            (CLUSTER_COMPONENT_KINDS, None),
        ] {
            for kind in kinds {
                match self.delete_listed(&gvk(kind), namespace, &selector).await {
                    Ok(deleted) => outcome.deleted.extend(deleted),
                    Err(error) => failures.push(error),
                }
            }
        }
        // 2. Finalizers, cluster-wide, so that CRD and namespace deletion cannot hang.
        for kind in FLUX_KINDS {
            match self.remove_finalizers(&gvk(kind)).await {
                Ok(cleared) => outcome.finalizers_removed.extend(cleared),
                Err(error) => failures.push(error),
            }
        }
        // 3. CRDs.
        let crd = GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition");
        match self.delete_listed(&crd, None, &selector).await {
            Ok(deleted) => outcome.deleted.extend(deleted),
            Err(error) => failures.push(error),
        }
        // 4. Namespace.
        if !spec.keep_namespace {
            let namespace = ObjectRef::new("v1", "Namespace", None, &spec.namespace);
            match self.delete_object(&namespace).await {
                Ok(true) => outcome.namespace = NamespaceOutcome::Deleted,
                Ok(false) => outcome.namespace = NamespaceOutcome::AlreadyGone,
                Err(error) => failures.push(error),
            }
        }
        tracing::info!(
            deleted = outcome.deleted.len(),
            finalizers_removed = outcome.finalizers_removed.len(),
            drained = outcome.drained.len(),
            failures = failures.len(),
            "uninstalled"
        );
        if failures.is_empty() {
            Ok(outcome)
        } else {
            Err(ClusterError::Uninstall { failures })
        }
    }

    async fn delete_listed(
        &self,
        gvk: &GroupVersionKind,
        namespace: Option<&str>,
        selector: &str,
    ) -> Result<Vec<ObjectRef>, ClusterError> {
        let listed = self.list_objects(gvk, namespace, Some(selector)).await?;
        let mut deleted = Vec::new();
        for (reference, object) in listed {
            // Already terminating (an earlier uninstall's deletion still finishing): not
            // this run's to delete, so a second run right after the first reports nothing.
            if object.metadata.deletion_timestamp.is_some() {
                continue;
            }
            if self.delete_object(&reference).await? {
                deleted.push(reference);
            }
        }
        Ok(deleted)
    }

    async fn remove_finalizers(
        &self,
        gvk: &GroupVersionKind,
    ) -> Result<Vec<ObjectRef>, ClusterError> {
        let listed = self.list_objects(gvk, None, None).await?;
        let mut cleared = Vec::new();
        for (reference, object) in listed {
            if object
                .metadata
                .finalizers
                .as_ref()
                .is_none_or(Vec::is_empty)
            {
                continue;
            }
            let api = self.api_for(&reference).await?;
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..PatchParams::default()
            };
            let patch = json!({"metadata": {"finalizers": null}});
            match api
                .patch(&reference.name, &params, &Patch::Merge(&patch))
                .await
            {
                Ok(_) => cleared.push(reference),
                Err(error) if is_not_found(&error) => {}
                Err(source) => {
                    return Err(ClusterError::Request {
                        action: "remove the finalizers of",
                        object: reference,
                        source: Box::new(source),
                    })
                }
            }
        }
        Ok(cleared)
    }

    /// Suspends the root Kustomization, deletes every other Kustomization and every
    /// HelmRelease, and waits until the controllers have finalized them.
    async fn drain(
        &self,
        spec: &UninstallSpec,
        timeout: Duration,
    ) -> Result<Vec<ObjectRef>, ClusterError> {
        let kustomization =
            GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization");
        let helm_release = GroupVersionKind::gvk("helm.toolkit.fluxcd.io", "v2", "HelmRelease");
        let root = ObjectRef::new(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            Some(&spec.namespace),
            &spec.root_name,
        );
        // The root would re-create what is deleted below; suspended, it stays put.
        if self.find_object(&root).await?.is_some() {
            let api = self.api_for(&root).await?;
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..PatchParams::default()
            };
            let patch = json!({"spec": {"suspend": true}});
            match api.patch(&root.name, &params, &Patch::Merge(&patch)).await {
                Ok(_) => {}
                Err(error) if is_not_found(&error) => {}
                Err(source) => {
                    return Err(ClusterError::Request {
                        action: "suspend",
                        object: root,
                        source: Box::new(source),
                    })
                }
            }
        }
        let mut targets = Vec::new();
        for kind in [&kustomization, &helm_release] {
            for (reference, _) in self.list_objects(kind, None, None).await? {
                if reference == root {
                    continue;
                }
                if self.delete_object(&reference).await? {
                    tracing::info!(object = %reference, "drain: deleted");
                }
                targets.push(reference);
            }
        }
        let deadline = Instant::now() + timeout;
        loop {
            let mut remaining = Vec::new();
            for target in &targets {
                if self.find_object(target).await?.is_some() {
                    remaining.push((target.clone(), String::from("still finalizing")));
                }
            }
            if remaining.is_empty() {
                return Ok(targets);
            }
            if Instant::now() >= deadline {
                return Err(ClusterError::Timeout {
                    timeout,
                    pending: remaining,
                });
            }
            tokio::time::sleep(DRAIN_INTERVAL).await;
        }
    }
}
