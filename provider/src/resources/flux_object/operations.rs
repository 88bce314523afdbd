//! Validate, plan, apply, read, delete and import of one Flux object resource.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use flux_core::cluster::{Cluster, ObjectRef, SecretData, SecretSpec, SecretType};
use flux_core::git::RepoCache;
use flux_core::objects::{
    self, FileChange, GitDelivery, GitDestination, KindDef, ObjectError, ObjectSpec, ObjectStatus,
};
use serde_json::{Map, Value as Json};
use tfplug::{AttributePath, Diagnostic, Diagnostics, PlanContext, Schema, Value};

use super::connection;
use super::convert;
use super::schema::{DEFAULT_NAMESPACE, DEFAULT_TIMEOUT};
use super::status::{self, StatusAttribute};
use crate::cluster_task::run_on_cluster;
use crate::config::{ProviderData, Setting};
use crate::diagnostics::field_errors;

/// Private state of an imported resource: its first read takes every field from
/// the object.
pub const IMPORTED: &[u8] = b"imported";

/// The directory under the synced path used when `git_directory` is not set.
const DEFAULT_SUBDIRECTORY: &str = "flux-objects";

/// How an object reaches the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delivery {
    Git,
    Cluster,
}

impl Delivery {
    fn parse(value: &Value) -> Option<Self> {
        match value.as_str()? {
            "git" => Some(Delivery::Git),
            "cluster" => Some(Delivery::Cluster),
            _ => None,
        }
    }
}

/// The settings of a resource value besides the spec.
struct Settings {
    namespace: String,
    name: String,
    delivery: Delivery,
    git_directory: Option<String>,
    wait: bool,
    timeout: Duration,
    secret_data: Option<BTreeMap<String, flux_core::Sensitive<String>>>,
}

impl Settings {
    fn read(value: &Value) -> Self {
        let timeout = value
            .attr("wait_timeout")
            .as_str()
            .and_then(|t| flux_core::manifests::GoDuration::parse(t).ok())
            .map(|d| d.to_std())
            .unwrap_or(Duration::from_secs(300));
        let delivery = Delivery::parse(value.attr("delivery")).unwrap_or(Delivery::Cluster);
        Self {
            namespace: value
                .attr("namespace")
                .as_str()
                .unwrap_or(DEFAULT_NAMESPACE)
                .to_string(),
            name: value.attr("name").as_str().unwrap_or_default().to_string(),
            delivery,
            git_directory: value
                .attr("git_directory")
                .as_str()
                .map(normalize_directory),
            wait: value
                .attr("wait")
                .as_bool()
                .unwrap_or(delivery == Delivery::Cluster),
            timeout,
            secret_data: value.attr("secret_data").as_entries().map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        v.as_str()
                            .map(|s| (k.clone(), flux_core::Sensitive::new(s.to_string())))
                    })
                    .collect()
            }),
        }
    }

    fn object_ref(&self, kind: &KindDef) -> ObjectRef {
        ObjectRef::new(
            kind.api_version,
            kind.kind,
            Some(&self.namespace),
            &self.name,
        )
    }
}

fn normalize_directory(dir: &str) -> String {
    dir.trim_start_matches("./").trim_matches('/').to_string()
}

fn object_error(summary: &str, e: &ObjectError) -> Diagnostics {
    let mut diags = Diagnostics::new();
    match e {
        ObjectError::Invalid { errors, .. } => field_errors(errors, &mut diags),
        _ => diags.push(Diagnostic::from_error(summary, e)),
    }
    diags
}

/// The validated spec of a known value.
fn object_spec(kind: &'static KindDef, value: &Value) -> Result<ObjectSpec, Diagnostics> {
    let mut errors = Vec::new();
    let spec = convert::spec_from_value(kind.fields, value, &AttributePath::root(), &mut errors);
    if !errors.is_empty() {
        let mut diags = Diagnostics::new();
        for (path, reason) in errors {
            diags.push(Diagnostic::error("Invalid Attribute Value", reason).at(path));
        }
        return Err(diags);
    }
    let settings = Settings::read(value);
    ObjectSpec::new(kind, &settings.namespace, &settings.name, spec)
        .map_err(|e| object_error("Invalid Object", &e))
}

