//! Git delivery: an object's manifest is one file in a directory whose
//! `kustomization.yaml` lists it. Changes from concurrent callers for the same
//! repository are gathered into one commit: the caller that finds the repository
//! free commits everything queued so far (its own change among them) and hands
//! every caller the outcome, so 200 objects cost a handful of pushes and the
//! `resources` list never loses an entry to a race inside this process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::error::ObjectError;
use crate::git::{
    Author, CommitOutcome, FileEdit, GitError, Remote, RepoCache, Signing, Transaction,
};
use crate::manifests::ManifestError;

/// The name of the file that lists a directory's objects.
pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";

/// Where and as whom objects are committed.
#[derive(Debug, Clone)]
pub struct GitDestination {
    /// The repository and branch, with credentials.
    pub remote: Remote,
    /// Author and committer.
    pub author: Author,
    /// Appended to every commit message after a blank line.
    pub message_appendix: Option<String>,
    /// How commits are signed, if at all.
    pub signing: Option<Signing>,
}

/// One object file to write or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The directory (repository-relative, no trailing `/`; empty for the root).
    pub directory: String,
    /// The file name in the directory.
    pub file: String,
    /// The new content; `None` removes the file.
    pub content: Option<String>,
    /// What the file holds, for the commit message (`GitRepository flux-system/app`).
    pub label: String,
}

impl FileChange {
    /// The file's repository path.
    pub fn path(&self) -> String {
        join(&self.directory, &self.file)
    }
}

/// A file as read from the branch tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileObservation {
    /// The tip commit; `None` for an empty repository or missing branch.
    pub commit: Option<String>,
    /// The file's content; `None` when absent.
    pub content: Option<String>,
    /// Whether the directory's `kustomization.yaml` lists the file.
    pub listed: bool,
}

fn join(directory: &str, file: &str) -> String {
    if directory.is_empty() {
        file.to_string()
    } else {
        format!("{directory}/{file}")
    }
}

type BatchResult = Result<CommitOutcome, BatchFailure>;

#[derive(Debug, Clone)]
enum BatchFailure {
    Git(Arc<GitError>),
    Parse { path: String, reason: String },
}

struct Pending {
    changes: Vec<FileChange>,
    reply: oneshot::Sender<BatchResult>,
}

#[derive(Default)]
struct Lane {
    pending: Mutex<Vec<Pending>>,
    turn: tokio::sync::Mutex<()>,
}

/// Commits object files through a [`RepoCache`], batching concurrent changes per
/// repository. Cheap to clone; clones share the batches.
#[derive(Clone)]
pub struct GitDelivery {
    cache: RepoCache,
    lanes: Arc<Mutex<HashMap<String, Arc<Lane>>>>,
    gather: Duration,
}

/// How long a leader lets other changes join its batch before committing: the
/// callers of one wave (a caller applying many objects starts the next ones as the
/// previous ones return) arrive within a few milliseconds of each other, and a commit costs a
/// fetch and a push, so a short wait makes far fewer, larger commits.
pub const DEFAULT_GATHER_WINDOW: Duration = Duration::from_millis(150);

impl std::fmt::Debug for GitDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitDelivery")
            .field("cache", &self.cache.dir())
            .finish_non_exhaustive()
    }
}

impl GitDelivery {
    /// Delivery through `cache`.
    pub fn new(cache: RepoCache) -> Self {
        Self {
            cache,
            lanes: Arc::default(),
            gather: DEFAULT_GATHER_WINDOW,
        }
    }

    /// The same delivery with another gather window (zero commits at once).
    pub fn with_gather_window(mut self, window: Duration) -> Self {
        self.gather = window;
        self
    }

    fn lane(&self, remote: &Remote) -> Arc<Lane> {
        let key = format!("{}#{}", remote.url, remote.branch);
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        lanes.entry(key).or_default().clone()
    }

