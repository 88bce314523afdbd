//! The repository cache: one bare repository per (URL, branch), fetched
//! incrementally, locked across threads and processes; reads and transactions.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use git2::{AutotagOption, FetchOptions, Oid, PushOptions, Repository};

use super::probe::{self, DEFAULT_NETWORK_TIMEOUT};
use super::queue::{Job, Queue, Turn};
use super::remote::{ParsedUrl, Remote, Scheme};
use super::session::Session;
use super::ssh_pool::{self, PoolError};
use super::transaction::{validate_path, CommitOutcome, Transaction};
use super::GitError;

/// Default number of push attempts of one transaction. Ten independent caches
/// hammering one branch needed up to 30 in `cargo bench --bench git`; with the
/// backoff window capped at 2 s, 50 attempts wait about a minute at worst.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 50;

/// A directory of bare repositories, one per remote URL and branch.
///
/// Cheap to clone; clones share the in-process queue of each repository, so
/// writers in one process take turns instead of racing. Several processes may
/// share one directory: a file lock per repository serializes them. All methods
/// block (libgit2 is synchronous); call them from `spawn_blocking` in async code.
/// Each network step waits for the server at most the handle's network timeout.
#[derive(Debug, Clone)]
pub struct RepoCache {
    inner: Arc<Inner>,
    network_timeout: Duration,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    max_attempts: u32,
    queues: Mutex<HashMap<String, Arc<Queue>>>,
}

/// The files at the tip of a branch, read without a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The tip commit, `None` when the branch (or the whole repository) is empty.
    pub commit: Option<String>,
    /// Content of each requested path, `None` when the path is not a file at the tip.
    pub files: BTreeMap<String, Option<Vec<u8>>>,
}

