//! The three managed files, rendered offline from the resource's values, and the
//! objects they put in the cluster.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use flux_core::manifests::{
    apply_override, default_kustomization, download_manifests, render_install, render_sync,
    BaseManifests, DownloadSpec, InstallSpec, ManifestError, Override, Rendered, SyncSpec,
    DEFAULT_BASE_URL, EMBEDDED_VERSION,
};
use serde_json::Value as Json;
use tfplug::{AttributePath, Diagnostic, Diagnostics};

use super::model::BootstrapModel;

/// The managed files of one bootstrap, rendered.
#[derive(Clone, Debug)]
pub struct ExpectedFiles {
    /// `gotk-components.yaml`.
    pub components: Rendered,
    /// `gotk-sync.yaml`.
    pub sync: Rendered,
    /// `kustomization.yaml`.
    pub kustomization: String,
}

impl ExpectedFiles {
    /// `repository_files`: key `<path>/<namespace>/<file>` to content.
    pub fn by_key(&self, model: &BootstrapModel) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                model.file_key("gotk-components.yaml"),
                self.components.text.clone(),
            ),
            (model.file_key("gotk-sync.yaml"), self.sync.text.clone()),
            (
                model.file_key("kustomization.yaml"),
                self.kustomization.clone(),
            ),
        ])
    }

    /// The install and the sync objects to apply, with `kustomization.yaml`'s patches
    /// applied when it is one this engine can build. A kustomization that uses what only
    /// kustomize builds (generators, components, more resources, patches in files) is
    /// left to kustomize-controller, which builds it from git on its first sync; a
    /// warning says so.
    pub fn objects(&self, diags: &mut Diagnostics) -> Result<(Vec<Json>, Vec<Json>), Diagnostic> {
        let install = self.components.objects.clone();
        let sync = self.sync.objects.clone();
        if self.kustomization == default_kustomization() {
            return Ok((install, sync));
        }
        let reason = match Override::parse(&self.kustomization) {
            Ok(o) if o.deferred().is_empty() => Ok(o),
            Ok(o) => Err(format!("it uses {}", o.deferred().join(", "))),
            Err(e) => Err(tfplug::diag::render_chain(&e)),
        };
        let over = match reason {
            Ok(o) => o,
            Err(reason) => {
                diags.warning(
                    "Kustomization Built By Flux",
                    format!(
                        "The provider does not build kustomization.yaml itself ({reason}): it applies Flux's manifests as rendered, and kustomize-controller builds and applies the whole kustomization from git on its first sync, which the apply waits for."
                    ),
                );
                return Ok((install, sync));
            }
        };
        let split = install.len();
        let mut all = install;
        all.extend(sync);
        let mut all = apply_override(all, &over).map_err(|e| {
            Diagnostic::from_error("Invalid Kustomization Override", &e)
                .at(AttributePath::attr("kustomization_override"))
        })?;
        let sync = all.split_off(split.min(all.len()));
        Ok((all, sync))
    }
}

/// Renders the files. `kustomization_in_git` is the current `kustomization.yaml` (kept
/// when no override is set, so that in-repo edits survive).
pub fn render(
    model: &BootstrapModel,
    base: &BaseManifests,
    sync_url: &str,
    branch: &str,
    kustomization_in_git: Option<&str>,
) -> Result<ExpectedFiles, Diagnostics> {
    let mut diags = Diagnostics::new();
    let install = InstallSpec::from_options(model.install_options());
    let sync = SyncSpec::from_options(model.sync_options(sync_url, branch));
    let (install, sync) = match (install, sync) {
        (Ok(i), Ok(s)) => (i, s),
        (i, s) => {
            let errors = i.err().into_iter().chain(s.err()).flatten();
            for e in errors {
                diags.push(locate(&e));
            }
            return Err(diags);
        }
    };
    let components = render_install(&install, base).map_err(|e| {
        Diagnostics::from(Diagnostic::from_error(
            "Failed To Render Flux Manifests",
            &e,
        ))
    })?;
    let kustomization = match (&model.kustomization_override, kustomization_in_git) {
        (Some(over), _) => over.clone(),
        (None, Some(existing)) if !existing.trim().is_empty() => existing.to_string(),
        (None, _) => default_kustomization(),
    };
    Ok(ExpectedFiles {
        components,
        sync: render_sync(&sync),
        kustomization,
    })
}

/// A manifest error as a diagnostic at the attribute it names; `url` and `branch`
/// belong to `git`.
pub fn locate(e: &ManifestError) -> Diagnostic {
    let d = Diagnostic::error("Invalid Attribute Value", tfplug::diag::render_chain(e));
    match e.option() {
        Some("url") => d.at(AttributePath::attr("git").at_attr("url")),
        Some("branch") => d.at(AttributePath::attr("git").at_attr("branch")),
        Some("tag") => d.at(AttributePath::attr("sync_tag")),
        Some("semver") => d.at(AttributePath::attr("sync_semver")),
        Some("commit") => d.at(AttributePath::attr("sync_commit")),
        Some(o) => d.at(AttributePath::attr(o)),
        None => d,
    }
}

type BaseCache = Mutex<BTreeMap<String, Arc<BaseManifests>>>;

static BASES: BaseCache = Mutex::new(BTreeMap::new());

fn cached(key: &str) -> Option<Arc<BaseManifests>> {
    BASES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
        .cloned()
}

fn remember(key: String, base: BaseManifests) -> Arc<BaseManifests> {
    let base = Arc::new(base);
    BASES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, base.clone());
    base
}

/// Whether the base manifests come from the network (a release download).
pub fn needs_download(model: &BootstrapModel) -> bool {
    match &model.manifests_path {
        Some(p) if !p.starts_with("http") => false,
        _ => !(model.embedded_manifests || model.version == EMBEDDED_VERSION),
    }
}

/// The base manifests for a model: a local directory (`manifests_path`), the built-in
/// set (`embedded_manifests`, or `version` equal to the built-in version, so that
/// plans need no network), or a release download, each loaded once per process.
pub async fn load_base(model: &BootstrapModel) -> Result<Arc<BaseManifests>, Diagnostic> {
    let source = |e: &ManifestError, attr: &str| {
        Diagnostic::from_error("Failed To Load Flux Manifests", e).at(AttributePath::attr(attr))
    };
    if let Some(path) = model
        .manifests_path
        .as_deref()
        .filter(|p| !p.starts_with("http"))
    {
        let key = format!("path:{path}");
        if let Some(b) = cached(&key) {
            return Ok(b);
        }
        let base =
            BaseManifests::from_path(Path::new(path)).map_err(|e| source(&e, "manifests_path"))?;
        return Ok(remember(key, base));
    }
    if !needs_download(model) {
        if let Some(b) = cached("embedded") {
            return Ok(b);
        }
        let base = BaseManifests::embedded().map_err(|e| source(&e, "embedded_manifests"))?;
        return Ok(remember("embedded".to_string(), base));
    }
    let mut spec = DownloadSpec::new(model.version.clone());
    spec.base_url = model
        .manifests_path
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let key = spec.url();
    // `latest` moves; only pinned versions are cached.
    if model.version.starts_with('v') {
        if let Some(b) = cached(&key) {
            return Ok(b);
        }
    }
    let base = download_manifests(&spec)
        .await
        .map_err(|e| source(&e, "version"))?;
    Ok(remember(key, base))
}