    /// Writes or removes object files (one object's move takes two) and updates
    /// their directories' `kustomization.yaml`, in a commit shared with the other
    /// changes queued for the same repository meanwhile.
    #[tracing::instrument(skip_all, fields(files = changes.len()))]
    pub async fn deliver(
        &self,
        destination: &GitDestination,
        changes: Vec<FileChange>,
    ) -> Result<CommitOutcome, ObjectError> {
        let lane = self.lane(&destination.remote);
        let (reply, mut answer) = oneshot::channel();
        lane.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Pending { changes, reply });
        let turn = lane.turn.lock().await;
        // A previous leader may have committed this change already.
        let result = match answer.try_recv() {
            Ok(result) => result,
            Err(_) => {
                if !self.gather.is_zero() {
                    tokio::time::sleep(self.gather).await;
                }
                let batch: Vec<Pending> = std::mem::take(
                    &mut *lane.pending.lock().unwrap_or_else(PoisonError::into_inner),
                );
                let changes: Vec<FileChange> = batch
                    .iter()
                    .flat_map(|p| p.changes.iter().cloned())
                    .collect();
                let cache = self.cache.clone();
                let target = destination.clone();
                let result =
                    tokio::task::spawn_blocking(move || commit_batch(&cache, &target, &changes))
                        .await
                        .map_err(|source| ObjectError::Task { source })?;
                tracing::debug!(objects = batch.len(), "batch committed");
                for pending in batch {
                    // A caller that gave up (timeout) no longer listens.
                    let _ = pending.reply.send(result.clone());
                }
                answer.await.map_err(|_| ObjectError::Git {
                    url: destination.remote.url.clone(),
                    source: Arc::new(GitError::invalid("batch", "the batch was dropped")),
                })?
            }
        };
        drop(turn);
        result.map_err(|failure| match failure {
            BatchFailure::Git(source) => ObjectError::Git {
                url: destination.remote.url.clone(),
                source,
            },
            BatchFailure::Parse { path, reason } => ObjectError::Kustomization { path, reason },
        })
    }

    /// Reads an object file and whether its directory's `kustomization.yaml` lists it.
    pub async fn observe(
        &self,
        remote: &Remote,
        directory: &str,
        file: &str,
    ) -> Result<FileObservation, ObjectError> {
        let cache = self.cache.clone();
        let remote = remote.clone();
        let path = join(directory, file);
        let list = join(directory, KUSTOMIZATION_FILE);
        let file = file.to_string();
        tokio::task::spawn_blocking(move || {
            let seen = cache
                .read_files(&remote, &[path.as_str(), list.as_str()])
                .map_err(|e| ObjectError::Git {
                    url: remote.url.clone(),
                    source: Arc::new(e),
                })?;
            let text = |p: &str| {
                seen.files
                    .get(p)
                    .cloned()
                    .flatten()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            let listed = match text(&list) {
                Some(k) => resources(&k).map(|r| r.contains(&file)).unwrap_or(false),
                None => false,
            };
            Ok(FileObservation {
                commit: seen.commit.clone(),
                content: text(&path),
                listed,
            })
        })
        .await
        .map_err(|source| ObjectError::Task { source })?
    }
}

