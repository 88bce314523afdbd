//! The work behind Create and Update (Read and Delete are `read`'s and `destroy`'s):
//! git transactions through the repository cache, server-side apply, Secrets and
//! readiness waits.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use flux_core::cluster::{
    git_secret_data, image_pull_secret_data, Cluster, ClusterError, ObjectRef, SecretSpec,
    SecretType, WaitRule, WaitTarget,
};
use flux_core::git::{CommitOutcome, Observation as GitObservation, RepoCache, Transaction};
use flux_core::sync::SpecRef;
use tfplug::{Diagnostic, Diagnostics};
use tokio::time::Instant;

use super::files::{self, ExpectedFiles};
use super::model::BootstrapModel;
use super::sync_ref;
use crate::cluster_task::run_on_cluster;
use crate::connection::GitTarget;
use crate::diagnostics::{cluster_error, git_error};

/// How long one wait round lasts before the branch tip is read again (another
/// bootstrap into the same repository may have moved it).
const WAIT_ROUND: Duration = Duration::from_secs(20);

/// One bootstrap's model and connections.
pub struct Bootstrap {
    /// The resource's values.
    pub model: BootstrapModel,
    /// The repository.
    pub git: GitTarget,
    /// The cluster (connected on first use).
    pub cluster: Arc<Cluster>,
    /// The shared repository cache.
    pub cache: RepoCache,
    /// When the operation's `timeouts` entry runs out.
    pub deadline: Instant,
}

/// Whether this apply creates the resource or updates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Create: two commits, as the reference.
    Create,
    /// Update: one commit "Update Flux manifests".
    Update,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Diagnostic> + Send + 'static,
) -> Result<T, Diagnostic> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Diagnostic::from_error("Internal Error", &e))?
}

