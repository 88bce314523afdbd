//! The root GitRepository's `spec.ref`: writing a new one and waiting until Flux
//! follows it.
//!
//! Three parties write that field. This provider applies the sync objects server-side
//! (field manager `flux`); kustomize-controller applies `gotk-sync.yaml` server-side
//! from the revision it fetched last, which during a switch is still the old ref's;
//! and people edit it by hand. Server-side apply keeps a field another manager owns,
//! so a switch removes the stale fields with a merge patch, and it does so in the same
//! request that sets the new ref: removing first left the GitRepository with an empty
//! ref for a moment, which source-controller reads as branch `master`.
//!
//! A switch is finished only when kustomize-controller has applied the revision the new
//! ref resolves to and the ref survived that. Before, an apply returned while
//! kustomize-controller was still applying the old revision's `gotk-sync.yaml`, whose
//! stale ref then raced the next change; a stale field of higher precedence (a tag
//! beside a branch) even keeps the GitRepository on the old ref for good.
//!
//! When the ref is replaced, the revision whose apply replaced it tells a stale apply
//! (write the ref again) from a `gotk-sync.yaml` at the new ref that names another one
//! (fail at the attribute). A revision can be applied and superseded within a second,
//! so the two objects are watched from just before the write and every version is
//! judged, not only those a poll happens to read.

use std::time::Duration;

use flux_core::cluster::{
    condition, flux_readiness, normalize_revision, Cluster, ObjectHistory, ObjectRef, Readiness,
};
use flux_core::manifests::GitRef;
use serde_json::{Map, Value as Json};
use tfplug::{AttributePath, Diagnostic};
use tokio::time::Instant;

/// The fields of a `spec.ref`.
pub type RefFields = Map<String, Json>;

/// source-controller's precedence among the ref fields, highest first.
const PRECEDENCE: [&str; 5] = ["commit", "name", "semver", "tag", "branch"];

/// How often a switch is checked.
const POLL: Duration = Duration::from_secs(1);

/// The ref source-controller follows for `fields`: the set field of highest precedence,
/// `branch master` when none is set.
pub fn followed(fields: &RefFields) -> (String, String) {
    PRECEDENCE
        .iter()
        .find_map(|key| {
            fields
                .get(*key)
                .and_then(Json::as_str)
                .filter(|v| !v.is_empty())
                .map(|v| ((*key).to_string(), v.to_string()))
        })
        .unwrap_or_else(|| ("branch".to_string(), "master".to_string()))
}

/// The followed ref as `<kind> <value>`, for messages.
pub fn describe(fields: &RefFields) -> String {
    let (kind, value) = followed(fields);
    format!("{kind} {value}")
}

/// The `spec.ref` of a [`GitRef`].
pub fn fields_of(git_ref: &GitRef) -> RefFields {
    let (key, value) = match git_ref {
        GitRef::Branch(v) => ("branch", v),
        GitRef::Tag(v) => ("tag", v),
        GitRef::Semver(v) => ("semver", v),
        GitRef::Commit(v) => ("commit", v),
    };
    Map::from_iter([(key.to_string(), Json::from(value.as_str()))])
}

/// The `spec.ref` of the root GitRepository among the objects to apply (after any
/// kustomization patches, which may set the ref themselves).
pub fn planned(sync: &[Json], namespace: &str) -> Option<RefFields> {
    sync.iter()
        .find(|o| {
            o.get("kind").and_then(Json::as_str) == Some("GitRepository")
                && o.pointer("/metadata/name").and_then(Json::as_str) == Some(namespace)
        })
        .map(|o| {
            o.pointer("/spec/ref")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default()
        })
}