impl RepoCache {
    /// A cache in `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, GitError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| GitError::Cache {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                max_attempts: DEFAULT_MAX_ATTEMPTS,
                queues: Mutex::default(),
            }),
            network_timeout: DEFAULT_NETWORK_TIMEOUT,
        })
    }

    /// A handle on the same cache (same queues and locks) whose network steps
    /// each wait at most `timeout` for the server: a connection, a TLS handshake,
    /// the first answer. 30 s unless set.
    pub fn with_network_timeout(self, timeout: Duration) -> Self {
        Self {
            network_timeout: timeout,
            ..self
        }
    }

    /// The same cache with another bound on push attempts per transaction (at least 1).
    pub fn with_max_attempts(self, max_attempts: u32) -> Self {
        Self {
            inner: Arc::new(Inner {
                dir: self.inner.dir.clone(),
                max_attempts: max_attempts.max(1),
                queues: Mutex::default(),
            }),
            network_timeout: self.network_timeout,
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Fetches the branch and reads `paths` at its tip. A missing branch or an
    /// empty repository gives an observation with no commit.
    #[tracing::instrument(skip_all, fields(branch = %remote.branch, files = paths.len()))]
    pub fn read_files(&self, remote: &Remote, paths: &[&str]) -> Result<Observation, GitError> {
        let parsed = remote.validate()?;
        for path in paths {
            validate_path(path)?;
        }
        let (_turn, guard) = self.lock(&parsed, remote)?;
        let tip = fetch(
            &guard.repo,
            remote,
            &parsed,
            History::Tip,
            self.network_timeout,
        )?;
        let mut files = BTreeMap::new();
        let tree = tip
            .map(|oid| guard.repo.find_commit(oid).and_then(|c| c.tree()))
            .transpose()
            .map_err(GitError::local("read tip tree"))?;
        for path in paths {
            let content = match &tree {
                Some(tree) => read_blob(&guard.repo, tree, path)?,
                None => None,
            };
            files.insert((*path).to_string(), content);
        }
        Ok(Observation {
            commit: tip.map(|oid| oid.to_string()),
            files,
        })
    }

    /// Like [`RepoCache::read_files`], but a missing branch is an error.
    pub fn get_files(&self, remote: &Remote, paths: &[&str]) -> Result<Observation, GitError> {
        let observation = self.read_files(remote, paths)?;
        if observation.commit.is_none() {
            return Err(GitError::BranchNotFound {
                url: parse_redacted(remote),
                branch: remote.branch.clone(),
            });
        }
        Ok(observation)
    }

    /// Whether `commit` is `ancestor` or comes after it on the branch (both hex ids).
    /// The branch is fetched first; a commit not on it is not after anything.
    #[tracing::instrument(skip_all, fields(branch = %remote.branch))]
    pub fn includes(
        &self,
        remote: &Remote,
        commit: &str,
        ancestor: &str,
    ) -> Result<bool, GitError> {
        let (Ok(commit), Ok(ancestor)) = (Oid::from_str(commit), Oid::from_str(ancestor)) else {
            return Ok(false);
        };
        if commit == ancestor {
            return Ok(true);
        }
        let parsed = remote.validate()?;
        let (_turn, guard) = self.lock(&parsed, remote)?;
        fetch(
            &guard.repo,
            remote,
            &parsed,
            History::Full,
            self.network_timeout,
        )?;
        Ok(guard
            .repo
            .graph_descendant_of(commit, ancestor)
            .unwrap_or(false))
    }

    /// Applies `transaction` on the tip of the branch and pushes it. A missing
    /// branch is created; unchanged content gives no commit and no error. A push
    /// that loses a race is redone on the new tip, up to the attempt bound.
    ///
    /// Transactions queued by other threads of this process for the same remote
    /// are committed one after the other and pushed together (one commit each).
    #[tracing::instrument(skip_all, fields(branch = %remote.branch))]
    pub fn commit(
        &self,
        remote: &Remote,
        transaction: &Transaction,
    ) -> Result<CommitOutcome, GitError> {
        let parsed = remote.validate()?;
        transaction.validate()?;
        let queue = self.queue(&parsed, remote);
        let job = Job::new(remote.clone(), transaction.clone());
        queue.submit(job, |batch| self.run_batch(&parsed, remote, batch))
    }

    /// Commits a batch of transactions in order on the tip and pushes the last
    /// commit; on a lost race, fetches and rebuilds the whole chain.
    fn run_batch(
        &self,
        parsed: &ParsedUrl,
        remote: &Remote,
        batch: &[Arc<Job>],
    ) -> Vec<Result<CommitOutcome, GitError>> {
        let all_fail = |error: GitError| batch.iter().map(|_| Err(error.duplicate())).collect();
        let guard = match self.open_locked(parsed, remote) {
            Ok(guard) => guard,
            Err(error) => return all_fail(error),
        };
        let repo = &guard.repo;
        let max = self.inner.max_attempts;
        tracing::debug!(transactions = batch.len(), "committing batch");
        for attempt in 1..=max {
            let tip = match fetch(repo, remote, parsed, History::Full, self.network_timeout) {
                Ok(tip) => tip,
                Err(error) => return all_fail(error),
            };
            let mut chain = tip;
            let mut built = Vec::with_capacity(batch.len());
            for job in batch {
                let commit = job.transaction.commit_onto(repo, chain);
                if let Ok(Some(oid)) = commit {
                    chain = Some(oid);
                }
                built.push(commit);
            }
            if chain == tip {
                tracing::debug!("nothing to commit");
                return finish(built, tip, attempt - 1, None);
            }
            let Some(new_tip) = chain else {
                return finish(built, tip, attempt - 1, None);
            };
            match push(repo, remote, parsed, new_tip, self.network_timeout) {
                Ok(PushResult::Pushed) => {
                    if let Err(error) = set_tracking_ref(repo, &remote.branch, Some(new_tip)) {
                        return all_fail(error);
                    }
                    tracing::info!(attempt, commit = %new_tip, "pushed");
                    return finish(built, Some(new_tip), attempt, None);
                }
                Ok(PushResult::Conflict) if attempt < max => {
                    tracing::debug!(attempt, "push lost a race; retrying on the new tip");
                    std::thread::sleep(backoff(attempt));
                }
                Ok(PushResult::Conflict) => {}
                Err(error) => return finish(built, tip, attempt, Some(error)),
            }
        }
        all_fail(GitError::Conflict {
            branch: remote.branch.clone(),
            attempts: max,
        })
    }

    fn queue(&self, parsed: &ParsedUrl, remote: &Remote) -> Arc<Queue> {
        let key = cache_key(parsed, &remote.branch);
        let mut queues = self
            .inner
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(queues.entry(key).or_default())
    }

    /// Takes this process's turn for the repository, then opens it locked.
    fn lock(&self, parsed: &ParsedUrl, remote: &Remote) -> Result<(Turn, Guard), GitError> {
        let turn = self.queue(parsed, remote).wait_turn();
        let guard = self.open_locked(parsed, remote)?;
        Ok((turn, guard))
    }

    /// Takes the file lock shared with other processes and opens (or creates)
    /// the bare repository. The caller holds this process's turn.
    fn open_locked(&self, parsed: &ParsedUrl, remote: &Remote) -> Result<Guard, GitError> {
        let key = cache_key(parsed, &remote.branch);
        let lock_path = self.inner.dir.join(format!("{key}.lock"));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| self.cache_error(&key, source))?;
        file.lock()
            .map_err(|source| self.cache_error(&key, source))?;
        let repo_path = self.inner.dir.join(format!("{key}.git"));
        let repo = open_or_init(&repo_path)?;
        Ok(Guard { repo, _file: file })
    }

    fn cache_error(&self, key: &str, source: std::io::Error) -> GitError {
        GitError::Cache {
            path: self.inner.dir.join(key).display().to_string(),
            source,
        }
    }
}

