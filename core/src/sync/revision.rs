//! The revisions Flux reports for a git source: `<name>@<algorithm>:<hash>` for a
//! branch, a tag or a reference name (a semver range reports the tag it resolved to),
//! and `<algorithm>:<hash>` for a commit followed alone.

use crate::manifests::GitRef;

/// One revision, split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revision<'a> {
    /// The branch, tag or reference name; `None` for a bare commit.
    pub name: Option<&'a str>,
    /// The hash algorithm: `sha1` or `sha256`.
    pub algorithm: &'a str,
    /// The commit hash.
    pub hash: &'a str,
}

impl<'a> Revision<'a> {
    /// Splits `text`; `None` when it is no revision (no `<algorithm>:<hash>`, or an
    /// empty part). The last `@` ends the name, since a branch may contain one.
    pub fn parse(text: &'a str) -> Option<Self> {
        let (name, digest) = match text.rsplit_once('@') {
            Some(("", _)) => return None,
            Some((name, digest)) => (Some(name), digest),
            None => (None, text),
        };
        let (algorithm, hash) = digest.split_once(':')?;
        if algorithm.is_empty() || hash.is_empty() {
            return None;
        }
        Some(Self {
            name,
            algorithm,
            hash,
        })
    }

    /// Whether `git_ref` produces this revision as far as the revision tells: a branch
    /// or a tag by its name, a commit by its hash. A semver range (which reports the tag
    /// it resolved to) or a reference name cannot be told this way.
    pub fn is_of(&self, git_ref: &GitRef) -> bool {
        match git_ref {
            GitRef::Branch(name) | GitRef::Tag(name) => self.name == Some(name.as_str()),
            GitRef::Commit(commit) => self.hash == commit,
            GitRef::Semver(_) | GitRef::Name(_) => false,
        }
    }
}

/// Whether `revision` names itself a revision of `git_ref` (see [`Revision::is_of`]).
pub fn names(git_ref: &GitRef, revision: &str) -> bool {
    Revision::parse(revision).is_some_and(|r| r.is_of(git_ref))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_branch_tag_and_bare_commit_revisions() {
        assert_eq!(
            Revision::parse("main@sha1:abc"),
            Some(Revision {
                name: Some("main"),
                algorithm: "sha1",
                hash: "abc"
            })
        );
        assert_eq!(
            Revision::parse("v1.1.0@sha256:def").map(|r| (r.name, r.algorithm)),
            Some((Some("v1.1.0"), "sha256"))
        );
        assert_eq!(
            Revision::parse("sha1:abc"),
            Some(Revision {
                name: None,
                algorithm: "sha1",
                hash: "abc"
            })
        );
        assert_eq!(
            Revision::parse("feat@x@sha1:abc").and_then(|r| r.name),
            Some("feat@x")
        );
    }

    #[test]
    fn parse_refuses_what_is_no_revision() {
        for text in [
            "",
            "main",
            "main@",
            "@sha1:abc",
            "main@sha1:",
            "main@:abc",
            "abc",
        ] {
            assert_eq!(Revision::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_branch_or_tag_revision_is_told_by_its_name() {
        let main = GitRef::Branch("main".into());
        assert!(names(&main, "main@sha1:abc"));
        assert!(!names(&main, "main-2@sha1:abc"));
        assert!(!names(&main, "sha1:abc"));
        let tag = GitRef::Tag("v1.0.0".into());
        assert!(names(&tag, "v1.0.0@sha1:abc"));
        assert!(!names(&tag, "v1.0.0-rc.1@sha1:abc"));
        assert!(!names(&tag, "main@sha1:abc"));
    }

    #[test]
    fn a_commit_revision_is_told_by_its_hash_with_or_without_a_branch() {
        let commit = GitRef::Commit("abc".into());
        assert!(names(&commit, "sha1:abc"));
        assert!(names(&commit, "main@sha1:abc"));
        assert!(!names(&commit, "sha1:abcd"));
        assert!(!names(&commit, "abc@sha1:def"));
    }

    #[test]
    fn a_semver_or_name_revision_is_never_told_by_its_name() {
        assert!(!names(&GitRef::Semver(">=1.0.0".into()), "v1.1.0@sha1:abc"));
        assert!(!names(&GitRef::Semver("v1.1.0".into()), "v1.1.0@sha1:abc"));
        assert!(!names(&GitRef::Name("refs/x".into()), "refs/x@sha1:abc"));
    }
}