/// Checks what the attribute validators cannot: rules across fields, and
/// `secret_data` without `secret_ref`.
pub fn validate(kind: &'static KindDef, config: &Value, diags: &mut Diagnostics) {
    if !config.attr("secret_data").is_null() && config.attr("secret_ref").is_null() {
        diags.push(
            Diagnostic::error(
                "Invalid Attribute Combination",
                "secret_data is written to the Secret named by secret_ref: set secret_ref too.",
            )
            .at(AttributePath::attr("secret_data")),
        );
    }
    if !config.is_wholly_known() {
        return;
    }
    let mut errors = Vec::new();
    let spec = convert::spec_from_value(kind.fields, config, &AttributePath::root(), &mut errors);
    if errors.is_empty() {
        field_errors(&objects::check_rules(kind, &spec), diags);
    }
}

/// Plans `delivery`, `wait`, `git_directory`, `git_file`, `id` and the status.
pub fn modify_plan(
    kind: &'static KindDef,
    extra: &[StatusAttribute],
    data: &ProviderData,
    plan: &mut PlanContext,
    diags: &mut Diagnostics,
) {
    if plan.is_destroy() {
        return;
    }
    let config = plan.config.clone();
    let prior = plan.prior.clone();
    let planned = &mut plan.planned;
    let delivery = match config.attr("delivery").as_str() {
        Some(d) => Delivery::parse(&Value::from(d)),
        None if config.attr("delivery").is_unknown() => None,
        None => Delivery::parse(prior.attr("delivery")).or(Some(match data.git {
            Setting::Unset => Delivery::Cluster,
            _ => Delivery::Git,
        })),
    };
    if delivery == Some(Delivery::Git) && data.git == Setting::Unset {
        diags.push(
            Diagnostic::error(
                "Git Delivery Without Git",
                "delivery = \"git\" needs the provider's `git` configuration.",
            )
            .at(AttributePath::attr("delivery")),
        );
    }
    planned.set_attr(
        "delivery",
        match delivery {
            Some(Delivery::Git) => Value::from("git"),
            Some(Delivery::Cluster) => Value::from("cluster"),
            None => Value::unknown(),
        },
    );
    if config.attr("wait").is_null() {
        planned.set_attr(
            "wait",
            match delivery {
                Some(d) => Value::from(d == Delivery::Cluster),
                None => Value::unknown(),
            },
        );
    }
    let prior_git = Delivery::parse(prior.attr("delivery")) == Some(Delivery::Git);
    let directory = match delivery {
        Some(Delivery::Git) => match config.attr("git_directory") {
            v if v.is_null() && prior_git && prior.attr("git_directory").as_str().is_some() => {
                prior.attr("git_directory").clone()
            }
            v if v.is_null() => Value::unknown(),
            v => match v.as_str() {
                Some(d) => Value::from(normalize_directory(d)),
                None => v.clone(),
            },
        },
        Some(Delivery::Cluster) => config.attr("git_directory").clone(),
        None => Value::unknown(),
    };
    planned.set_attr("git_directory", directory.clone());
    let namespace = planned.attr("namespace").as_str().map(str::to_string);
    let name = planned.attr("name").as_str().map(str::to_string);
    let file = match (delivery, directory.as_str(), &namespace, &name) {
        (Some(Delivery::Cluster), _, _, _) => Value::Null,
        (Some(Delivery::Git), Some(dir), Some(ns), Some(n)) => {
            Value::from(join(dir, &objects::file_name(kind, ns, n)))
        }
        _ => Value::unknown(),
    };
    planned.set_attr("git_file", file);
    if let (Some(ns), Some(n)) = (&namespace, &name) {
        planned.set_attr("id", Value::from(format!("{ns}/{n}")));
    }
    // The status: kept when nothing changes, except that an object found not
    // ready (drift) plans ready = true, which an apply then restores.
    let wait = planned.attr("wait").as_bool();
    let suspended = planned.attr("suspend").as_bool() == Some(true);
    let expect_ready = wait == Some(true) && !suspended;
    let changed = prior.is_null() || !same_except_status(extra, planned, &prior);
    let found_not_ready = expect_ready && prior.attr("ready").as_bool() == Some(false);
    if !(changed || found_not_ready) {
        for name in status::names(extra) {
            planned.set_attr(name, prior.attr(name).clone());
        }
    } else {
        planned.set_attr(
            "ready",
            if expect_ready {
                Value::from(true)
            } else {
                Value::unknown()
            },
        );
        planned.set_attr("revision", Value::unknown());
        planned.set_attr("message", Value::unknown());
        for a in extra {
            planned.set_attr(a.name, Value::unknown());
        }
    }
}