/// [`run_on_cluster`] for operations whose error is reported as is.
async fn on_cluster<T, F, Fut>(cluster: &Arc<Cluster>, summary: &str, f: F) -> Result<T, Diagnostic>
where
    T: Send + 'static,
    F: FnOnce(Arc<Cluster>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ClusterError>>,
{
    run_on_cluster(cluster, f)
        .await?
        .map_err(|e| cluster_error(summary, &e))
}

impl Bootstrap {
    /// Scans and pins the SSH host key when none is configured.
    pub async fn pin_host_key(&mut self) -> Result<(), Diagnostic> {
        if self.git.host_key_pinned() {
            return Ok(());
        }
        let mut git = self.git.clone();
        self.git = blocking(move || {
            git.pin_host_key()
                .map_err(|e| git_error("SSH Host Key Scan Failed", &e))?;
            Ok(git)
        })
        .await?;
        Ok(())
    }

    /// The repository cache, each of its network steps bounded by the time left
    /// until the deadline, so that a silent git server ends the operation with an
    /// error naming the server before the operation's backstop cuts it off.
    fn bounded_cache(&self) -> RepoCache {
        let left = self.deadline.saturating_duration_since(Instant::now());
        self.cache
            .clone()
            .with_network_timeout(left.max(Duration::from_secs(1)))
    }

    /// Reads `paths` at the branch tip through the cache.
    pub async fn read_git(&self, paths: Vec<String>) -> Result<GitObservation, Diagnostic> {
        let cache = self.bounded_cache();
        let remote = self.git.remote.clone();
        blocking(move || {
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            cache
                .read_files(&remote, &refs)
                .map_err(|e| git_error("Failed To Read The Git Repository", &e))
        })
        .await
    }

    pub(super) async fn commit(&self, mut tx: Transaction) -> Result<CommitOutcome, Diagnostic> {
        let cache = self.bounded_cache();
        let git = self.git.clone();
        tx.author = git.author.clone();
        tx.message_appendix = git.appendix.clone();
        blocking(move || {
            tx.signing = git.signing()?;
            cache
                .commit(&git.remote, &tx)
                .map_err(|e| git_error("Failed To Push To The Git Repository", &e))
        })
        .await
    }

    /// Renders the expected files, keeping an in-repo `kustomization.yaml` when no
    /// override is set. `kustomization_in_git` is what git (or state) holds.
    pub async fn render(
        &self,
        kustomization_in_git: Option<&str>,
    ) -> Result<ExpectedFiles, Diagnostics> {
        let base = files::load_base(&self.model).await?;
        files::render(
            &self.model,
            &base,
            &self.git.sync_url,
            self.git.branch(),
            kustomization_in_git,
        )
    }

    /// Create or update: check the cluster, render, commit, apply, write the Secrets and
    /// wait. Everything that can be checked is checked before git is written. Returns
    /// `repository_files`.
    #[tracing::instrument(skip_all, fields(namespace = %self.model.namespace, mode = ?mode))]
    pub async fn apply(
        &mut self,
        mode: Mode,
        prior_keys: &[String],
        planned_kustomization: Option<String>,
        timeout: Duration,
        diags: &mut Diagnostics,
    ) -> Result<BTreeMap<String, String>, Diagnostics> {
        let deadline = Instant::now() + timeout;
        self.deadline = deadline;
        self.pin_host_key().await?;
        let ns = self.model.namespace.clone();
        // The cluster must answer before git changes (the reference moved files first).
        let seen = self
            .observe_cluster()
            .await
            .map_err(|e| cluster_error("Failed To Reach The Cluster", &e))?;
        if mode == Mode::Create {
            if let Some(have) = seen.kustomization.as_ref().and_then(|k| k.path.clone()) {
                let want = format!("./{}", self.model.normalized_path().unwrap_or_default());
                if have.trim_start_matches("./").trim_end_matches('/')
                    != want.trim_start_matches("./").trim_end_matches('/')
                {
                    return Err(Diagnostic::error(
                        "Flux Already Bootstrapped With Another Path",
                        format!("Kustomization {ns}/{ns} syncs {have}; this resource would make it sync {want}. Import the existing bootstrap or change `path`."),
                    )
                    .at(tfplug::AttributePath::attr("path"))
                    .into());
                }
            }
        }
        // The plan's kustomization.yaml when it has one (so that state matches the
        // plan), else the one in git, kept as the Flux CLI keeps it.
        let existing = match planned_kustomization {
            Some(text) => Some(text),
            None => {
                let key = self.model.file_key("kustomization.yaml");
                let in_git = self.read_git(vec![key.clone()]).await?;
                in_git
                    .files
                    .get(&key)
                    .cloned()
                    .flatten()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            }
        };
        let expected = self.render(existing.as_deref()).await?;
        let (install, sync) = expected.objects(diags)?;
        self.check_override_references().await?;
        let credentials = self.git.credentials();
        let pull = match self.model.registry_login() {
            Some((user, password)) => Some(
                image_pull_secret_data(&self.model.registry, &user, &password)
                    .map_err(|e| cluster_error("Invalid Registry Credentials", &e))?,
            ),
            None => None,
        };
        let files = expected.by_key(&self.model);
        // Git and the install do not depend on each other (the controllers read git only
        // once the sync objects, applied after both, point them at it): run them together.
        let this: &Self = self;
        let in_git = async {
            let tip = this.write_git(mode, &expected, &files, prior_keys).await?;
            tracing::info!(
                commit = tip.as_deref().unwrap_or("none"),
                "manifests in git"
            );
            Ok::<_, Diagnostic>(tip)
        };
        let in_cluster = async {
            // Right after an uninstall (ours, the reference's, or by hand) the
            // namespace and CRDs may still be terminating: install once they are gone.
            let left = deadline.saturating_duration_since(Instant::now());
            let install = on_cluster(
                &this.cluster,
                "Flux Is Still Being Deleted",
                move |c| async move { c.wait_terminated(&install, left).await.map(|_| install) },
            )
            .await?;
            on_cluster(
                &this.cluster,
                "Failed To Install Flux",
                move |c| async move { c.apply(&install).await },
            )
            .await?;
            if let (Some(data), Some(name)) = (pull, &this.model.image_pull_secret) {
                this.ensure_secret(name, SecretType::DockerConfigJson, data)
                    .await?;
            }
            if super::connection::writes_git_secret(&this.model, &this.git, &this.cluster).await? {
                this.ensure_secret(
                    &this.model.secret_name,
                    SecretType::Opaque,
                    git_secret_data(&credentials),
                )
                .await?;
            }
            Ok::<_, Diagnostic>(())
        };
        let tip = match tokio::join!(in_git, in_cluster) {
            (Ok(tip), Ok(())) => tip,
            (Err(git), Err(cluster)) => {
                let mut both = Diagnostics::from(git);
                both.push(cluster);
                return Err(both);
            }
            (Err(error), Ok(())) | (Ok(_), Err(error)) => return Err(error.into()),
        };
        // The new ref is written in one request before the apply (see sync_ref).
        let wanted_ref = SpecRef::planned(&sync, &ns);
        let written = match &wanted_ref {
            Some(wanted) => sync_ref::write(&self.cluster, &ns, wanted).await?,
            None => None,
        };
        on_cluster(
            &self.cluster,
            "Failed To Apply The Flux Sync Objects",
            move |c| async move { c.apply(&sync).await },
        )
        .await?;
        let waiting = Instant::now();
        let waited = match wanted_ref.zip(written) {
            Some((wanted, written)) => {
                sync_ref::settle(&self.cluster, &ns, &wanted, written, deadline).await
            }
            None => Ok(()),
        };
        let waited = match waited {
            Ok(()) => self.wait_ready(tip, deadline).await,
            Err(d) => Err(d),
        };
        // The benchmark subtracts this from the provider's time (bench/bootstrap.sh).
        tracing::info!(
            waited_ms = u64::try_from(waiting.elapsed().as_millis()).unwrap_or(u64::MAX),
            "waited for flux"
        );
        waited?;
        Ok(files)
    }

    async fn write_git(
        &self,
        mode: Mode,
        expected: &ExpectedFiles,
        files: &BTreeMap<String, String>,
        prior_keys: &[String],
    ) -> Result<Option<String>, Diagnostic> {
        let mut tip = None;
        let txs = transactions(&self.model, mode, expected, files, prior_keys);
        for tx in txs {
            let outcome = self.commit(tx).await?;
            tip = outcome.tip.or(tip);
        }
        Ok(tip)
    }

    async fn ensure_secret(
        &self,
        name: &str,
        secret_type: SecretType,
        data: flux_core::cluster::SecretData,
    ) -> Result<(), Diagnostic> {
        let spec = SecretSpec {
            namespace: self.model.namespace.clone(),
            name: name.to_string(),
            secret_type,
            data,
            labels: BTreeMap::new(),
        };
        let outcome = self
            .cluster
            .ensure_secret(&spec)
            .await
            .map_err(|e| cluster_error("Failed To Write A Secret", &e))?;
        tracing::debug!(secret = name, ?outcome, "secret ensured");
        Ok(())
    }

    pub(super) async fn observe_cluster(
        &self,
    ) -> Result<flux_core::cluster::Observation, ClusterError> {
        super::observe::observe(
            &self.cluster,
            self.model.namespace.clone(),
            self.model.all_components(),
            (!self.model.disable_secret_creation).then(|| self.model.secret_name.clone()),
        )
        .await
    }

    /// Waits for the root objects at the pushed revision and the controllers. Other
    /// writers move the branch on, and Flux then reports a later commit: between rounds
    /// the wait moves to the revision Flux reports when that commit includes the pushed
    /// one, else to the branch tip.
    async fn wait_ready(&self, tip: Option<String>, deadline: Instant) -> Result<(), Diagnostic> {
        let ns = self.model.namespace.as_str();
        let pushed = tip.clone();
        let mut revision = tip;
        loop {
            // A tag, semver range or commit resolves to a revision the pushed commit does
            // not name (the reference waited for it and hung, TPF #695 #712): readiness
            // at the current generation is what counts then.
            let expected = revision
                .as_ref()
                .filter(|_| self.model.sync_ref.is_none())
                .map(|sha| format!("{}@sha1:{sha}", self.git.branch()));
            let mut targets = vec![
                WaitTarget {
                    object: ObjectRef::new(
                        "source.toolkit.fluxcd.io/v1",
                        "GitRepository",
                        Some(ns),
                        ns,
                    ),
                    rule: WaitRule::Flux {
                        expected_revision: expected.clone(),
                    },
                },
                WaitTarget {
                    object: ObjectRef::new(
                        "kustomize.toolkit.fluxcd.io/v1",
                        "Kustomization",
                        Some(ns),
                        ns,
                    ),
                    rule: WaitRule::Flux {
                        expected_revision: expected,
                    },
                },
            ];
            targets.extend(self.model.all_components().iter().map(|c| WaitTarget {
                object: ObjectRef::new("apps/v1", "Deployment", Some(ns), c),
                rule: WaitRule::Kstatus,
            }));
            let left = deadline.saturating_duration_since(Instant::now());
            let round = left.min(WAIT_ROUND);
            let waited = run_on_cluster(&self.cluster, move |c| async move {
                c.wait(&targets, round).await
            })
            .await?;
            match waited {
                Ok(()) => return Ok(()),
                Err(e) if e.is_failed() || round == left || left.is_zero() => {
                    return Err(cluster_error("Flux Is Not Ready", &e))
                }
                Err(_) => {
                    revision = self
                        .revision_to_wait_for(pushed.as_deref())
                        .await?
                        .or(revision);
                }
            }
        }
    }

    /// The commit the next round waits for: the one Flux reports when it includes
    /// `pushed`, else the branch tip.
    async fn revision_to_wait_for(
        &self,
        pushed: Option<&str>,
    ) -> Result<Option<String>, Diagnostic> {
        let ns = self.model.namespace.clone();
        let reported = run_on_cluster(&self.cluster, move |c| async move {
            c.source_revision(&ns, &ns).await
        })
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
        .and_then(|r| r.rsplit_once(':').map(|(_, sha)| sha.to_string()));
        if let (Some(reported), Some(pushed)) = (reported, pushed) {
            let (cache, remote, ancestor) = (
                self.bounded_cache(),
                self.git.remote.clone(),
                pushed.to_string(),
            );
            let candidate = reported.clone();
            let later = blocking(move || {
                cache
                    .includes(&remote, &candidate, &ancestor)
                    .map_err(|e| git_error("Failed To Read The Git Repository", &e))
            })
            .await?;
            if later {
                return Ok(Some(reported));
            }
        }
        Ok(self.read_git(Vec::new()).await?.commit)
    }
}

/// The commits of a create (components, then sync and kustomization, as the reference
/// commits them) or of an update (one commit, removing files no longer planned).
fn transactions(
    model: &BootstrapModel,
    mode: Mode,
    expected: &ExpectedFiles,
    files: &BTreeMap<String, String>,
    prior_keys: &[String],
) -> Vec<Transaction> {
    match mode {
        Mode::Create => vec![
            Transaction {
                writes: BTreeMap::from([(
                    model.file_key("gotk-components.yaml"),
                    expected.components.text.clone().into_bytes(),
                )]),
                message: format!("Add Flux {} component manifests", model.version),
                ..Transaction::default()
            },
            // The sync file and the kustomization go together, so a kustomization never
            // lists a file that is not there and nothing empty is committed (TPF #740).
            Transaction {
                writes: BTreeMap::from([
                    (
                        model.file_key("gotk-sync.yaml"),
                        expected.sync.text.clone().into_bytes(),
                    ),
                    (
                        model.file_key("kustomization.yaml"),
                        expected.kustomization.clone().into_bytes(),
                    ),
                ]),
                message: "Add Flux sync manifests".to_string(),
                ..Transaction::default()
            },
        ],
        Mode::Update => vec![Transaction {
            writes: files
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
                .collect(),
            deletes: prior_keys
                .iter()
                .filter(|k| !files.contains_key(*k))
                .cloned()
                .collect(),
            message: "Update Flux manifests".to_string(),
            ..Transaction::default()
        }],
    }
}
