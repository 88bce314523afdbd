//! The cluster engine: connect lazily, apply the install set in stages, write the credential
//! Secrets, wait for Flux to be ready, read drift, and uninstall.
//!
//! ```no_run
//! # async fn demo(objects: Vec<serde_json::Value>) -> Result<(), flux_core::cluster::ClusterError> {
//! use flux_core::cluster::{Cluster, ConnectionSpec};
//! let cluster = Cluster::new(ConnectionSpec {
//!     config_path: Some("/etc/kubeconfig".into()),
//!     ..ConnectionSpec::default()
//! })?;
//! let outcome = cluster.apply(&objects).await?;
//! assert!(outcome.created.len() + outcome.configured.len() + outcome.unchanged.len() == objects.len());
//! # Ok(()) }
//! ```

mod apply;
mod connect;
mod drift;
mod error;
mod history;
mod kubeconfig;
mod observe;
mod patch;
mod readiness;
mod secret;
mod server;
mod terminating;
mod uninstall;
mod wait;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kube::core::{GroupVersion, GroupVersionKind};
use kube::discovery::{ApiCapabilities, ApiResource};
use tokio::sync::{Mutex, OnceCell};

pub use crate::object_ref::ObjectRef;
pub use apply::{sort_for_apply, ApplyOutcome, Stage};
pub use connect::{ConnectionError, ConnectionSpec, ExecSpec};
pub use drift::{DriftChange, FieldChange, ObjectDrift};
pub use error::ClusterError;
pub use history::ObjectHistory;
pub use observe::{ComponentObservation, FluxObjectObservation, Observation, ObserveSpec};
pub use readiness::{
    condition, crd_readiness, deployment_readiness, flux_readiness, kstatus_readiness,
    normalize_revision, Readiness,
};
pub use secret::{
    find_public_key_line, git_secret_data, image_pull_secret_data, GitCredentials, SecretData,
    SecretOutcome, SecretSpec, SecretType,
};
pub use uninstall::{NamespaceOutcome, UninstallOutcome, UninstallSpec};
pub use wait::{Condition, WaitRule, WaitTarget};

/// Whether the server said "not found": a `Status` with reason NotFound, or the plain-text
/// 404 a kind that is no longer served (CRD deleted) answers with.
fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

/// The field manager of every write, as the Flux CLI and the reference provider use.
pub const FIELD_MANAGER: &str = "flux";

/// How long a request waits for the API server when the caller sets no bound: for
/// the connection (TCP and TLS) and, separately, for each read of the answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A Kubernetes cluster, connected on first use.
///
/// [`Cluster::new`] only validates the settings; the kubeconfig files are read and the server
/// is dialled by the first operation, so that settings can be checked before the cluster exists. The client
/// and the discovery results are then cached for the life of the value.
///
/// Every request is bounded (see [`Cluster::with_request_timeout`]), and a request
/// that fails before the server answers names the server in its error chain.
pub struct Cluster {
    spec: ConnectionSpec,
    connection: OnceCell<Connection>,
    apply_concurrency: usize,
    request_timeout: Duration,
}

/// The kinds of one group-version document.
type KindMap = HashMap<String, (ApiResource, ApiCapabilities)>;

/// The client and its discovery cache.
struct Connection {
    client: kube::Client,
    /// Resolved kinds, per group-version document fetched.
    discovery: Mutex<HashMap<GroupVersion, Arc<KindMap>>>,
}

impl Cluster {
    /// Validates the connection settings; dials nothing and reads no file.
    pub fn new(spec: ConnectionSpec) -> Result<Self, ClusterError> {
        spec.validate()?;
        Ok(Self {
            spec,
            connection: OnceCell::new(),
            apply_concurrency: 8,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        })
    }

    /// Sets how long a request waits for the API server to accept the connection
    /// (TCP and TLS) and, separately, for each read of its answer (at least 1 s).
    /// Takes effect when the first operation connects.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// Sets how many objects of one stage are applied at the same time (at least 1).
    pub fn with_apply_concurrency(mut self, concurrency: usize) -> Self {
        self.apply_concurrency = concurrency.max(1);
        self
    }

