//! The `flux_bootstrap_git` schema: every attribute, default and replacement rule of
//! the reference resource, plus the per-resource `kubernetes` and `git` overrides.

use flux_core::manifests::EMBEDDED_VERSION;
use tfplug::{Attribute, PlanModifier, Schema, Type, Value};

use crate::config::{git, kubernetes};

/// The default `components`.
pub const DEFAULT_COMPONENTS: [&str; 4] = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
];
/// The allowed `components_extra`.
pub const EXTRA_COMPONENTS: [&str; 3] = [
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];
/// Default namespace, also the id and the name of the root objects.
pub const DEFAULT_NAMESPACE: &str = "flux-system";
/// Default git credentials Secret name.
pub const DEFAULT_SECRET_NAME: &str = "flux-system";
/// Default GitRepository interval.
pub const DEFAULT_INTERVAL: &str = "1m0s";
/// Default image registry.
pub const DEFAULT_REGISTRY: &str = "ghcr.io/fluxcd";
/// Default cluster DNS domain.
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";
/// Default log level.
pub const DEFAULT_LOG_LEVEL: &str = "info";

/// The resource schema.
pub fn schema() -> Schema {
    let strings = |items: &[&str]| Value::set(items.iter().map(|s| Value::from(*s)));
    Schema::new(vec![
        Attribute::string("id")
            .computed()
            .modify(PlanModifier::UseStateForUnknown)
            .description("The namespace Flux is installed in."),
        Attribute::list("cluster_drift", Type::String)
            .computed()
            .description("What the last read found changed in the cluster by hand, one line per finding (a missing object, a controller image, the sync ref, the credentials); empty when in sync. A plan shows the lines it repairs, and the next apply repairs them. An extension of the reference schema."),
        Attribute::string("cluster_domain")
            .default(DEFAULT_CLUSTER_DOMAIN)
            .description("The cluster's DNS domain, used in the controllers' event and storage addresses. Defaults to `cluster.local`."),
        Attribute::set("components", Type::String)
            .default(strings(&DEFAULT_COMPONENTS))
            .description("Toolkit components to install; must include `source-controller` and `kustomize-controller`. Defaults to all four."),
        Attribute::set("components_extra", Type::String)
            .optional()
            .description("Extra components: `image-reflector-controller`, `image-automation-controller`, `source-watcher`."),
        Attribute::bool("delete_git_manifests")
            .default(true)
            .description("On destroy, remove the Flux manifests from git (commit \"Uninstall Flux\"). Defaults to `true`."),
        Attribute::bool("disable_secret_creation")
            .optional()
            .description("Do not create the git credentials Secret; an existing Secret named `secret_name` is used."),
        Attribute::bool("drain_workloads")
            .default(false)
            .description("On destroy, first delete what Flux deployed: the root Kustomization is suspended, every other Kustomization and every HelmRelease is deleted and their controllers prune or uninstall what they applied, then Flux is uninstalled. Defaults to `false`, the reference's behaviour (as `flux uninstall`), which orphans those workloads. Like the other delete-only attributes, it takes effect once applied (destroy reads it from state). An extension of the reference schema."),
        Attribute::bool("embedded_manifests")
            .default(false)
            .description("Use the Flux manifests built into the provider instead of downloading the release of `version`. The provider always uses them when `version` is the embedded version, so plans work offline."),
        Attribute::string("image_pull_secret")
            .optional()
            .description("Name of a Secret every controller Deployment pulls its image with (RFC 1123 subdomain)."),
        Attribute::string("interval")
            .default(DEFAULT_INTERVAL)
            .description("Interval of the root GitRepository (Go duration, e.g. `1m0s`). Defaults to `1m0s`."),
        Attribute::bool("keep_namespace")
            .default(false)
            .description("On destroy, keep the namespace. Defaults to `false`."),
        Attribute::string("kustomization_override")
            .optional()
            .description("A kustomize Kustomization written verbatim as `kustomization.yaml`; its `resources` must list `gotk-components.yaml` and `gotk-sync.yaml`. When unset, edits made in git to the generated `kustomization.yaml` are kept."),
        Attribute::string("log_level")
            .default(DEFAULT_LOG_LEVEL)
            .description("Controller log level: `info`, `debug` or `error`. Defaults to `info`."),
        Attribute::string("manifests_path")
            .optional()
            .deprecated()
            .description("Deprecated: use `embedded_manifests`. Base URL of the Flux release downloads, or a local directory of base manifests."),
        Attribute::string("namespace")
            .default(DEFAULT_NAMESPACE)
            .modify(PlanModifier::RequiresReplace)
            .description("Namespace Flux is installed in, and name of the root GitRepository and Kustomization (RFC 1123 label). Changing it replaces the resource. Defaults to `flux-system`."),
        Attribute::bool("network_policy")
            .default(true)
            .description("Install the NetworkPolicies that restrict traffic to the controllers. Defaults to `true`."),
        Attribute::string("path")
            .optional()
            .description("Repository path the root Kustomization syncs; the manifests go to `<path>/<namespace>/`."),
        Attribute::bool("recurse_submodules")
            .optional()
            .description("Make the GitRepository clone submodules."),
        Attribute::string("registry")
            .default(DEFAULT_REGISTRY)
            .description("Container registry the controller images are pulled from. Defaults to `ghcr.io/fluxcd`."),
        Attribute::string("registry_credentials")
            .optional()
            .sensitive()
            .description("`user:password` for the image pull Secret `image_pull_secret` (split at the first `:`, so the password may contain `:`). Requires `image_pull_secret`."),
        Attribute::map("repository_files", Type::String)
            .computed()
            .description("The files Flux manages in git, by path (`<path>/<namespace>/<file>`), as the last refresh read them: `(known after apply)` on create, unchanged by an update until the next refresh. `repository_files_summary` shows what a plan commits."),
        Attribute::map("repository_files_summary", Type::String)
            .computed()
            .description("A few lines for each file of `repository_files`: a digest and line count, the Flux version, the object kinds and the container images. Known at plan, so a plan says what a commit will change (the files' content is never planned: Terraform would print it in full), and a file edited in git shows as a changed digest. An extension of the reference schema."),
        Attribute::string("secret_name")
            .default(DEFAULT_SECRET_NAME)
            .modify(PlanModifier::RequiresReplace)
            .description("Name of the git credentials Secret (RFC 1123 subdomain). Changing it replaces the resource. Defaults to `flux-system`."),
        Attribute::string("sync_commit")
            .optional()
            .description("Make the root GitRepository follow this commit (full SHA-1 or SHA-256 id) instead of the branch. The manifests are still committed to the branch; the commit must hold them at `path` (its `gotk-sync.yaml` may follow the branch: a commit wins over a branch). A change of ref finishes once the root Kustomization has applied the commit. Conflicts with `sync_tag` and `sync_semver`. An extension of the reference schema."),
        Attribute::string("sync_semver")
            .optional()
            .description("Make the root GitRepository follow the newest tag in this semver range (e.g. `>=1.0.0 <2.0.0`) instead of the branch. Tag a commit that holds the sync manifests with this ref: the root Kustomization applies `gotk-sync.yaml` from the tag, and an apply that finds it following another ref fails here. A change of ref finishes once the root Kustomization has applied the newest matching tag. Conflicts with `sync_tag` and `sync_commit`. An extension of the reference schema."),
        Attribute::string("sync_tag")
            .optional()
            .description("Make the root GitRepository follow this tag instead of the branch. Tag a commit that holds the sync manifests with this ref: the root Kustomization applies `gotk-sync.yaml` from the tag, and an apply that finds it following another ref fails here. A change of ref finishes once the root Kustomization has applied the tag. Conflicts with `sync_semver` and `sync_commit`. An extension of the reference schema."),
        // Optional only, as the reference has it: a computed attribute would differ from
        // its schema. Under Terraform 1.0.3 (which crashes on an omitted single nested
        // attribute) set `timeouts = {}`.
        Attribute::single_nested(
            "timeouts",
            vec![
                Attribute::string("create")
                    .optional()
                    .description("Create timeout (Go duration). Defaults to `15m`."),
                Attribute::string("read")
                    .optional()
                    .description("Read timeout. Defaults to `15m`."),
                Attribute::string("update")
                    .optional()
                    .description("Update timeout. Defaults to `15m`."),
                Attribute::string("delete")
                    .optional()
                    .description("Delete timeout. Defaults to `5m`."),
            ],
        )
        .optional()
        .description("Operation timeouts."),
        Attribute::set("toleration_keys", Type::String)
            .optional()
            .description("Taint keys every controller tolerates (`operator: Exists`)."),
        Attribute::string("version")
            .default(EMBEDDED_VERSION)
            .description(format!("Flux version: `latest` or `vX.Y.Z`. Defaults to `{EMBEDDED_VERSION}`, the version built into the provider (the reference defaulted to v2.8.5). It sets the manifests, the header, the `app.kubernetes.io/version` labels and the commit message.")),
        Attribute::bool("watch_all_namespaces")
            .default(true)
            .description("Let the controllers watch every namespace. Defaults to `true`."),
        kubernetes::attribute("Cluster connection for this resource, overriding the provider's `kubernetes` (so that `for_each` over clusters works without provider aliases).").input_object(),
        git::attribute("Repository for this resource, overriding the provider's `git`.").input_object(),
    ])
    .description("Bootstraps Flux into a cluster from a git repository, as `flux bootstrap git` does: commits the manifests, installs the controllers and waits until Flux syncs.")
}