/// The live `spec.ref` of a GitRepository object (empty when it has none).
pub fn live(object: &Json) -> RefFields {
    object
        .pointer("/spec/ref")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The merge patch that turns `live` into exactly `wanted` in one request, or `None`
/// when they are equal.
pub fn patch(live: &RefFields, wanted: &RefFields) -> Option<Json> {
    let mut change = Map::new();
    for key in live.keys().filter(|k| !wanted.contains_key(*k)) {
        change.insert(key.clone(), Json::Null);
    }
    for (key, value) in wanted.iter().filter(|(k, v)| live.get(*k) != Some(*v)) {
        change.insert(key.clone(), value.clone());
    }
    (!change.is_empty()).then(|| serde_json::json!({"spec": {"ref": change}}))
}

/// Where a switch stands, from one reading of the Kustomization and the GitRepository.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Flux applied the revision the wanted ref resolves to, and the ref held.
    Done,
    /// The ref is not the wanted one (a stale apply of the old revision): write it again.
    Rewrite,
    /// Still on the way.
    Waiting(String),
    /// The wanted ref's own revision put another ref in place.
    Conflict {
        /// The revision the wanted ref resolved to.
        revision: String,
        /// The ref its `gotk-sync.yaml` set.
        set: String,
    },
    /// source-controller or kustomize-controller failed on the new ref.
    Failed(String),
}

fn status_text(object: &Json, pointer: &str) -> Option<String> {
    object
        .pointer(pointer)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(normalize_revision)
}

fn ready_message(object: &Json) -> Option<String> {
    let ready = condition(object, "Ready")?;
    if ready.get("status").and_then(Json::as_str) != Some("False") {
        return None;
    }
    Some(
        ready
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or("not ready")
            .to_string(),
    )
}

/// What a switch remembers across readings: the revisions the Kustomization applied
/// since the ref was written, and those the GitRepository resolved the wanted ref to.
/// They come from watches as well as from the readings, since a revision can be applied
/// and replaced between two readings.
#[derive(Debug, Default)]
pub struct Switch {
    /// The Kustomization's last applied revision before the write.
    before: Option<String>,
    /// Revisions the Kustomization applied since the write.
    applied: Vec<String>,
    /// Revisions the GitRepository reported while following the wanted ref.
    resolved: Vec<String>,
}

fn remember(seen: &mut Vec<String>, revision: Option<String>, before: Option<&String>) {
    if let Some(revision) = revision.filter(|r| Some(r) != before) {
        if !seen.contains(&revision) {
            seen.push(revision);
        }
    }
}

fn last_applied(kustomization: &Json) -> Option<String> {
    status_text(kustomization, "/status/lastAppliedRevision")
}

impl Switch {
    /// A switch from the Kustomization as it was before the write.
    pub fn new(kustomization: Option<&Json>) -> Self {
        Self {
            before: kustomization.and_then(last_applied),
            ..Self::default()
        }
    }

    /// Records one version of the Kustomization.
    pub fn see_kustomization(&mut self, kustomization: &Json) {
        remember(
            &mut self.applied,
            last_applied(kustomization),
            self.before.as_ref(),
        );
    }

    /// Records one version of the GitRepository: its artifact, when it is the wanted
    /// ref's at the current generation.
    pub fn see_repository(&mut self, wanted: &RefFields, repository: &Json) {
        if followed(&live(repository)) == followed(wanted)
            && flux_readiness(repository, None).is_current()
        {
            let revision = status_text(repository, "/status/artifact/revision");
            remember(&mut self.resolved, revision, None);
        }
    }

    /// Whether `revision` is one the wanted ref produced.
    fn is_wanted(&self, wanted: &RefFields, revision: &str) -> bool {
        self.resolved.iter().any(|r| r == revision) || names(wanted, revision)
    }

    /// The first revision of the wanted ref the Kustomization applied since the write.
    fn wanted_applied(&self, wanted: &RefFields) -> Option<&String> {
        self.applied.iter().find(|r| self.is_wanted(wanted, r))
    }
}

/// Whether `revision` is one the `wanted` ref produces, as far as its name tells (a
/// semver range does not name its tag).
fn names(wanted: &RefFields, revision: &str) -> bool {
    match followed(wanted) {
        (kind, name) if kind == "tag" || kind == "branch" => {
            revision.starts_with(&format!("{name}@"))
        }
        (kind, commit) if kind == "commit" => revision.ends_with(&format!(":{commit}")),
        _ => false,
    }
}

