//! Judging a ref switch from readings of the root Kustomization and GitRepository.
//!
//! A switch is finished only when kustomize-controller has applied the revision the new
//! ref resolves to and the ref survived that. Until then kustomize-controller may still
//! apply the old revision's `gotk-sync.yaml`, whose stale ref races the next change; a
//! stale field of higher precedence (a tag beside a branch) even keeps the GitRepository
//! on the old ref for good.
//!
//! When the ref is replaced, the revision whose apply replaced it tells a stale apply
//! (write the ref again) from a `gotk-sync.yaml` at the new ref that names another one
//! (a conflict). A revision can be applied and superseded within a second, so every
//! version the watches deliver is fed in, not only those a reading happens to see.

use serde_json::Value;

use super::revision::names;
use super::spec_ref::SpecRef;
use crate::cluster::{condition, flux_readiness, normalize_revision, Readiness};
use crate::manifests::GitRef;

/// Where a switch stands, from one reading of the Kustomization and the GitRepository.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Flux applied the revision the wanted ref resolves to, and the ref held.
    Done,
    /// The ref is not the wanted one (a stale apply of the old revision): write it again.
    Rewrite,
    /// Still on the way; the text says why.
    Waiting(String),
    /// The wanted ref's own revision put another ref in place.
    Conflict {
        /// The revision the wanted ref resolved to.
        revision: String,
        /// The ref its `gotk-sync.yaml` set.
        set: GitRef,
    },
    /// source-controller or kustomize-controller failed on the new ref.
    Failed(String),
}

/// What a switch remembers across readings: the revisions the Kustomization applied
/// since the ref was written, and those the GitRepository resolved the wanted ref to.
#[derive(Debug, Default)]
pub struct Switch {
    /// The Kustomization's last applied revision before the write.
    before: Option<String>,
    /// Revisions the Kustomization applied since the write.
    applied: Vec<String>,
    /// Revisions the GitRepository reported while following the wanted ref.
    resolved: Vec<String>,
}

fn status_text(object: &Value, pointer: &str) -> Option<String> {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(normalize_revision)
}

fn last_applied(kustomization: &Value) -> Option<String> {
    status_text(kustomization, "/status/lastAppliedRevision")
}

fn last_attempted(kustomization: &Value) -> Option<String> {
    status_text(kustomization, "/status/lastAttemptedRevision")
}

fn artifact(repository: &Value) -> Option<String> {
    status_text(repository, "/status/artifact/revision")
}

/// The message of a Ready=False condition.
fn ready_message(object: &Value) -> Option<String> {
    let ready = condition(object, "Ready")?;
    if ready.get("status").and_then(Value::as_str) != Some("False") {
        return None;
    }
    Some(
        ready
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("not ready")
            .to_string(),
    )
}

/// Whether kustomize-controller is in the middle of a reconciliation: it sets Ready to
/// Unknown when one starts, and records the revision it attempts before applying it.
fn reconciling(kustomization: &Value) -> bool {
    condition(kustomization, "Ready")
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("Unknown")
}

fn remember(seen: &mut Vec<String>, revision: Option<String>, before: Option<&String>) {
    if let Some(revision) = revision.filter(|r| Some(r) != before) {
        if !seen.contains(&revision) {
            seen.push(revision);
        }
    }
}

impl Switch {
    /// A switch from the Kustomization as it was before the write.
    pub fn new(kustomization: Option<&Value>) -> Self {
        Self {
            before: kustomization.and_then(last_applied),
            ..Self::default()
        }
    }

    /// Records one version of the Kustomization.
    pub fn see_kustomization(&mut self, kustomization: &Value) {
        remember(
            &mut self.applied,
            last_applied(kustomization),
            self.before.as_ref(),
        );
    }

    /// Records one version of the GitRepository: its artifact, when it is the wanted
    /// ref's at the current generation.
    pub fn see_repository(&mut self, wanted: &GitRef, repository: &Value) {
        if SpecRef::of_object(repository).followed() == *wanted
            && flux_readiness(repository, None).is_current()
        {
            remember(&mut self.resolved, artifact(repository), None);
        }
    }

    /// Whether `revision` is one the wanted ref produced.
    fn is_wanted(&self, wanted: &GitRef, revision: &str) -> bool {
        self.resolved.iter().any(|r| r == revision) || names(wanted, revision)
    }

    /// The first revision of the wanted ref the Kustomization applied since the write.
    fn wanted_applied(&self, wanted: &GitRef) -> Option<&String> {
        self.applied.iter().find(|r| self.is_wanted(wanted, r))
    }