/// The `resources` entries of a `kustomization.yaml`.
fn resources(text: &str) -> Result<Vec<String>, String> {
    let doc = parse_kustomization(text)?;
    Ok(doc
        .get("resources")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

fn parse_kustomization(text: &str) -> Result<Map<String, Value>, String> {
    let docs = crate::manifests::parse_yaml_stream(text, KUSTOMIZATION_FILE)
        .map_err(|e: ManifestError| e.to_string())?;
    match docs.into_iter().next() {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err("not a mapping".to_string()),
    }
}

/// The new `kustomization.yaml` of a directory after `added` and `removed` file
/// names; `None` when nothing is left to list and the file only listed resources.
fn updated_kustomization(
    existing: Option<&str>,
    added: &BTreeSet<String>,
    removed: &BTreeSet<String>,
) -> Result<Option<String>, String> {
    let mut doc = match existing {
        Some(text) => parse_kustomization(text)?,
        None => Map::new(),
    };
    doc.entry("apiVersion")
        .or_insert_with(|| Value::from("kustomize.config.k8s.io/v1beta1"));
    doc.entry("kind")
        .or_insert_with(|| Value::from("Kustomization"));
    let mut list: Vec<Value> = doc
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.retain(|v| v.as_str().is_none_or(|s| !removed.contains(s)));
    for name in added {
        if !list.iter().any(|v| v.as_str() == Some(name)) {
            list.push(Value::from(name.clone()));
        }
    }
    let only_resources = doc
        .keys()
        .all(|k| matches!(k.as_str(), "apiVersion" | "kind" | "resources"));
    if list.is_empty() && only_resources {
        return Ok(None);
    }
    doc.insert("resources".into(), Value::Array(list));
    Ok(Some(crate::manifests::write_documents(&[Value::Object(
        doc,
    )])))
}

fn commit_message(changes: &[FileChange]) -> String {
    let verb = |c: &FileChange| {
        if c.content.is_some() {
            "Update"
        } else {
            "Remove"
        }
    };
    match changes {
        [one] => format!("{} {}", verb(one), one.label),
        many => {
            let lines: Vec<String> = many
                .iter()
                .map(|c| format!("- {} {}", verb(c), c.label))
                .collect();
            format!("Update {} Flux objects\n\n{}", many.len(), lines.join("\n"))
        }
    }
}

/// Commits every change of a batch and the updated `kustomization.yaml` lists in one
/// transaction. The lists are edits: rebuilt from the tip on every push attempt, so
/// an entry another process added while this batch was in flight is kept.
fn commit_batch(
    cache: &RepoCache,
    destination: &GitDestination,
    changes: &[FileChange],
) -> BatchResult {
    // The last change of a path wins (one object changed twice in a batch).
    let mut by_path: BTreeMap<String, &FileChange> = BTreeMap::new();
    for change in changes {
        by_path.insert(change.path(), change);
    }
    let directories: BTreeSet<&str> = by_path.values().map(|c| c.directory.as_str()).collect();
    let mut tx = Transaction {
        message: commit_message(changes),
        message_appendix: destination.message_appendix.clone(),
        author: destination.author.clone(),
        signing: destination.signing.clone(),
        ..Transaction::default()
    };
    for directory in directories {
        let mut added = BTreeSet::new();
        let mut removed = BTreeSet::new();
        for change in by_path.values().filter(|c| c.directory == directory) {
            let path = change.path();
            match &change.content {
                Some(text) => {
                    tx.writes.insert(path, text.clone().into_bytes());
                    added.insert(change.file.clone());
                }
                None => {
                    tx.deletes.insert(path);
                    removed.insert(change.file.clone());
                }
            }
        }
        tx.edits.push(FileEdit::new(
            join(directory, KUSTOMIZATION_FILE),
            move |current| {
                let current = current.map(String::from_utf8_lossy);
                updated_kustomization(current.as_deref(), &added, &removed)
                    .map(|text| text.map(String::into_bytes))
            },
        ));
    }
    cache.commit(&destination.remote, &tx).map_err(|e| match e {
        GitError::Edit { path, reason } => BatchFailure::Parse { path, reason },
        e => BatchFailure::Git(Arc::new(e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn updated_kustomization_adds_once_and_keeps_other_fields() {
        let existing = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: apps\nresources:\n- a.yaml\n";
        let text = updated_kustomization(Some(existing), &set(&["b.yaml", "a.yaml"]), &set(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(resources(&text).unwrap(), ["a.yaml", "b.yaml"]);
        assert!(text.contains("namespace: apps"), "{text}");
    }

    #[test]
    fn updated_kustomization_empty_list_removes_a_plain_file() {
        let existing = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- a.yaml\n";
        assert_eq!(
            updated_kustomization(Some(existing), &set(&[]), &set(&["a.yaml"])).unwrap(),
            None
        );
        let created = updated_kustomization(None, &set(&["x.yaml"]), &set(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(
            created,
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- x.yaml\n"
        );
    }

    #[test]
    fn updated_kustomization_unparsable_file_is_an_error() {
        assert!(updated_kustomization(Some("resources: [a"), &set(&["b"]), &set(&[])).is_err());
    }

    #[test]
    fn commit_message_lists_every_object_of_a_batch() {
        let change = |label: &str, content: Option<&str>| FileChange {
            directory: "d".into(),
            file: "f".into(),
            content: content.map(str::to_string),
            label: label.into(),
        };
        assert_eq!(
            commit_message(&[change("GitRepository a/b", Some("x"))]),
            "Update GitRepository a/b"
        );
        let many = commit_message(&[change("A a/b", Some("x")), change("B a/c", None)]);
        assert_eq!(
            many,
            "Update 2 Flux objects\n\n- Update A a/b\n- Remove B a/c"
        );
    }
}