/// Holds the in-process turn and the file lock while the repository is used.
struct Guard {
    repo: Repository,
    _file: File,
}

/// One outcome per job of a batch: its own commit (if it made one) and the tip
/// the batch left; a batch-wide error goes to every job that had no error of its own.
fn finish(
    built: Vec<Result<Option<Oid>, GitError>>,
    tip: Option<Oid>,
    attempts: u32,
    error: Option<GitError>,
) -> Vec<Result<CommitOutcome, GitError>> {
    built
        .into_iter()
        .map(|commit| {
            let commit = commit?;
            if let Some(error) = &error {
                return Err(error.duplicate());
            }
            Ok(CommitOutcome {
                commit: commit.map(|oid| oid.to_string()),
                tip: tip.map(|oid| oid.to_string()),
                attempts: if commit.is_some() { attempts } else { 0 },
            })
        })
        .collect()
}

fn parse_redacted(remote: &Remote) -> String {
    super::remote::parse_url(&remote.url)
        .map(|p| p.redacted)
        .unwrap_or_default()
}

/// A stable, file-name-safe key: readable host, then a hash of URL and branch.
fn cache_key(parsed: &ParsedUrl, branch: &str) -> String {
    let digest = openssl::sha::sha256(format!("{}\n{branch}", parsed.redacted).as_bytes());
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    let host: String = parsed
        .host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{host}-{hex}")
}

fn open_or_init(path: &Path) -> Result<Repository, GitError> {
    if path.exists() {
        if let Ok(repo) = Repository::open_bare(path) {
            return Ok(repo);
        }
        // A cache that no longer opens (interrupted init, disk trouble) is rebuilt.
        tracing::warn!("repository cache unreadable; recreating it");
        std::fs::remove_dir_all(path).map_err(|source| GitError::Cache {
            path: path.display().to_string(),
            source,
        })?;
    }
    Repository::init_bare(path).map_err(GitError::local("init cache repository"))
}

fn tracking_ref(branch: &str) -> String {
    format!("refs/remotes/origin/{branch}")
}

fn set_tracking_ref(repo: &Repository, branch: &str, tip: Option<Oid>) -> Result<(), GitError> {
    let name = tracking_ref(branch);
    match tip {
        Some(oid) => repo
            .reference(&name, oid, true, "fetch")
            .map(|_| ())
            .map_err(GitError::local("update tracking ref")),
        None => match repo.find_reference(&name) {
            Ok(mut reference) => reference
                .delete()
                .map_err(GitError::local("delete tracking ref")),
            Err(_) => Ok(()),
        },
    }
}

/// How much history a fetch brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum History {
    /// Enough to read the tip: a new cache fetches depth 1, a filled one only
    /// what changed.
    Tip,
    /// Full history. libgit2 cannot push from a shallow repository (its pack
    /// walk looks up parents past the shallow boundary), so writers need this.
    Full,
}

/// libgit2's `GIT_FETCH_DEPTH_UNSHALLOW`.
const DEPTH_UNSHALLOW: i32 = i32::MAX;

/// Fetches the branch into the cache and returns its tip on the remote; the
/// server must answer the probe within `timeout`.
#[tracing::instrument(skip_all)]
fn fetch(
    repo: &Repository,
    remote: &Remote,
    parsed: &ParsedUrl,
    history: History,
    timeout: Duration,
) -> Result<Option<Oid>, GitError> {
    let branch = &remote.branch;
    let refspec = format!("+refs/heads/{branch}:{}", tracking_ref(branch));
    let new_cache = repo.is_empty().unwrap_or(true);
    let depth = match history {
        History::Tip if new_cache => Some(1),
        History::Full if !new_cache && repo.is_shallow() => Some(DEPTH_UNSHALLOW),
        History::Tip | History::Full => None,
    };
    if depth.is_none() && !new_cache {
        if let Some(tip) = find_unchanged_tip(repo, remote, parsed)? {
            return Ok(Some(tip));
        }
    }
    probe::ensure_answers(parsed, "fetch", timeout)?;
    let session = Session::new(remote, parsed.clone());
    let mut git_remote = repo
        .remote_anonymous(session.url())
        .map_err(GitError::local("create remote"))?;
    let headers = session.headers();
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(session.callbacks())
        .custom_headers(&headers)
        .download_tags(AutotagOption::None)
        .update_fetchhead(false);
    if let Some(depth) = depth {
        options.depth(depth);
    }
    git_remote
        .fetch(&[refspec.as_str()], Some(&mut options), None)
        .map_err(|e| session.classify("fetch", e))?;
    let wanted = format!("refs/heads/{branch}");
    let tip = git_remote
        .list()
        .map_err(|e| session.classify("fetch", e))?
        .iter()
        .find(|head| head.name() == wanted)
        .map(|head| head.oid());
    set_tracking_ref(repo, branch, tip)?;
    Ok(tip)
}