    /// Judges one reading. Read the Kustomization before the GitRepository, so that a
    /// ref seen after a finished reconciliation is seen after that reconciliation's
    /// apply.
    pub fn judge(
        &mut self,
        wanted: &GitRef,
        repository: &Value,
        kustomization: Option<&Value>,
    ) -> Progress {
        if let Some(k) = kustomization {
            self.see_kustomization(k);
        }
        self.see_repository(wanted, repository);
        let set = SpecRef::of_object(repository).followed();
        if set != *wanted {
            return self.replaced(wanted, set, kustomization);
        }
        match flux_readiness(repository, None) {
            Readiness::Current => {}
            Readiness::Failed(message) => return Progress::Failed(message),
            Readiness::InProgress(message) => {
                return Progress::Waiting(format!("GitRepository: {message}"))
            }
        }
        let Some(revision) = artifact(repository) else {
            return Progress::Waiting("GitRepository: no artifact yet".into());
        };
        match kustomization {
            Some(k) => applying(k, &revision),
            None => Progress::Waiting("Kustomization: not found".into()),
        }
    }

    /// The ref is `set`, not the wanted one: who replaced it decides. While kustomize-
    /// controller still reconciles, nobody can tell yet; once it is done, a replacement
    /// after it applied a revision of the wanted ref came from that revision's
    /// `gotk-sync.yaml` (a conflict), any other from an apply of an older revision
    /// (written again).
    fn replaced(&self, wanted: &GitRef, set: GitRef, kustomization: Option<&Value>) -> Progress {
        let Some(k) = kustomization else {
            return Progress::Rewrite;
        };
        if reconciling(k) {
            return Progress::Waiting(format!(
                "the ref follows {set}; Kustomization: reconciling {}",
                last_attempted(k).unwrap_or_default()
            ));
        }
        if let Some(revision) = self.wanted_applied(wanted) {
            return Progress::Conflict {
                revision: revision.clone(),
                set,
            };
        }
        match (ready_message(k), last_attempted(k)) {
            (Some(message), Some(attempted)) if self.is_wanted(wanted, &attempted) => {
                Progress::Failed(message)
            }
            _ => Progress::Rewrite,
        }
    }
}