fn same_except_status(extra: &[StatusAttribute], planned: &Value, prior: &Value) -> bool {
    match (planned.as_entries(), prior.as_entries()) {
        (Some(a), Some(b)) => a
            .iter()
            .filter(|(k, _)| !status::is_status(extra, k))
            .all(|(k, v)| b.get(k).is_some_and(|p| p == v)),
        _ => false,
    }
}

fn join(directory: &str, file: &str) -> String {
    if directory.is_empty() {
        file.to_string()
    } else {
        format!("{directory}/{file}")
    }
}

static DELIVERY: Mutex<Option<GitDelivery>> = Mutex::new(None);

/// The process-wide git delivery: one per process, so that every object resource
/// writing to one repository shares its batches.
fn git_delivery() -> Result<GitDelivery, Diagnostic> {
    let mut slot = DELIVERY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(d) = slot.as_ref() {
        return Ok(d.clone());
    }
    let dir = std::env::var_os("FLUX_PROVIDER_GIT_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("terraform-provider-flux-git"));
    let cache = RepoCache::new(dir)
        .map_err(|e| Diagnostic::from_error("Failed To Create The Git Cache", &e))?;
    let delivery = GitDelivery::new(cache);
    *slot = Some(delivery.clone());
    Ok(delivery)
}

/// A cluster operation through [`run_on_cluster`], its error reported as is.
async fn on_cluster<T, F, Fut>(cluster: &Arc<Cluster>, f: F) -> Result<T, Diagnostics>
where
    T: Send + 'static,
    F: FnOnce(Arc<Cluster>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ObjectError>>,
{
    run_on_cluster(cluster, f)
        .await
        .map_err(Diagnostics::from)?
        .map_err(|e| object_error("Cluster Operation Failed", &e))
}

async fn destination(data: &ProviderData) -> Result<GitDestination, Diagnostics> {
    let data = data.clone();
    tokio::task::spawn_blocking(move || connection::git_destination(&data))
        .await
        .map_err(|e| Diagnostics::from(Diagnostic::from_error("Internal Error", &e)))?
        .map_err(Diagnostics::from)
}

async fn deliver(
    destination: &GitDestination,
    changes: Vec<FileChange>,
) -> Result<(), Diagnostics> {
    let outcome = git_delivery()?
        .deliver(destination, changes)
        .await
        .map_err(|e| object_error("Git Delivery Failed", &e))?;
    tracing::info!(
        commit = outcome.commit.as_deref().unwrap_or("none"),
        "delivered to git"
    );
    Ok(())
}

/// `flux_objects` under the path of the cluster's root Kustomization.
async fn default_directory(cluster: &Arc<Cluster>) -> Result<String, Diagnostics> {
    let root = ObjectRef::new(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some("flux-system"),
        "flux-system",
    );
    let live = on_cluster(
        cluster,
        move |c| async move { objects::find(&c, &root).await },
    )
    .await?;
    let path = live
        .as_ref()
        .and_then(|l| l.pointer("/spec/path"))
        .and_then(Json::as_str)
        .map(normalize_directory)
        .ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error(
                    "No Default Git Directory",
                    "git_directory is not set and the cluster has no root Kustomization flux-system/flux-system to take the synced path from: set git_directory.",
                )
                .at(AttributePath::attr("git_directory")),
            )
        })?;
    let path = if path == "." { String::new() } else { path };
    Ok(join(&path, DEFAULT_SUBDIRECTORY))
}

fn write_secret_first(
    settings: &Settings,
    spec: &ObjectSpec,
) -> Result<Option<SecretSpec>, Diagnostics> {
    let Some(entries) = &settings.secret_data else {
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
        namespace: settings.namespace.clone(),
        name: name.to_string(),
        secret_type: SecretType::Opaque,
        data,
        labels: BTreeMap::new(),
    }))
}