/// Whether kustomize-controller is in the middle of a reconciliation: it sets Ready to
/// Unknown when one starts, and records the revision it attempts before applying it.
fn reconciling(kustomization: &Json) -> bool {
    condition(kustomization, "Ready")
        .and_then(|c| c.get("status"))
        .and_then(Json::as_str)
        == Some("Unknown")
}

/// Judges one reading. Read the Kustomization before the GitRepository, so that a ref
/// seen after a finished reconciliation is seen after that reconciliation's apply.
///
/// When the ref is not the wanted one, who replaced it decides: while kustomize-
/// controller still reconciles, nobody can tell yet; once it is done, a replacement
/// after it applied a revision of the wanted ref came from that revision's
/// gotk-sync.yaml (a conflict), any other from an apply of an older revision (written
/// again).
pub fn judge(
    wanted: &RefFields,
    repository: &Json,
    kustomization: Option<&Json>,
    switch: &mut Switch,
) -> Progress {
    if let Some(k) = kustomization {
        switch.see_kustomization(k);
    }
    switch.see_repository(wanted, repository);
    if followed(&live(repository)) != followed(wanted) {
        let set = describe(&live(repository));
        return match kustomization {
            Some(k) if reconciling(k) => Progress::Waiting(format!(
                "the ref follows {set}; Kustomization: reconciling {}",
                status_text(k, "/status/lastAttemptedRevision").unwrap_or_default()
            )),
            Some(k) => match switch.wanted_applied(wanted) {
                Some(revision) => Progress::Conflict {
                    revision: revision.clone(),
                    set,
                },
                None => match (
                    ready_message(k),
                    status_text(k, "/status/lastAttemptedRevision"),
                ) {
                    (Some(message), Some(attempted)) if switch.is_wanted(wanted, &attempted) => {
                        Progress::Failed(message)
                    }
                    _ => Progress::Rewrite,
                },
            },
            None => Progress::Rewrite,
        };
    }
    match flux_readiness(repository, None) {
        Readiness::Current => {}
        Readiness::Failed(message) => return Progress::Failed(message),
        Readiness::InProgress(message) => {
            return Progress::Waiting(format!("GitRepository: {message}"))
        }
    }
    let Some(revision) = status_text(repository, "/status/artifact/revision") else {
        return Progress::Waiting("GitRepository: no artifact yet".into());
    };
    let Some(kustomization) = kustomization else {
        return Progress::Waiting("Kustomization: not found".into());
    };
    let applied = last_applied(kustomization);
    if applied.as_ref() == Some(&revision) {
        return Progress::Done;
    }
    // A suspended Kustomization never applies the new revision.
    if kustomization
        .pointer("/spec/suspend")
        .and_then(Json::as_bool)
        == Some(true)
    {
        return Progress::Failed("the root Kustomization is suspended".into());
    }
    let attempted = status_text(kustomization, "/status/lastAttemptedRevision");
    match ready_message(kustomization) {
        Some(message) if attempted.as_ref() == Some(&revision) => Progress::Failed(message),
        _ => Progress::Waiting(format!(
            "Kustomization: {} applied, waiting for {revision}",
            applied.as_deref().unwrap_or("nothing")
        )),
    }
}

/// The attribute that sets `wanted`, for error locations (none for the branch, which
/// is the provider's `git.branch`).
fn attribute(wanted: &RefFields) -> Option<AttributePath> {
    match followed(wanted).0.as_str() {
        "tag" => Some(AttributePath::attr("sync_tag")),
        "semver" => Some(AttributePath::attr("sync_semver")),
        "commit" => Some(AttributePath::attr("sync_commit")),
        _ => None,
    }
}

fn located(d: Diagnostic, wanted: &RefFields) -> Diagnostic {
    match attribute(wanted) {
        Some(path) => d.at(path),
        None => d,
    }
}

fn cluster_error(summary: &str, e: &flux_core::cluster::ClusterError) -> Diagnostic {
    Diagnostic::from_error(summary, e)
}

fn root(namespace: &str, api_version: &str, kind: &str) -> ObjectRef {
    ObjectRef::new(api_version, kind, Some(namespace), namespace)
}

