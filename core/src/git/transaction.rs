//! A set of file writes and deletes, and how it becomes a commit on a given tip.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use git2::{build::TreeUpdateBuilder, FileMode, Oid, Repository};

use super::signing::{sign_commit, Signing};
use super::GitError;

/// "Apply these writes and deletes on the tip of the branch with this message."
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    /// File contents by repository-relative path (`/`-separated).
    pub writes: BTreeMap<String, Vec<u8>>,
    /// Paths to remove (files or whole directories); missing paths are ignored.
    pub deletes: BTreeSet<String>,
    /// Files whose new content depends on their content at the tip (lists that other
    /// writers edit too): computed again on every attempt, so a retry after a lost
    /// race keeps what the winner wrote.
    pub edits: Vec<FileEdit>,
    /// The commit message.
    pub message: String,
    /// Appended to the message after a blank line.
    pub message_appendix: Option<String>,
    /// Author and committer.
    pub author: Author,
    /// How to sign the commit, if at all.
    pub signing: Option<Signing>,
}

/// The function of a [`FileEdit`]: the file's content at the tip (`None` when absent)
/// to its new content (`None` removes it), or why it cannot be edited.
pub type EditFn = dyn Fn(Option<&[u8]>) -> Result<Option<Vec<u8>>, String> + Send + Sync;

/// A file rewritten from its content at the tip the commit is built on.
#[derive(Clone)]
pub struct FileEdit {
    /// Repository-relative path (`/`-separated).
    pub path: String,
    edit: Arc<EditFn>,
}

impl FileEdit {
    /// An edit of `path` by `edit`.
    pub fn new(
        path: impl Into<String>,
        edit: impl Fn(Option<&[u8]>) -> Result<Option<Vec<u8>>, String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            path: path.into(),
            edit: Arc::new(edit),
        }
    }

    /// The new content for `current`.
    pub fn apply(&self, current: Option<&[u8]>) -> Result<Option<Vec<u8>>, GitError> {
        (self.edit)(current).map_err(|reason| GitError::Edit {
            path: self.path.clone(),
            reason,
        })
    }
}

impl fmt::Debug for FileEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileEdit")
            .field("path", &self.path)
            .finish()
    }
}

/// The author (also used as committer) of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// Display name.
    pub name: String,
    /// E-mail address; may be empty.
    pub email: String,
}

impl Default for Author {
    fn default() -> Self {
        Self {
            name: "Flux".to_string(),
            email: String::new(),
        }
    }
}

/// What a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    /// The commit created and pushed; `None` when the branch already held the
    /// requested content (nothing to commit).
    pub commit: Option<String>,
    /// The branch tip afterwards (`None` only for a still-missing branch when
    /// nothing was committed).
    pub tip: Option<String>,
    /// How many push attempts were made (0 when nothing was committed).
    pub attempts: u32,
}

impl CommitOutcome {
    /// True when a commit was pushed.
    pub fn pushed(&self) -> bool {
        self.commit.is_some()
    }
}

const EMAIL_PLACEHOLDER: &str = "flux-empty-email@placeholder.invalid";