/// Create or update: the Secret, then the object by its delivery (moving it when
/// the delivery or the directory changed), then the wait.
#[tracing::instrument(skip_all, fields(kind = kind.kind))]
pub async fn apply(
    kind: &'static KindDef,
    extra: &[StatusAttribute],
    data: &ProviderData,
    prior: Option<&Value>,
    planned: &Value,
) -> Result<Value, Diagnostics> {
    let spec = object_spec(kind, planned)?;
    let settings = Settings::read(planned);
    let prior_settings = prior.map(Settings::read);
    let prior_file = prior
        .and_then(|p| p.attr("git_file").as_str())
        .map(str::to_string);
    let secret = write_secret_first(&settings, &spec)?;
    let cluster = match data.kubernetes {
        Setting::Known(_) => Some(Arc::new(connection::cluster(data)?)),
        _ => None,
    };
    let need_cluster = || {
        cluster.clone().ok_or_else(|| {
            Diagnostics::from(Diagnostic::error(
                "Missing Configuration",
                "This resource needs the provider's `kubernetes` configuration for cluster delivery, for wait, for secret_data and to find the default git_directory.",
            ))
        })
    };
    if let Some(secret) = secret {
        let c = need_cluster()?;
        on_cluster(&c, move |c| async move {
            c.ensure_secret(&secret)
                .await
                .map(|_| ())
                .map_err(|source| ObjectError::Cluster {
                    object: format!("Secret/{}/{}", secret.namespace, secret.name),
                    source: Box::new(source),
                })
        })
        .await?;
    }
    let label = format!("{} {}/{}", kind.kind, settings.namespace, settings.name);
    let mut git_file = None;
    let mut git_directory = planned
        .attr("git_directory")
        .as_str()
        .map(normalize_directory);
    match settings.delivery {
        Delivery::Cluster => {
            let c = need_cluster()?;
            let to_apply = spec.clone();
            on_cluster(
                &c,
                move |c| async move { objects::apply(&c, &to_apply).await },
            )
            .await?;
            // Moved out of git: the cluster copy (with pruning disabled) exists
            // before the file goes, so the Kustomization leaves it alone.
            if let Some(old) = prior_file.filter(|_| {
                prior_settings
                    .as_ref()
                    .is_some_and(|p| p.delivery == Delivery::Git)
            }) {
                let dest = destination(data).await?;
                deliver(&dest, vec![removal(&old, &label)]).await?;
            }
        }
        Delivery::Git => {
            let directory = match &git_directory {
                Some(d) => d.clone(),
                None => default_directory(&need_cluster()?).await?,
            };
            let file = spec.file_name();
            let path = join(&directory, &file);
            let mut changes = vec![FileChange {
                directory: directory.clone(),
                file,
                content: Some(spec.to_yaml()),
                label: label.clone(),
            }];
            if let Some(old) = prior_file.filter(|old| *old != path) {
                changes.push(removal(&old, &label));
            }
            let dest = destination(data).await?;
            deliver(&dest, changes).await?;
            if prior_settings
                .as_ref()
                .is_some_and(|p| p.delivery == Delivery::Cluster)
            {
                let c = need_cluster()?;
                let object = settings.object_ref(kind);
                on_cluster(&c, move |c| async move {
                    objects::allow_prune(&c, &object).await
                })
                .await?;
            }
            git_file = Some(path);
            git_directory = Some(directory);
        }
    }
    let status = if settings.wait {
        let c = need_cluster()?;
        let to_wait = spec.clone();
        let timeout = settings.timeout;
        on_cluster(&c, move |c| async move {
            objects::wait_ready(&c, &to_wait, timeout).await
        })
        .await?
    } else {
        observe_status(kind, cluster.as_ref(), &settings).await
    };
    let mut state = planned.clone();
    state.set_attr(
        "id",
        Value::from(format!("{}/{}", settings.namespace, settings.name)),
    );
    state.set_attr(
        "git_directory",
        git_directory.map(Value::from).unwrap_or(Value::Null),
    );
    state.set_attr("git_file", git_file.map(Value::from).unwrap_or(Value::Null));
    set_status(&mut state, &status);
    let live = status::live_for(extra, cluster.as_ref(), settings.object_ref(kind)).await;
    status::set(&mut state, extra, live.as_ref());
    Ok(state)
}

fn removal(path: &str, label: &str) -> FileChange {
    let (directory, file) = path.rsplit_once('/').unwrap_or(("", path));
    FileChange {
        directory: directory.to_string(),
        file: file.to_string(),
        content: None,
        label: label.to_string(),
    }
}