fn repository_ref(namespace: &str) -> ObjectRef {
    root(namespace, "source.toolkit.fluxcd.io/v1", "GitRepository")
}

fn kustomization_ref(namespace: &str) -> ObjectRef {
    root(namespace, "kustomize.toolkit.fluxcd.io/v1", "Kustomization")
}

/// A ref written and not yet followed: what [`settle`] starts from.
pub struct Written {
    switch: Switch,
    kustomization: Option<ObjectHistory>,
    repository: Option<ObjectHistory>,
}

/// The history of `object` from the version `live` was read at. Without one (a server
/// that refuses the watch), the readings alone judge the switch.
async fn history_from(cluster: &Cluster, object: &ObjectRef, live: &Json) -> Option<ObjectHistory> {
    let version = live
        .pointer("/metadata/resourceVersion")
        .and_then(Json::as_str)?;
    match cluster.watch_object(object, version).await {
        Ok(history) => Some(history),
        Err(error) => {
            tracing::debug!(object = %object, error = %error, "no watch; judging from readings only");
            None
        }
    }
}

async fn read(
    cluster: &Cluster,
    object: &ObjectRef,
    summary: &str,
) -> Result<Option<Json>, Diagnostic> {
    cluster
        .find_object(object)
        .await
        .map_err(|e| cluster_error(summary, &e))
}

async fn patch_ref(cluster: &Cluster, namespace: &str, change: &Json) -> Result<(), Diagnostic> {
    tracing::info!(namespace, "writing the git ref");
    cluster
        .merge_patch(&repository_ref(namespace), change)
        .await
        .map_err(|e| cluster_error("Failed To Update The GitRepository Ref", &e))?;
    Ok(())
}

/// Sets the live root GitRepository's ref to exactly `wanted` in one merge patch, and
/// starts watching it and the root Kustomization from just before. `None` when the ref
/// already is `wanted`, or when there is no GitRepository yet (the apply creates it).
pub async fn write(
    cluster: &Cluster,
    namespace: &str,
    wanted: &RefFields,
) -> Result<Option<Written>, Diagnostic> {
    let (k_ref, g_ref) = (kustomization_ref(namespace), repository_ref(namespace));
    let k = read(cluster, &k_ref, "Failed To Read The Kustomization").await?;
    let g = read(cluster, &g_ref, "Failed To Read The GitRepository").await?;
    let Some((g, change)) = g.and_then(|g| patch(&live(&g), wanted).map(|c| (g, c))) else {
        return Ok(None);
    };
    let kustomization = match &k {
        Some(k) => history_from(cluster, &k_ref, k).await,
        None => None,
    };
    let repository = history_from(cluster, &g_ref, &g).await;
    patch_ref(cluster, namespace, &change).await?;
    Ok(Some(Written {
        switch: Switch::new(k.as_ref()),
        kustomization,
        repository,
    }))
}

/// Writes the wanted ref again after a stale apply replaced it.
async fn rewrite(cluster: &Cluster, namespace: &str, wanted: &RefFields) -> Result<(), Diagnostic> {
    let g = read(
        cluster,
        &repository_ref(namespace),
        "Failed To Read The GitRepository",
    )
    .await?;
    match g.and_then(|g| patch(&live(&g), wanted)) {
        Some(change) => patch_ref(cluster, namespace, &change).await,
        None => Ok(()),
    }
}

/// Feeds what the watches delivered since the last reading into the switch.
async fn catch_up(written: &mut Written, wanted: &RefFields) {
    if let Some(history) = written.kustomization.as_mut() {
        for k in history.take().await {
            written.switch.see_kustomization(&k);
        }
    }
    if let Some(history) = written.repository.as_mut() {
        for g in history.take().await {
            written.switch.see_repository(wanted, &g);
        }
    }
}