/// The cached tip of the branch when the server still advertises it, so that no
/// fetch is needed; `None` when a fetch must run. Only ssh remotes are asked this
/// way (over a pooled session, see `ssh_pool`): libgit2 opens a new ssh session
/// per fetch, while its http fetch of an unchanged branch is already one request.
fn find_unchanged_tip(
    repo: &Repository,
    remote: &Remote,
    parsed: &ParsedUrl,
) -> Result<Option<Oid>, GitError> {
    if parsed.scheme != Scheme::Ssh {
        return Ok(None);
    }
    let Ok(cached) = repo.refname_to_id(&tracking_ref(&remote.branch)) else {
        return Ok(None);
    };
    match ssh_pool::find_remote_tip(remote, parsed) {
        Ok(Some(tip)) if tip == cached && repo.find_commit(tip).is_ok() => {
            tracing::debug!(commit = %tip, "tip unchanged on the server");
            Ok(Some(tip))
        }
        Ok(_) => Ok(None),
        Err(PoolError::HostKey { source }) => Err(source),
        Err(error) => {
            tracing::debug!(error = %error, "pooled ssh tip query failed; fetching with libgit2");
            Ok(None)
        }
    }
}

enum PushResult {
    Pushed,
    Conflict,
}

/// Server statuses that mean "someone else moved the branch": worth a retry.
fn is_race_status(status: &str) -> bool {
    [
        "fetch first",
        "non-fast-forward",
        "stale info",
        "failed to lock",
        "cannot lock",
        "failed to update ref",
    ]
    .iter()
    .any(|marker| status.contains(marker))
}

#[tracing::instrument(skip_all)]
fn push(
    repo: &Repository,
    remote: &Remote,
    parsed: &ParsedUrl,
    commit: Oid,
    timeout: Duration,
) -> Result<PushResult, GitError> {
    let branch = &remote.branch;
    let local = format!("refs/heads/{branch}");
    repo.reference(&local, commit, true, "transaction")
        .map_err(GitError::local("update local branch"))?;
    probe::ensure_answers(parsed, "push", timeout)?;
    let session = Session::new(remote, parsed.clone());
    let mut git_remote = repo
        .remote_anonymous(session.url())
        .map_err(GitError::local("create remote"))?;
    let headers = session.headers();
    let mut options = PushOptions::new();
    options
        .remote_callbacks(session.callbacks())
        .custom_headers(&headers);
    let refspec = format!("{local}:{local}");
    match git_remote.push(&[refspec.as_str()], Some(&mut options)) {
        Ok(()) => {}
        Err(e) if e.code() == git2::ErrorCode::NotFastForward => return Ok(PushResult::Conflict),
        Err(e) => return Err(session.classify("push", e)),
    }
    // libgit2 returns Ok for refs the server refused: the verdict is in the statuses.
    for (name, status) in session.take_ref_status() {
        if let Some(reason) = status {
            if is_race_status(&reason) {
                return Ok(PushResult::Conflict);
            }
            tracing::warn!(reference = %name, "push rejected by the server");
            return Err(GitError::Rejected {
                branch: branch.clone(),
                reason,
            });
        }
    }
    Ok(PushResult::Pushed)
}

pub(super) fn read_blob(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    path: &str,
) -> Result<Option<Vec<u8>>, GitError> {
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(None);
    };
    if entry.kind() != Some(git2::ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(GitError::local("read blob"))?;
    Ok(Some(blob.content().to_vec()))
}

/// Exponential backoff with full jitter: a random wait in [10 ms, 10 ms + 50 ms ×
/// 2^(attempt-1)], the window capped at 2 s, so that writers that lost the same
/// race spread out instead of colliding again.
fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let window = 50u64
        .saturating_mul(1 << attempt.saturating_sub(1).min(6))
        .min(2000);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let jitter = hasher.finish() % 1000;
    Duration::from_millis(10 + window * jitter / 1000)
}