fn set_status(state: &mut Value, status: &ObjectStatus) {
    state.set_attr("ready", Value::from(status.ready));
    state.set_attr(
        "revision",
        status
            .revision
            .clone()
            .map(Value::from)
            .unwrap_or(Value::Null),
    );
    state.set_attr("message", Value::from(status.message.clone()));
}

/// The status of the live object, or why there is none. Never fails: a status
/// is informative, the delivery already succeeded.
async fn observe_status(
    kind: &'static KindDef,
    cluster: Option<&Arc<Cluster>>,
    settings: &Settings,
) -> ObjectStatus {
    let Some(cluster) = cluster else {
        return ObjectStatus {
            ready: false,
            message: "not observed: the provider has no kubernetes configuration".into(),
            revision: None,
        };
    };
    let object = settings.object_ref(kind);
    match on_cluster(
        cluster,
        move |c| async move { objects::find(&c, &object).await },
    )
    .await
    {
        Ok(Some(live)) => objects::status_of(kind, &live),
        Ok(None) => ObjectStatus {
            ready: false,
            message: "not in the cluster yet".into(),
            revision: None,
        },
        Err(_) => ObjectStatus {
            ready: false,
            message: "the cluster could not be read".into(),
            revision: None,
        },
    }
}

/// Read: the file (git delivery) or the live object (cluster delivery); gone
/// means removed from state. A spec that differs from the state's is read back
/// into the attributes, so the plan shows the drift; the status is refreshed.
#[tracing::instrument(skip_all, fields(kind = kind.kind))]
pub async fn read(
    kind: &'static KindDef,
    extra: &[StatusAttribute],
    data: &ProviderData,
    state: &Value,
    imported: bool,
) -> Result<Option<Value>, Diagnostics> {
    let settings = Settings::read(state);
    let kube_known = matches!(data.kubernetes, Setting::Known(_));
    let deferred = matches!(data.kubernetes, Setting::Deferred)
        || (settings.delivery == Delivery::Git && matches!(data.git, Setting::Deferred));
    if deferred {
        return Ok(Some(state.clone()));
    }
    let cluster = if kube_known {
        Some(Arc::new(
            connection::cluster(data).map_err(Diagnostics::from)?,
        ))
    } else {
        None
    };
    let object = settings.object_ref(kind);
    let live = match &cluster {
        Some(c) => {
            let o = object.clone();
            on_cluster(c, move |c| async move { objects::find(&c, &o).await }).await?
        }
        None => None,
    };
    let observed: Option<Json> = match settings.delivery {
        Delivery::Cluster => live.clone(),
        Delivery::Git => {
            let Some(path) = state
                .attr("git_file")
                .as_str()
                .map(str::to_string)
                .or_else(|| {
                    settings.git_directory.as_ref().map(|d| {
                        join(
                            d,
                            &objects::file_name(kind, &settings.namespace, &settings.name),
                        )
                    })
                })
            else {
                return Ok(None);
            };
            let dest = destination(data).await?;
            let (directory, file) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            let seen = git_delivery()?
                .observe(&dest.remote, directory, file)
                .await
                .map_err(|e| object_error("Failed To Read The Git Repository", &e))?;
            match seen.content {
                Some(text) if seen.listed => flux_core::manifests::parse_yaml_stream(&text, &path)
                    .ok()
                    .and_then(|docs| docs.into_iter().next()),
                _ => None,
            }
        }
    };
    let Some(observed) = observed else {
        tracing::info!(object = %object, "object is gone");
        return Ok(None);
    };
    let mut next = state.clone();
    let mut errors = Vec::new();
    let desired: Map<String, Json> =
        convert::spec_from_value(kind.fields, state, &AttributePath::root(), &mut errors);
    if imported || !objects::spec_is_satisfied(kind, &desired, &observed) {
        let known = objects::known_spec(kind, &observed);
        for (name, value) in convert::value_from_spec(kind.fields, &known) {
            next.set_attr(&name, value);
        }
    }
    if settings.delivery == Delivery::Git {
        let path = state.attr("git_file").clone();
        if imported {
            if let Some(p) = path.as_str() {
                let dir = p.rsplit_once('/').map(|(d, _)| d).unwrap_or_default();
                next.set_attr("git_directory", Value::from(dir));
            }
        }
    }
    let status = match &live {
        Some(l) => objects::status_of(kind, l),
        None => observe_status(kind, cluster.as_ref(), &settings).await,
    };
    set_status(&mut next, &status);
    status::set(&mut next, extra, live.as_ref());
    Ok(Some(next))
}

