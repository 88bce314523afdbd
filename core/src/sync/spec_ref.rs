//! A GitRepository's `spec.ref`: its fields, the one source-controller follows, and the
//! merge patch that replaces them.
//!
//! Three parties write that field: the bootstrap (server-side apply, field manager
//! `flux`), kustomize-controller (server-side apply of `gotk-sync.yaml` from the
//! revision it fetched last) and people by hand. Server-side apply keeps a field another
//! manager owns, so stale fields of another kind can sit beside the wanted one; the
//! precedence below decides which of them source-controller follows.

use serde_json::{Map, Value};

use crate::manifests::GitRef;

/// source-controller's precedence among the ref fields, highest first.
const PRECEDENCE: [&str; 5] = ["commit", "name", "semver", "tag", "branch"];

/// The branch source-controller follows when no ref field is set.
const DEFAULT_BRANCH: &str = "master";

/// The ref held by `field` with `value`; `None` for a field that is no ref.
fn from_field(field: &str, value: &str) -> Option<GitRef> {
    let value = value.to_string();
    match field {
        "branch" => Some(GitRef::Branch(value)),
        "tag" => Some(GitRef::Tag(value)),
        "semver" => Some(GitRef::Semver(value)),
        "commit" => Some(GitRef::Commit(value)),
        "name" => Some(GitRef::Name(value)),
        _ => None,
    }
}

/// The fields of one `spec.ref`, as written (several may be set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecRef(Map<String, Value>);