/// Waits until Flux follows `wanted` (see the module documentation), writing the ref
/// again whenever a stale apply of the old revision put another one back.
#[tracing::instrument(skip_all, fields(namespace = %namespace))]
pub async fn settle(
    cluster: &Cluster,
    namespace: &str,
    wanted: &RefFields,
    mut written: Written,
    deadline: Instant,
) -> Result<(), Diagnostic> {
    let (k_ref, g_ref) = (kustomization_ref(namespace), repository_ref(namespace));
    let mut rewrites = 0_u32;
    loop {
        catch_up(&mut written, wanted).await;
        let k = read(cluster, &k_ref, "Failed To Read The Kustomization").await?;
        let g = read(cluster, &g_ref, "Failed To Read The GitRepository").await?;
        let progress = match &g {
            Some(g) => judge(wanted, g, k.as_ref(), &mut written.switch),
            None => Progress::Waiting("GitRepository: not found".into()),
        };
        let reason = match progress {
            Progress::Done => {
                tracing::info!(rewrites, "git ref settled");
                return Ok(());
            }
            Progress::Rewrite => {
                rewrites += 1;
                tracing::info!(
                    rewrites,
                    "a stale apply replaced the git ref, writing it again"
                );
                rewrite(cluster, namespace, wanted).await?;
                "the ref was replaced by a stale apply".to_string()
            }
            Progress::Waiting(reason) => reason,
            Progress::Conflict { revision, set } => {
                return Err(located(
                    Diagnostic::error(
                        "Git Ref Reverted By Flux",
                        format!(
                            "GitRepository {namespace}/{namespace} was set to follow {want}, which resolved to {revision}; the root Kustomization then applied gotk-sync.yaml from that revision, which makes it follow {set}. Point the ref at a commit whose gotk-sync.yaml follows {want}.",
                            want = describe(wanted)
                        ),
                    ),
                    wanted,
                ));
            }
            Progress::Failed(message) => {
                return Err(located(
                    Diagnostic::error(
                        "Flux Failed On The Git Ref",
                        format!(
                            "Flux failed to follow {} in {namespace}/{namespace}: {message}",
                            describe(wanted)
                        ),
                    ),
                    wanted,
                ));
            }
        };
        if Instant::now() >= deadline {
            return Err(located(
                Diagnostic::error(
                    "Flux Did Not Follow The Git Ref",
                    format!(
                        "GitRepository {namespace}/{namespace} did not settle on {} before the timeout: {reason}",
                        describe(wanted)
                    ),
                ),
                wanted,
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Json) -> RefFields {
        value.as_object().cloned().unwrap_or_default()
    }

    fn repository(reference: Json, generation: i64, revision: &str) -> Json {
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

    fn kustomization(applied: &str) -> Json {
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

    #[test]
    fn followed_uses_source_controller_precedence_and_master_when_empty() {
        let both = fields(json!({"branch": "main", "tag": "v1"}));
        assert_eq!(followed(&both), ("tag".into(), "v1".into()));
        let commit = fields(json!({"branch": "main", "commit": "abc"}));
        assert_eq!(followed(&commit).0, "commit");
        assert_eq!(
            followed(&RefFields::new()),
            ("branch".into(), "master".into())
        );
    }

    #[test]
    fn patch_sets_the_new_ref_and_removes_stale_fields_in_one_request() {
        let live = fields(json!({"tag": "v1.0.0"}));
        let wanted = fields(json!({"semver": ">=1.0.0"}));
        assert_eq!(
            patch(&live, &wanted),
            Some(json!({"spec": {"ref": {"tag": null, "semver": ">=1.0.0"}}}))
        );
        assert_eq!(patch(&wanted, &wanted), None);
    }

    #[test]
    fn planned_reads_the_root_git_repository_only() {
        let sync = vec![
            json!({"kind": "GitRepository", "metadata": {"name": "other"}, "spec": {"ref": {"commit": "x"}}}),
            json!({"kind": "GitRepository", "metadata": {"name": "flux-system"}, "spec": {"ref": {"semver": ">=1.0.0"}}}),
            json!({"kind": "Kustomization", "metadata": {"name": "flux-system"}, "spec": {}}),
        ];
        assert_eq!(
            planned(&sync, "flux-system"),
            Some(fields(json!({"semver": ">=1.0.0"})))
        );
        assert_eq!(planned(&sync[2..], "flux-system"), None);
    }

    /// A Kustomization in the middle of reconciling `attempted`, having applied `applied`.
    fn reconciling_kustomization(applied: &str, attempted: &str) -> Json {
        let mut k = kustomization(applied);
        k["status"]["lastAttemptedRevision"] = json!(attempted);
        k["status"]["conditions"] = json!([
            {"type": "Ready", "status": "Unknown", "reason": "Progressing"},
            {"type": "Reconciling", "status": "True", "reason": "Progressing"},
        ]);
        k
    }

    #[test]
    fn judge_stale_tag_beside_branch_before_resolution_is_rewritten() {
        let wanted = fields(json!({"branch": "main"}));
        let g = repository(
            json!({"branch": "main", "tag": "v1.0.0"}),
            4,
            "v1.0.0@sha1:a",
        );
        let k = kustomization("v1.0.0@sha1:a");
        assert_eq!(
            judge(&wanted, &g, Some(&k), &mut Switch::new(Some(&k))),
            Progress::Rewrite
        );
    }

    #[test]
    fn judge_waits_for_the_kustomization_to_apply_the_new_revision() {
        let wanted = fields(json!({"semver": ">=1.0.0"}));
        let g = repository(json!({"semver": ">=1.0.0"}), 5, "v1.1.0@sha1:b");
        let old = kustomization("v1.0.0@sha1:a");
        let mut switch = Switch::new(Some(&old));
        assert!(matches!(
            judge(&wanted, &g, Some(&old), &mut switch),
            Progress::Waiting(_)
        ));
        assert_eq!(switch.resolved, ["v1.1.0@sha1:b"]);
        let new = kustomization("v1.1.0@sha1:b");
        assert_eq!(judge(&wanted, &g, Some(&new), &mut switch), Progress::Done);
    }

    #[test]
    fn judge_ref_reverted_by_the_new_revision_is_a_conflict() {
        let wanted = fields(json!({"tag": "v2.0.0"}));
        let old = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&old));
        let g = repository(json!({"tag": "v2.0.0"}), 7, "v2.0.0@sha1:c");
        assert!(matches!(
            judge(&wanted, &g, Some(&old), &mut switch),
            Progress::Waiting(_)
        ));
        // Its gotk-sync.yaml follows v1.0.0; the conflict is seen whether or not the
        // intact ref was seen in between (the tag's name tells).
        let reverted = repository(json!({"tag": "v1.0.0"}), 8, "v2.0.0@sha1:c");
        let k = kustomization("v2.0.0@sha1:c");
        let conflict = Progress::Conflict {
            revision: "v2.0.0@sha1:c".into(),
            set: "tag v1.0.0".into(),
        };
        assert_eq!(judge(&wanted, &reverted, Some(&k), &mut switch), conflict);
        let mut unseen = Switch::new(Some(&old));
        judge(&wanted, &reverted, Some(&old), &mut unseen);
        assert_eq!(judge(&wanted, &reverted, Some(&k), &mut unseen), conflict);
    }

    /// The failure CI showed: Flux already followed v1.0.0 when v2.0.0 (the same
    /// commit, whose gotk-sync.yaml follows v1.0.0) was written, so every reading sees
    /// the revision applied before the write. Only the watched history shows that
    /// v2.0.0 was applied in between.
    #[test]
    fn judge_conflict_seen_only_in_the_watched_history_is_a_conflict() {
        let wanted = fields(json!({"tag": "v2.0.0"}));
        let before = kustomization("v1.0.0@sha1:x");
        let mut switch = Switch::new(Some(&before));
        let reverted = repository(json!({"tag": "v1.0.0"}), 9, "v1.0.0@sha1:x");
        assert_eq!(
            judge(&wanted, &reverted, Some(&before), &mut switch),
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
            judge(&wanted, &reverted, Some(&settled), &mut switch),
            Progress::Conflict {
                revision: "v2.0.0@sha1:x".into(),
                set: "tag v1.0.0".into(),
            }
        );
    }

    #[test]
    fn judge_ref_replaced_while_the_kustomization_reconciles_waits() {
        let wanted = fields(json!({"tag": "v2.0.0"}));
        let before = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&before));
        // Replaced either by the stale apply of main@sha1:a or by v2.0.0's own apply,
        // whose result the status does not show yet: neither written nor an error.
        let reverted = repository(json!({"branch": "main"}), 9, "v2.0.0@sha1:c");
        let busy = reconciling_kustomization("main@sha1:a", "v2.0.0@sha1:c");
        assert!(matches!(
            judge(&wanted, &reverted, Some(&busy), &mut switch),
            Progress::Waiting(_)
        ));
    }

    #[test]
    fn judge_semver_conflict_is_told_by_the_resolved_revision() {
        let wanted = fields(json!({"semver": ">=1.0.0"}));
        let before = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&before));
        switch.see_repository(
            &wanted,
            &repository(json!({"semver": ">=1.0.0"}), 3, "v1.1.0@sha1:b"),
        );
        let reverted = repository(json!({"tag": "v1.0.0"}), 4, "v1.1.0@sha1:b");
        assert_eq!(
            judge(
                &wanted,
                &reverted,
                Some(&kustomization("v1.1.0@sha1:b")),
                &mut switch
            ),
            Progress::Conflict {
                revision: "v1.1.0@sha1:b".into(),
                set: "tag v1.0.0".into(),
            }
        );
    }

    #[test]
    fn judge_failed_apply_of_the_new_revision_fails_instead_of_rewriting() {
        let wanted = fields(json!({"tag": "v2.0.0"}));
        let before = kustomization("main@sha1:a");
        let mut switch = Switch::new(Some(&before));
        let reverted = repository(json!({"branch": "main"}), 9, "main@sha1:a");
        let mut failed = kustomization("main@sha1:a");
        failed["status"]["lastAttemptedRevision"] = json!("v2.0.0@sha1:c");
        failed["status"]["conditions"] = json!([
            {"type": "Ready", "status": "False", "message": "kustomize build failed"},
        ]);
        assert_eq!(
            judge(&wanted, &reverted, Some(&failed), &mut switch),
            Progress::Failed("kustomize build failed".into())
        );
    }

    #[test]
    fn judge_ref_reverted_by_the_revision_applied_before_the_switch_is_rewritten() {
        let wanted = fields(json!({"branch": "main"}));
        let k = kustomization("main@sha1:a");
        let g = repository(json!({"tag": "v1.0.0"}), 3, "main@sha1:a");
        let mut switch = Switch::new(Some(&k));
        assert_eq!(judge(&wanted, &g, Some(&k), &mut switch), Progress::Rewrite);
        assert_eq!(judge(&wanted, &g, Some(&k), &mut switch), Progress::Rewrite);
    }

    #[test]
    fn judge_commit_with_a_stale_branch_beside_it_settles() {
        let wanted = fields(json!({"commit": "abc"}));
        let g = repository(json!({"commit": "abc", "branch": "main"}), 3, "sha1:abc");
        let k = kustomization("sha1:abc");
        assert_eq!(
            judge(&wanted, &g, Some(&k), &mut Switch::default()),
            Progress::Done
        );
    }

    #[test]
    fn judge_suspended_kustomization_fails_instead_of_waiting() {
        let wanted = fields(json!({"tag": "v1.0.0"}));
        let g = repository(json!({"tag": "v1.0.0"}), 2, "v1.0.0@sha1:a");
        let mut k = kustomization("main@sha1:b");
        k["spec"] = json!({"suspend": true});
        assert_eq!(
            judge(&wanted, &g, Some(&k), &mut Switch::default()),
            Progress::Failed("the root Kustomization is suspended".into())
        );
    }

    #[test]
    fn judge_failed_source_at_the_current_generation_fails() {
        let wanted = fields(json!({"semver": ">=9.0.0"}));
        let g = json!({
            "kind": "GitRepository",
            "metadata": {"generation": 2},
            "spec": {"ref": {"semver": ">=9.0.0"}},
            "status": {"observedGeneration": 2, "conditions": [
                {"type": "Ready", "status": "False", "observedGeneration": 2, "message": "no tag matches"}
            ]},
        });
        assert_eq!(
            judge(&wanted, &g, None, &mut Switch::default()),
            Progress::Failed("no tag matches".into())
        );
    }
}