/// Delete: remove the file (Flux prunes the object) or delete the object.
#[tracing::instrument(skip_all, fields(kind = kind.kind))]
pub async fn delete(
    kind: &'static KindDef,
    data: &ProviderData,
    prior: &Value,
) -> Result<(), Diagnostics> {
    let settings = Settings::read(prior);
    match settings.delivery {
        Delivery::Git => {
            if let Some(path) = prior.attr("git_file").as_str() {
                let label = format!("{} {}/{}", kind.kind, settings.namespace, settings.name);
                let dest = destination(data).await?;
                deliver(&dest, vec![removal(path, &label)]).await?;
            }
        }
        Delivery::Cluster => {
            let cluster = Arc::new(connection::cluster(data).map_err(Diagnostics::from)?);
            let object = settings.object_ref(kind);
            let timeout = settings.timeout;
            on_cluster(&cluster, move |c| async move {
                objects::delete(&c, &object, timeout).await
            })
            .await?;
        }
    }
    delete_written_secret(kind, data, prior, &settings).await
}

/// Deletes the Secret this resource wrote from `secret_data`: its content was this
/// resource's configuration, so it goes with the resource (after the object, which
/// may still read it while it is removed). A Secret only named by `secret_ref` is
/// left alone.
async fn delete_written_secret(
    kind: &'static KindDef,
    data: &ProviderData,
    prior: &Value,
    settings: &Settings,
) -> Result<(), Diagnostics> {
    if settings.secret_data.is_none() {
        return Ok(());
    }
    let Some(secret) = write_secret_first(settings, &object_spec(kind, prior)?)? else {
        return Ok(());
    };
    let cluster = Arc::new(connection::cluster(data).map_err(Diagnostics::from)?);
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

/// The state of an import ID: `<namespace>/<name>` (cluster delivery) or
/// `<namespace>/<name>@<git directory>` (git delivery); the read that follows
/// fills in the spec.
pub fn import_state(
    kind: &'static KindDef,
    schema: &Schema,
    id: &str,
) -> Result<Value, Diagnostic> {
    let bad = || {
        Diagnostic::error(
            "Invalid Import ID",
            format!(
                "Expected <namespace>/<name> (cluster delivery) or <namespace>/<name>@<git directory> (git delivery), got {id:?}."
            ),
        )
    };
    let (object, directory) = match id.split_once('@') {
        Some((o, d)) => (o, Some(normalize_directory(d))),
        None => (id, None),
    };
    let (namespace, name) = object.split_once('/').ok_or_else(bad)?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return Err(bad());
    }
    let mut state = Value::object(
        schema
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null)),
    );
    state.set_attr("id", Value::from(format!("{namespace}/{name}")));
    state.set_attr("namespace", Value::from(namespace));
    state.set_attr("name", Value::from(name));
    state.set_attr("wait_timeout", Value::from(DEFAULT_TIMEOUT));
    match directory {
        Some(dir) => {
            state.set_attr("delivery", Value::from("git"));
            state.set_attr("wait", Value::from(false));
            state.set_attr(
                "git_file",
                Value::from(join(&dir, &objects::file_name(kind, namespace, name))),
            );
            state.set_attr("git_directory", Value::from(dir));
        }
        None => {
            state.set_attr("delivery", Value::from("cluster"));
            state.set_attr("wait", Value::from(true));
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_core::objects::kinds::KUSTOMIZATION;

    #[test]
    fn import_state_id_forms_choose_the_delivery() {
        let schema = super::super::schema::schema(&KUSTOMIZATION, "", &[]);
        let git = import_state(&KUSTOMIZATION, &schema, "apps/web@./clusters/a/objects/").unwrap();
        assert_eq!(git.attr("delivery").as_str(), Some("git"));
        assert_eq!(
            git.attr("git_file").as_str(),
            Some("clusters/a/objects/kustomization-apps-web.yaml")
        );
        let cluster = import_state(&KUSTOMIZATION, &schema, "apps/web").unwrap();
        assert_eq!(cluster.attr("delivery").as_str(), Some("cluster"));
        assert!(import_state(&KUSTOMIZATION, &schema, "web").is_err());
    }
}