impl SpecRef {
    /// The `spec.ref` of a GitRepository object (empty when it has none).
    pub fn of_object(object: &Value) -> Self {
        Self(
            object
                .pointer("/spec/ref")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// The `spec.ref` of the GitRepository named `name` among `objects` (the sync
    /// objects to apply, after any patches that may set the ref themselves).
    pub fn planned(objects: &[Value], name: &str) -> Option<Self> {
        objects
            .iter()
            .find(|o| {
                o.get("kind").and_then(Value::as_str) == Some("GitRepository")
                    && o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
            })
            .map(Self::of_object)
    }

    /// The ref source-controller follows: the set field of highest precedence, branch
    /// `master` when none is set.
    pub fn followed(&self) -> GitRef {
        PRECEDENCE
            .iter()
            .find_map(|field| {
                let value = self.0.get(*field).and_then(Value::as_str)?;
                (!value.is_empty())
                    .then(|| from_field(field, value))
                    .flatten()
            })
            .unwrap_or_else(|| GitRef::Branch(DEFAULT_BRANCH.to_string()))
    }

    /// The merge patch that turns these fields into exactly `wanted` in one request
    /// (stale fields removed as the new one is set: removing them first would leave an
    /// empty ref for a moment, which source-controller reads as branch `master`), or
    /// `None` when they are equal.
    pub fn patch_to(&self, wanted: &SpecRef) -> Option<Value> {
        let mut change = Map::new();
        for key in self.0.keys().filter(|k| !wanted.0.contains_key(*k)) {
            change.insert(key.clone(), Value::Null);
        }
        for (key, value) in wanted.0.iter().filter(|(k, v)| self.0.get(*k) != Some(*v)) {
            change.insert(key.clone(), value.clone());
        }
        (!change.is_empty()).then(|| serde_json::json!({"spec": {"ref": change}}))
    }
}

/// The `spec.ref` that holds `git_ref` alone.
impl From<&GitRef> for SpecRef {
    fn from(git_ref: &GitRef) -> Self {
        Self(Map::from_iter([(
            git_ref.field().to_string(),
            Value::from(git_ref.value()),
        )]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_ref(value: Value) -> SpecRef {
        SpecRef::of_object(&json!({"spec": {"ref": value}}))
    }

    #[test]
    fn followed_takes_the_field_of_highest_precedence() {
        let every = json!({
            "branch": "main", "tag": "v1", "semver": ">=1", "name": "refs/pull/1/head", "commit": "abc"
        });
        assert_eq!(spec_ref(every).followed(), GitRef::Commit("abc".into()));
        let name = json!({"branch": "main", "tag": "v1", "semver": ">=1", "name": "refs/x"});
        assert_eq!(spec_ref(name).followed(), GitRef::Name("refs/x".into()));
        let semver = json!({"branch": "main", "tag": "v1", "semver": ">=1"});
        assert_eq!(spec_ref(semver).followed(), GitRef::Semver(">=1".into()));
        let tag = json!({"branch": "main", "tag": "v1"});
        assert_eq!(spec_ref(tag).followed(), GitRef::Tag("v1".into()));
        let branch = json!({"branch": "main"});
        assert_eq!(spec_ref(branch).followed(), GitRef::Branch("main".into()));
    }

    #[test]
    fn followed_skips_empty_fields_and_defaults_to_master() {
        let empty_tag = json!({"branch": "main", "tag": ""});
        assert_eq!(
            spec_ref(empty_tag).followed(),
            GitRef::Branch("main".into())
        );
        assert_eq!(
            SpecRef::default().followed(),
            GitRef::Branch("master".into())
        );
        assert_eq!(
            SpecRef::of_object(&json!({"spec": {}})).followed(),
            GitRef::Branch("master".into())
        );
    }

    #[test]
    fn a_git_ref_is_its_own_field_and_is_followed_back() {
        for git_ref in [
            GitRef::Branch("main".into()),
            GitRef::Tag("v1.0.0".into()),
            GitRef::Semver(">=1.0.0".into()),
            GitRef::Commit("abc".into()),
            GitRef::Name("refs/pull/1/head".into()),
        ] {
            assert_eq!(SpecRef::from(&git_ref).followed(), git_ref);
        }
        assert_eq!(GitRef::Tag("v1.0.0".into()).to_string(), "tag v1.0.0");
        assert_eq!(GitRef::Semver(">=1".into()).to_string(), "semver >=1");
    }

    #[test]
    fn patch_sets_the_new_ref_and_removes_stale_fields_in_one_request() {
        let live = spec_ref(json!({"tag": "v1.0.0"}));
        let wanted = spec_ref(json!({"semver": ">=1.0.0"}));
        assert_eq!(
            live.patch_to(&wanted),
            Some(json!({"spec": {"ref": {"tag": null, "semver": ">=1.0.0"}}}))
        );
        assert_eq!(wanted.patch_to(&wanted), None);
    }

    #[test]
    fn patch_is_needed_for_a_stale_field_even_when_the_followed_ref_is_the_same() {
        let live = spec_ref(json!({"commit": "abc", "branch": "main"}));
        let wanted = spec_ref(json!({"commit": "abc"}));
        assert_eq!(live.followed(), wanted.followed());
        assert_eq!(
            live.patch_to(&wanted),
            Some(json!({"spec": {"ref": {"branch": null}}}))
        );
        let other_tag = spec_ref(json!({"tag": "v2"}));
        assert_eq!(
            spec_ref(json!({"tag": "v1"})).patch_to(&other_tag),
            Some(json!({"spec": {"ref": {"tag": "v2"}}}))
        );
    }

    #[test]
    fn planned_reads_the_named_git_repository_only() {
        let sync = vec![
            json!({"kind": "GitRepository", "metadata": {"name": "other"}, "spec": {"ref": {"commit": "x"}}}),
            json!({"kind": "GitRepository", "metadata": {"name": "flux-system"}, "spec": {"ref": {"semver": ">=1.0.0"}}}),
            json!({"kind": "Kustomization", "metadata": {"name": "flux-system"}, "spec": {}}),
        ];
        assert_eq!(
            SpecRef::planned(&sync, "flux-system"),
            Some(spec_ref(json!({"semver": ">=1.0.0"})))
        );
        assert_eq!(SpecRef::planned(&sync[2..], "flux-system"), None);
    }
}