/// Replaces the placeholder e-mail by an empty one in the author and committer
/// headers only (the message is left alone).
fn blank_placeholder_email(content: &str) -> String {
    let (header, message) = content.split_once("\n\n").unwrap_or((content, ""));
    let header = header
        .lines()
        .map(|line| {
            if line.starts_with("author ") || line.starts_with("committer ") {
                line.replace(&format!("<{EMAIL_PLACEHOLDER}>"), "<>")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("{header}\n\n{message}")
}

/// Checks a repository path: relative, `/`-separated, no `.`/`..`/empty parts, not in `.git`.
pub fn validate_path(path: &str) -> Result<(), GitError> {
    let bad = |reason: &str| GitError::invalid("path", format!("{path:?} {reason}"));
    if path.is_empty() {
        return Err(bad("is empty"));
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(bad("must be relative and use / as separator"));
    }
    for part in path.split('/') {
        match part {
            "" | "." | ".." => return Err(bad("has an empty, . or .. component")),
            p if p.eq_ignore_ascii_case(".git") => return Err(bad("must not be inside .git")),
            _ => {}
        }
    }
    Ok(())
}

impl Transaction {
    /// Checks paths, message, author and signing settings before any IO.
    pub fn validate(&self) -> Result<(), GitError> {
        let edited = self.edits.iter().map(|e| &e.path);
        for path in self.writes.keys().chain(self.deletes.iter()).chain(edited) {
            validate_path(path)?;
        }
        if let Some(path) = self.writes.keys().find(|p| self.deletes.contains(*p)) {
            return Err(GitError::invalid(
                "path",
                format!("{path:?} is both written and deleted"),
            ));
        }
        let mut seen = BTreeSet::new();
        for edit in &self.edits {
            let path = &edit.path;
            if self.writes.contains_key(path) || self.deletes.contains(path) || !seen.insert(path) {
                return Err(GitError::invalid(
                    "path",
                    format!("{path:?} is edited and also written, deleted or edited again"),
                ));
            }
        }
        if self.message.trim().is_empty() {
            return Err(GitError::invalid("message", "must not be empty"));
        }
        if self.author.name.trim().is_empty() {
            return Err(GitError::invalid("author_name", "must not be empty"));
        }
        for (field, value) in [
            ("author_name", &self.author.name),
            ("author_email", &self.author.email),
        ] {
            if value.contains(['<', '>', '\n']) {
                return Err(GitError::invalid(
                    field,
                    "must not contain <, > or a line break",
                ));
            }
        }
        if let Some(signing) = &self.signing {
            signing.validate()?;
        }
        Ok(())
    }

    /// The full commit message, with the appendix after a blank line.
    pub fn full_message(&self) -> String {
        match self.message_appendix.as_deref().filter(|a| !a.is_empty()) {
            Some(appendix) => format!("{}\n\n{appendix}", self.message),
            None => self.message.clone(),
        }
    }

    /// Builds the commit of this transaction on `tip` (a new root commit when
    /// `None`); `None` when the resulting tree equals the tip's.
    pub(crate) fn commit_onto(
        &self,
        repo: &Repository,
        tip: Option<Oid>,
    ) -> Result<Option<Oid>, GitError> {
        let parent = tip
            .map(|oid| repo.find_commit(oid))
            .transpose()
            .map_err(GitError::local("find tip commit"))?;
        let base_tree = match &parent {
            Some(commit) => commit.tree().map_err(GitError::local("read tip tree"))?,
            None => {
                let empty = repo
                    .treebuilder(None)
                    .and_then(|b| b.write())
                    .map_err(GitError::local("write empty tree"))?;
                repo.find_tree(empty)
                    .map_err(GitError::local("read empty tree"))?
            }
        };
        let mut update = TreeUpdateBuilder::new();
        for (path, content) in &self.writes {
            let blob = repo.blob(content).map_err(GitError::local("write blob"))?;
            update.upsert(path.as_str(), blob, FileMode::Blob);
        }
        for path in &self.deletes {
            if base_tree.get_path(Path::new(path)).is_ok() {
                update.remove(path.as_str());
            }
        }
        for edit in &self.edits {
            let current = super::cache::read_blob(repo, &base_tree, &edit.path)?;
            match edit.apply(current.as_deref())? {
                Some(content) => {
                    let blob = repo.blob(&content).map_err(GitError::local("write blob"))?;
                    update.upsert(edit.path.as_str(), blob, FileMode::Blob);
                }
                None if current.is_some() => {
                    update.remove(edit.path.as_str());
                }
                None => {}
            }
        }
        let tree_id = update
            .create_updated(repo, &base_tree)
            .map_err(GitError::local("write tree"))?;
        // Same tree as the tip, or an empty tree on a missing branch: nothing to commit.
        if tree_id == base_tree.id() {
            return Ok(None);
        }
        let tree = repo
            .find_tree(tree_id)
            .map_err(GitError::local("read new tree"))?;
        // libgit2 refuses an empty e-mail, which the reference provider allows (its
        // default): sign with a placeholder and blank it in the header afterwards.
        let email = if self.author.email.is_empty() {
            EMAIL_PLACEHOLDER
        } else {
            self.author.email.as_str()
        };
        let signature = git2::Signature::now(&self.author.name, email)
            .map_err(|_| GitError::invalid("author_name", "not a valid commit signature"))?;
        let message = self.full_message();
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let buffer = repo
            .commit_create_buffer(&signature, &signature, &message, &tree, &parents)
            .map_err(GitError::local("build commit"))?;
        let content = std::str::from_utf8(&buffer).map_err(|_| GitError::Signing {
            reason: "the commit is not valid utf-8".to_string(),
        })?;
        let content = blank_placeholder_email(content);
        let commit = match &self.signing {
            None => repo
                .odb()
                .and_then(|odb| odb.write(git2::ObjectType::Commit, content.as_bytes()))
                .map_err(GitError::local("write commit"))?,
            Some(signing) => {
                let armored = sign_commit(signing, &content)?;
                repo.commit_signed(&content, &armored, None)
                    .map_err(GitError::local("write signed commit"))?
            }
        };
        Ok(Some(commit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_path_rejects_escapes_and_git_dir() {
        assert!(validate_path("clusters/prod/flux-system/gotk-sync.yaml").is_ok());
        for bad in [
            "",
            "/abs",
            "a//b",
            "a/../b",
            "./a",
            ".git/config",
            "a/.GIT/x",
            "a\\b",
        ] {
            assert!(validate_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validate_transaction_write_and_delete_same_path_is_an_error() {
        let mut tx = Transaction {
            message: "m".into(),
            ..Default::default()
        };
        tx.writes.insert("a".into(), b"x".to_vec());
        tx.deletes.insert("a".into());
        assert!(matches!(
            tx.validate(),
            Err(GitError::Invalid { field: "path", .. })
        ));
    }

    #[test]
    fn validate_transaction_empty_message_is_an_error() {
        let tx = Transaction::default();
        assert!(matches!(
            tx.validate(),
            Err(GitError::Invalid {
                field: "message",
                ..
            })
        ));
    }

    #[test]
    fn full_message_appends_after_blank_line() {
        let tx = Transaction {
            message: "Add Flux sync manifests".into(),
            message_appendix: Some("[ci skip]".into()),
            ..Default::default()
        };
        assert_eq!(tx.full_message(), "Add Flux sync manifests\n\n[ci skip]");
    }

    #[test]
    fn commit_onto_unchanged_content_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let mut tx = Transaction {
            message: "m".into(),
            ..Default::default()
        };
        tx.writes.insert("a/b.txt".into(), b"x".to_vec());
        let mut only_delete = Transaction {
            message: "rm".into(),
            ..Default::default()
        };
        only_delete.deletes.insert("x".into());
        assert_eq!(only_delete.commit_onto(&repo, None).unwrap(), None);
        let first = tx.commit_onto(&repo, None).unwrap().unwrap();
        assert_eq!(tx.commit_onto(&repo, Some(first)).unwrap(), None);
        tx.deletes.insert("missing".into());
        assert_eq!(tx.commit_onto(&repo, Some(first)).unwrap(), None);
        let mut delete = Transaction {
            message: "rm".into(),
            ..Default::default()
        };
        delete.deletes.insert("a".into());
        let second = delete.commit_onto(&repo, Some(first)).unwrap().unwrap();
        let tree = repo.find_commit(second).unwrap().tree().unwrap();
        assert_eq!(tree.len(), 0);
    }
}