    /// The client, built on first use.
    async fn connection(&self) -> Result<&Connection, ClusterError> {
        self.connection
            .get_or_try_init(|| async {
                let mut config = self.spec.load_config().await?;
                tracing::debug!(server = %config.cluster_url, "connecting to the cluster");
                config.connect_timeout = Some(self.request_timeout);
                config.read_timeout = Some(self.request_timeout);
                // The bound counts from the request, not from when a pooled
                // connection went idle.
                config.reset_reader_on_write = true;
                let name_server = server::NameServer::new(&config.cluster_url.to_string());
                let client = kube::client::ClientBuilder::try_from(config)
                    .map_err(|source| ConnectionError::Client { source })?
                    .with_layer(&name_server)
                    .build();
                Ok::<_, ClusterError>(Connection {
                    client,
                    discovery: Mutex::new(HashMap::new()),
                })
            })
            .await
    }

    /// The kube client, for callers that need a request this engine does not offer.
    pub async fn client(&self) -> Result<kube::Client, ClusterError> {
        Ok(self.connection().await?.client.clone())
    }

    /// Resolves a kind through discovery, fetching each group-version document once.
    /// Returns `None` when the server does not serve the kind.
    async fn find_resource(
        &self,
        gvk: &GroupVersionKind,
    ) -> Result<Option<(ApiResource, ApiCapabilities)>, ClusterError> {
        let connection = self.connection().await?;
        let gv = GroupVersion::gv(&gvk.group, &gvk.version);
        let cached = connection.discovery.lock().await.get(&gv).cloned();
        if let Some(kinds) = &cached {
            if let Some(found) = kinds.get(&gvk.kind) {
                return Ok(Some(found.clone()));
            }
        }
        // Not cached, or cached before a CRD added this kind: fetch the document again.
        let group = match kube::discovery::pinned_group(&connection.client, &gv).await {
            Ok(group) => group,
            // A group-version nobody serves answers a plain-text 404, not a Status.
            Err(error) if is_not_found(&error) => return Ok(None),
            Err(source) => {
                return Err(ClusterError::Discovery {
                    api_version: gv.api_version(),
                    source: Box::new(source),
                })
            }
        };
        let kinds: HashMap<_, _> = group
            .versioned_resources(&gvk.version)
            .into_iter()
            .map(|(ar, caps)| (ar.kind.clone(), (ar, caps)))
            .collect();
        let found = kinds.get(&gvk.kind).cloned();
        connection
            .discovery
            .lock()
            .await
            .insert(gv, Arc::new(kinds));
        Ok(found)
    }

    /// Like [`Cluster::find_resource`], but a kind the server does not serve is an error.
    async fn get_resource(
        &self,
        gvk: &GroupVersionKind,
    ) -> Result<(ApiResource, ApiCapabilities), ClusterError> {
        self.find_resource(gvk)
            .await?
            .ok_or_else(|| ClusterError::UnknownKind {
                api_version: GroupVersion::gv(&gvk.group, &gvk.version).api_version(),
                kind: gvk.kind.clone(),
            })
    }

    /// An API handle for one object's collection (namespaced or cluster-wide).
    async fn api_for(
        &self,
        object: &ObjectRef,
    ) -> Result<kube::Api<kube::api::DynamicObject>, ClusterError> {
        let (ar, caps) = self.get_resource(&object.gvk()).await?;
        let client = self.connection().await?.client.clone();
        Ok(match (caps.scope, &object.namespace) {
            (kube::discovery::Scope::Namespaced, Some(ns)) => {
                kube::Api::namespaced_with(client, ns, &ar)
            }
            (kube::discovery::Scope::Namespaced, None) => {
                return Err(ClusterError::MissingNamespace {
                    object: object.clone(),
                })
            }
            (kube::discovery::Scope::Cluster, _) => kube::Api::all_with(client, &ar),
        })
    }
}