/// Where the Kustomization stands with `revision`, the wanted ref's artifact.
fn applying(kustomization: &Value, revision: &str) -> Progress {
    let applied = last_applied(kustomization);
    if applied.as_deref() == Some(revision) {
        return Progress::Done;
    }
    // A suspended Kustomization never applies the new revision.
    if kustomization
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        == Some(true)
    {
        return Progress::Failed("the root Kustomization is suspended".into());
    }
    match ready_message(kustomization) {
        Some(message) if last_attempted(kustomization).as_deref() == Some(revision) => {
            Progress::Failed(message)
        }
        _ => Progress::Waiting(format!(
            "Kustomization: {} applied, waiting for {revision}",
            applied.as_deref().unwrap_or("nothing")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tag(v: &str) -> GitRef {
        GitRef::Tag(v.into())
    }

    fn repository(reference: Value, generation: i64, revision: &str) -> Value {
        json!({
            "kind": "GitRepository",
            "metadata": {"generation": generation},
            "spec": {"ref": reference},
            "status": {
                "observedGeneration": generation,
                "artifact": {"revision": revision},
                "conditions": [{"type": "Ready", "status": "True", "observedGeneration": generation}],
            },
        })
    }

    fn kustomization(applied: &str) -> Value {
        json!({
            "kind": "Kustomization",
            "metadata": {"generation": 1},
            "status": {
                "observedGeneration": 1,
                "lastAppliedRevision": applied,
                "lastAttemptedRevision": applied,
                "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1}],
            },
        })
    }

    /// A Kustomization in the middle of reconciling `attempted`, having applied `applied`.
    fn reconciling_kustomization(applied: &str, attempted: &str) -> Value {
        let mut k = kustomization(applied);
        k["status"]["lastAttemptedRevision"] = json!(attempted);
        k["status"]["conditions"] = json!([
            {"type": "Ready", "status": "Unknown", "reason": "Progressing"},
            {"type": "Reconciling", "status": "True", "reason": "Progressing"},
        ]);
        k
    }

    #[test]
    fn stale_tag_beside_branch_before_resolution_is_rewritten() {
        let wanted = GitRef::Branch("main".into());
        let g = repository(
            json!({"branch": "main", "tag": "v1.0.0"}),
            4,
            "v1.0.0@sha1:a",
        );
        let k = kustomization("v1.0.0@sha1:a");
        assert_eq!(
            Switch::new(Some(&k)).judge(&wanted, &g, Some(&k)),
            Progress::Rewrite
        );
    }

    #[test]
    fn waits_for_the_kustomization_to_apply_the_new_revision() {
        let wanted = GitRef::Semver(">=1.0.0".into());
        let g = repository(json!({"semver": ">=1.0.0"}), 5, "v1.1.0@sha1:b");
        let old = kustomization("v1.0.0@sha1:a");
        let mut switch = Switch::new(Some(&old));
        assert_eq!(
            switch.judge(&wanted, &g, Some(&old)),
            Progress::Waiting(
                "Kustomization: v1.0.0@sha1:a applied, waiting for v1.1.0@sha1:b".into()
            )
        );
        assert_eq!(switch.resolved, ["v1.1.0@sha1:b"]);
        let new = kustomization("v1.1.0@sha1:b");
        assert_eq!(switch.judge(&wanted, &g, Some(&new)), Progress::Done);
    }

    #[test]
    fn ref_reverted_by_the_new_revision_is_a_conflict() {
        let wanted = tag("v2.0.0");
        let old = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&old));
        let g = repository(json!({"tag": "v2.0.0"}), 7, "v2.0.0@sha1:c");
        assert!(matches!(
            switch.judge(&wanted, &g, Some(&old)),
            Progress::Waiting(_)
        ));
        // Its gotk-sync.yaml follows v1.0.0; the conflict is seen whether or not the
        // intact ref was seen in between (the tag's name tells).
        let reverted = repository(json!({"tag": "v1.0.0"}), 8, "v2.0.0@sha1:c");
        let k = kustomization("v2.0.0@sha1:c");
        let conflict = Progress::Conflict {
            revision: "v2.0.0@sha1:c".into(),
            set: tag("v1.0.0"),
        };
        assert_eq!(switch.judge(&wanted, &reverted, Some(&k)), conflict);
        let mut unseen = Switch::new(Some(&old));
        unseen.judge(&wanted, &reverted, Some(&old));
        assert_eq!(unseen.judge(&wanted, &reverted, Some(&k)), conflict);
    }

    /// Flux already followed v1.0.0 when v2.0.0 (the same commit, whose gotk-sync.yaml
    /// follows v1.0.0) was written, so every reading sees the revision applied before
    /// the write. Only the watched history shows that v2.0.0 was applied in between.
    #[test]
    fn conflict_seen_only_in_the_watched_history_is_a_conflict() {
        let wanted = tag("v2.0.0");
        let before = kustomization("v1.0.0@sha1:x");
        let mut switch = Switch::new(Some(&before));
        let reverted = repository(json!({"tag": "v1.0.0"}), 9, "v1.0.0@sha1:x");
        assert_eq!(
            switch.judge(&wanted, &reverted, Some(&before)),
            Progress::Rewrite,
            "without the history the readings look like a stale apply"
        );
        for k in [
            reconciling_kustomization("v1.0.0@sha1:x", "v2.0.0@sha1:x"),
            kustomization("v2.0.0@sha1:x"),
            reconciling_kustomization("v2.0.0@sha1:x", "v1.0.0@sha1:x"),
        ] {
            switch.see_kustomization(&k);
        }
        let settled = kustomization("v1.0.0@sha1:x");
        assert_eq!(
            switch.judge(&wanted, &reverted, Some(&settled)),
            Progress::Conflict {
                revision: "v2.0.0@sha1:x".into(),
                set: tag("v1.0.0"),
            }
        );
    }

    #[test]
    fn ref_replaced_while_the_kustomization_reconciles_waits() {
        let wanted = tag("v2.0.0");
        let before = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&before));
        // Replaced either by the stale apply of main@sha1:a or by v2.0.0's own apply,
        // whose result the status does not show yet: neither written nor an error.
        let reverted = repository(json!({"branch": "main"}), 9, "v2.0.0@sha1:c");
        let busy = reconciling_kustomization("main@sha1:a", "v2.0.0@sha1:c");
        assert_eq!(
            switch.judge(&wanted, &reverted, Some(&busy)),
            Progress::Waiting(
                "the ref follows branch main; Kustomization: reconciling v2.0.0@sha1:c".into()
            )
        );
    }

    #[test]
    fn semver_conflict_is_told_by_the_resolved_revision() {
        let wanted = GitRef::Semver(">=1.0.0".into());
        let before = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&before));
        switch.see_repository(
            &wanted,
            &repository(json!({"semver": ">=1.0.0"}), 3, "v1.1.0@sha1:b"),
        );
        let reverted = repository(json!({"tag": "v1.0.0"}), 4, "v1.1.0@sha1:b");
        assert_eq!(
            switch.judge(&wanted, &reverted, Some(&kustomization("v1.1.0@sha1:b"))),
            Progress::Conflict {
                revision: "v1.1.0@sha1:b".into(),
                set: tag("v1.0.0"),
            }
        );
    }

    #[test]
    fn semver_revision_resolved_at_an_old_generation_is_not_the_wanted_one() {
        let wanted = GitRef::Semver(">=1.0.0".into());
        let mut stale = repository(json!({"semver": ">=1.0.0"}), 3, "v1.1.0@sha1:b");
        stale["metadata"]["generation"] = json!(4);
        let mut switch = Switch::new(Some(&kustomization("main@sha1:a")));
        switch.see_repository(&wanted, &stale);
        assert!(switch.resolved.is_empty());
    }

    #[test]
    fn failed_apply_of_the_new_revision_fails_instead_of_rewriting() {
        let wanted = tag("v2.0.0");
        let before = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&before));
        let reverted = repository(json!({"branch": "main"}), 9, "main@sha1:a");
        let mut failed = kustomization("main@sha1:a");
        failed["status"]["lastAttemptedRevision"] = json!("v2.0.0@sha1:c");
        failed["status"]["conditions"] = json!([
            {"type": "Ready", "status": "False", "message": "kustomize build failed"},
        ]);
        assert_eq!(
            switch.judge(&wanted, &reverted, Some(&failed)),
            Progress::Failed("kustomize build failed".into())
        );
    }

    #[test]
    fn ref_reverted_by_the_revision_applied_before_the_switch_is_rewritten() {
        let wanted = GitRef::Branch("main".into());
        let k = kustomization("main@sha1:a");
        let g = repository(json!({"tag": "v1.0.0"}), 3, "main@sha1:a");
        let mut switch = Switch::new(Some(&k));
        assert_eq!(switch.judge(&wanted, &g, Some(&k)), Progress::Rewrite);
        assert_eq!(switch.judge(&wanted, &g, Some(&k)), Progress::Rewrite);
    }

    #[test]
    fn ref_replaced_without_a_kustomization_is_rewritten() {
        let g = repository(json!({"branch": "main"}), 3, "main@sha1:a");
        assert_eq!(
            Switch::default().judge(&tag("v1.0.0"), &g, None),
            Progress::Rewrite
        );
    }

    #[test]
    fn commit_with_a_stale_branch_beside_it_settles() {
        let wanted = GitRef::Commit("abc".into());
        let g = repository(json!({"commit": "abc", "branch": "main"}), 3, "sha1:abc");
        let k = kustomization("sha1:abc");
        assert_eq!(
            Switch::default().judge(&wanted, &g, Some(&k)),
            Progress::Done
        );
    }

    #[test]
    fn legacy_revisions_are_compared_in_their_current_form() {
        let sha = "a".repeat(40);
        let wanted = GitRef::Branch("main".into());
        let g = repository(json!({"branch": "main"}), 3, &format!("main/{sha}"));
        let k = kustomization(&format!("main@sha1:{sha}"));
        assert_eq!(
            Switch::default().judge(&wanted, &g, Some(&k)),
            Progress::Done
        );
    }

    #[test]
    fn suspended_kustomization_fails_instead_of_waiting() {
        let wanted = tag("v1.0.0");
        let g = repository(json!({"tag": "v1.0.0"}), 2, "v1.0.0@sha1:a");
        let mut k = kustomization("main@sha1:b");
        k["spec"] = json!({"suspend": true});
        assert_eq!(
            Switch::default().judge(&wanted, &g, Some(&k)),
            Progress::Failed("the root Kustomization is suspended".into())
        );
    }

    #[test]
    fn failed_source_at_the_current_generation_fails() {
        let wanted = GitRef::Semver(">=9.0.0".into());
        let g = json!({
            "kind": "GitRepository",
            "metadata": {"generation": 2},
            "spec": {"ref": {"semver": ">=9.0.0"}},
            "status": {"observedGeneration": 2, "conditions": [
                {"type": "Ready", "status": "False", "observedGeneration": 2, "message": "no tag matches"}
            ]},
        });
        assert_eq!(
            Switch::default().judge(&wanted, &g, None),
            Progress::Failed("no tag matches".into())
        );
    }

    #[test]
    fn missing_kustomization_or_artifact_waits() {
        let wanted = tag("v1.0.0");
        let g = repository(json!({"tag": "v1.0.0"}), 2, "v1.0.0@sha1:a");
        assert_eq!(
            Switch::default().judge(&wanted, &g, None),
            Progress::Waiting("Kustomization: not found".into())
        );
        let mut bare = g.clone();
        bare["status"]["artifact"] = json!({});
        assert_eq!(
            Switch::default().judge(&wanted, &bare, None),
            Progress::Waiting("GitRepository: no artifact yet".into())
        );
    }
}
