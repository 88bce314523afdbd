//! `flux create ... --export` against the file this library commits for git
//! delivery ([`ObjectSpec::to_yaml`]) with the same settings, for every kind, and
//! `flux create secret git --export` against the git credentials Secret's data.

use flux_core::cluster::{git_secret_data, GitCredentials};
use flux_core::manifests::parse_documents;
use flux_core::objects::kinds::{
    ALERT, BUCKET, GIT_REPOSITORY, HELM_RELEASE, HELM_REPOSITORY, IMAGE_POLICY, IMAGE_REPOSITORY,
    IMAGE_UPDATE_AUTOMATION, KUSTOMIZATION, NOTIFICATION_PROVIDER, OCI_REPOSITORY, RECEIVER,
};
use flux_core::objects::{KindDef, ObjectSpec};
use flux_core::Sensitive;
use serde_json::{json, Value};

use super::{golden, Case};

/// A case: the `flux create` arguments (the name and `--export` are added) and the
/// same object as this library's kind and spec.
struct ObjectCase {
    name: &'static str,
    create: &'static [&'static str],
    kind: &'static KindDef,
    object: &'static str,
    spec: Value,
}

fn object_cases() -> Vec<ObjectCase> {
    vec![
        ObjectCase {
            name: "source-git-branch",
            create: &[
                "source",
                "git",
                "podinfo",
                "--url=https://github.com/stefanprodan/podinfo",
                "--branch=main",
            ],
            kind: &GIT_REPOSITORY,
            object: "podinfo",
            spec: json!({"url": "https://github.com/stefanprodan/podinfo", "ref": {"branch": "main"}}),
        },
        ObjectCase {
            name: "source-git-tag-secret-ignore",
            create: &[
                "source",
                "git",
                "app",
                "--url=ssh://git@github.com/org/repo",
                "--tag=v1.0.0",
                "--secret-ref=git-creds",
                "--ignore-paths=/docs,/*.md",
                "--interval=5m",
            ],
            kind: &GIT_REPOSITORY,
            object: "app",
            spec: json!({"url": "ssh://git@github.com/org/repo", "ref": {"tag": "v1.0.0"},
                         "secretRef": {"name": "git-creds"}, "ignore": "/docs\n/*.md",
                         "interval": "5m0s"}),
        },
        ObjectCase {
            name: "source-git-semver-submodules",
            create: &[
                "source",
                "git",
                "charts",
                "--url=https://example.com/charts.git",
                "--tag-semver=>=1.0.0 <2.0.0",
                "--recurse-submodules",
            ],
            kind: &GIT_REPOSITORY,
            object: "charts",
            spec: json!({"url": "https://example.com/charts.git",
                         "ref": {"semver": ">=1.0.0 <2.0.0"}, "recurseSubmodules": true}),
        },
        ObjectCase {
            name: "source-oci",
            create: &[
                "source",
                "oci",
                "podinfo",
                "--url=oci://ghcr.io/stefanprodan/manifests/podinfo",
                "--tag=6.6.0",
            ],
            kind: &OCI_REPOSITORY,
            object: "podinfo",
            spec: json!({"url": "oci://ghcr.io/stefanprodan/manifests/podinfo", "ref": {"tag": "6.6.0"}}),
        },
        ObjectCase {
            name: "source-helm",
            create: &[
                "source",
                "helm",
                "podinfo",
                "--url=https://stefanprodan.github.io/podinfo",
            ],
            kind: &HELM_REPOSITORY,
            object: "podinfo",
            spec: json!({"url": "https://stefanprodan.github.io/podinfo"}),
        },
        ObjectCase {
            name: "source-helm-oci",
            create: &[
                "source",
                "helm",
                "charts",
                "--url=oci://ghcr.io/stefanprodan/charts",
            ],
            kind: &HELM_REPOSITORY,
            object: "charts",
            spec: json!({"url": "oci://ghcr.io/stefanprodan/charts", "type": "oci"}),
        },
        ObjectCase {
            name: "source-bucket",
            create: &[
                "source",
                "bucket",
                "minio",
                "--bucket-name=podinfo",
                "--endpoint=minio.example.com:9000",
                "--insecure=true",
            ],
            kind: &BUCKET,
            object: "minio",
            spec: json!({"bucketName": "podinfo", "endpoint": "minio.example.com:9000", "insecure": true}),
        },
        ObjectCase {
            name: "kustomization",
            create: &[
                "kustomization",
                "apps",
                "--source=GitRepository/podinfo",
                "--path=./kustomize",
                "--prune=true",
                "--interval=1m",
            ],
            kind: &KUSTOMIZATION,
            object: "apps",
            spec: json!({"sourceRef": {"kind": "GitRepository", "name": "podinfo"},
                         "path": "./kustomize", "prune": true, "interval": "1m0s"}),
        },
        ObjectCase {
            name: "kustomization-every-flag",
            create: &[
                "kustomization",
                "infra",
                "--source=GitRepository/flux-system.flux-system",
                "--path=./infra",
                "--prune=true",
                "--interval=10m",
                "--target-namespace=infra",
                "--wait=true",
                "--depends-on=crds",
                "--health-check-timeout=3m",
                "--retry-interval=2m",
            ],
            kind: &KUSTOMIZATION,
            object: "infra",
            spec: json!({"sourceRef": {"kind": "GitRepository", "name": "flux-system", "namespace": "flux-system"},
                         "path": "./infra", "prune": true, "interval": "10m0s",
                         "targetNamespace": "infra", "wait": true, "dependsOn": [{"name": "crds"}],
                         "timeout": "3m0s", "retryInterval": "2m0s"}),
        },
        ObjectCase {
            name: "kustomization-oci-no-prune",
            create: &[
                "kustomization",
                "plain",
                "--source=OCIRepository/podinfo",
                "--path=./",
                "--interval=1m",
            ],
            kind: &KUSTOMIZATION,
            object: "plain",
            spec: json!({"sourceRef": {"kind": "OCIRepository", "name": "podinfo"},
                         "path": "./", "prune": false, "interval": "1m0s"}),
        },
        ObjectCase {
            name: "helmrelease-target-namespace",
            create: &[
                "helmrelease",
                "podinfo",
                "--source=HelmRepository/podinfo",
                "--chart=podinfo",
                "--target-namespace=apps",
                "--interval=1m",
            ],
            kind: &HELM_RELEASE,
            object: "podinfo",
            spec: json!({"chart": {"spec": {"chart": "podinfo",
                                            "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
                         "targetNamespace": "apps", "interval": "1m0s"}),
        },
        ObjectCase {
            name: "helmrelease-every-flag",
            create: &[
                "helmrelease",
                "web",
                "--source=HelmRepository/charts.flux-system",
                "--chart=podinfo",
                "--chart-version=>=6.0.0",
                "--release-name=web",
                "--create-target-namespace",
                "--target-namespace=web",
                "--interval=1m",
            ],
            kind: &HELM_RELEASE,
            object: "web",
            spec: json!({"chart": {"spec": {"chart": "podinfo", "version": ">=6.0.0",
                                            "sourceRef": {"kind": "HelmRepository", "name": "charts",
                                                          "namespace": "flux-system"}}},
                         "releaseName": "web", "install": {"createNamespace": true},
                         "targetNamespace": "web", "interval": "1m0s"}),
        },
        ObjectCase {
            name: "alert-provider-slack",
            create: &[
                "alert-provider",
                "slack",
                "--type=slack",
                "--channel=general",
            ],
            kind: &NOTIFICATION_PROVIDER,
            object: "slack",
            spec: json!({"type": "slack", "channel": "general"}),
        },
        ObjectCase {
            name: "alert-provider-generic",
            create: &[
                "alert-provider",
                "hook",
                "--type=generic",
                "--address=https://example.com/hook",
            ],
            kind: &NOTIFICATION_PROVIDER,
            object: "hook",
            spec: json!({"type": "generic", "address": "https://example.com/hook"}),
        },
        ObjectCase {
            name: "alert",
            create: &[
                "alert",
                "on-call",
                "--provider-ref=slack",
                "--event-source=Kustomization/*",
            ],
            kind: &ALERT,
            object: "on-call",
            spec: json!({"providerRef": {"name": "slack"},
                         "eventSources": [{"kind": "Kustomization", "name": "*"}]}),
        },
        // A value equal to Flux's default is left out, like a flag not given: the
        // CLI writes `eventSeverity: info` only when the flag says so, and a
        // Terraform attribute at its default cannot tell the two apart.
        ObjectCase {
            name: "alert-errors",
            create: &[
                "alert",
                "errors",
                "--provider-ref=slack",
                "--event-source=HelmRelease/*",
                "--event-severity=error",
            ],
            kind: &ALERT,
            object: "errors",
            spec: json!({"providerRef": {"name": "slack"}, "eventSeverity": "error",
                         "eventSources": [{"kind": "HelmRelease", "name": "*"}]}),
        },
        ObjectCase {
            name: "receiver",
            create: &[
                "receiver",
                "webhook",
                "--type=generic",
                "--secret-ref=webhook-token",
                "--resource=GitRepository/webapp",
            ],
            kind: &RECEIVER,
            object: "webhook",
            spec: json!({"type": "generic", "secretRef": {"name": "webhook-token"},
                         "resources": [{"kind": "GitRepository", "name": "webapp"}]}),
        },
        ObjectCase {
            name: "image-repository",
            create: &[
                "image",
                "repository",
                "podinfo",
                "--image=ghcr.io/stefanprodan/podinfo",
                "--interval=1m",
            ],
            kind: &IMAGE_REPOSITORY,
            object: "podinfo",
            spec: json!({"image": "ghcr.io/stefanprodan/podinfo", "interval": "1m0s"}),
        },
        ObjectCase {
            name: "image-policy-semver",
            create: &[
                "image",
                "policy",
                "podinfo",
                "--image-ref=podinfo",
                "--select-semver=5.0.x",
            ],
            kind: &IMAGE_POLICY,
            object: "podinfo",
            spec: json!({"imageRepositoryRef": {"name": "podinfo"}, "policy": {"semver": {"range": "5.0.x"}}}),
        },
        ObjectCase {
            name: "image-update",
            create: &[
                "image",
                "update",
                "flux-system",
                "--git-repo-ref=flux-system",
                "--git-repo-path=./clusters/my-cluster",
                "--checkout-branch=main",
                "--push-branch=main",
                "--author-name=fluxcdbot",
                "--author-email=fluxcdbot@users.noreply.github.com",
                "--interval=1m",
            ],
            kind: &IMAGE_UPDATE_AUTOMATION,
            object: "flux-system",
            spec: json!({"sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                         "git": {"checkout": {"ref": {"branch": "main"}},
                                 "commit": {"author": {"name": "fluxcdbot",
                                                       "email": "fluxcdbot@users.noreply.github.com"}},
                                 "push": {"branch": "main"}},
                         "update": {"path": "./clusters/my-cluster"}, "interval": "1m0s"}),
        },
    ]
}

/// The CLI invocations: every object case, and the git credentials Secret.
pub fn cli_cases() -> Vec<Case> {
    let mut cases: Vec<Case> = object_cases()
        .into_iter()
        .map(|c| {
            let mut args = vec!["create".to_string()];
            args.extend(c.create.iter().map(|s| s.to_string()));
            args.push("--export".into());
            Case { name: c.name, args }
        })
        .collect();
    cases.push(Case {
        name: "secret-git-basic-auth",
        args: [
            "create",
            "secret",
            "git",
            "flux-system",
            "--url=https://example.com/repo.git",
            "--username=git-user",
            "--password=git-pass",
            "--export",
        ]
        .map(String::from)
        .to_vec(),
    });
    cases
}

#[test]
fn git_delivery_files_are_what_flux_create_exports() {
    let cases = object_cases();
    let kinds: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.kind.kind).collect();
    assert_eq!(kinds.len(), 12, "every kind has a case: {kinds:?}");
    for case in cases {
        let spec = ObjectSpec::new(
            case.kind,
            "flux-system",
            case.object,
            case.spec.as_object().unwrap().clone(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let ours = format!("---\n{}", spec.to_yaml());
        assert_eq!(ours, golden("objects", case.name), "{}", case.name);
        // The file reads back as what was asked.
        let file = parse_documents(&ours).unwrap().remove(0);
        assert!(spec.is_satisfied_by(&file), "{}", case.name);
    }
}

#[test]
fn git_credentials_secret_holds_what_flux_create_secret_git_exports() {
    let theirs = parse_documents(&golden("objects", "secret-git-basic-auth"))
        .unwrap()
        .remove(0);
    let data = git_secret_data(&GitCredentials::Http {
        username: Some("git-user".into()),
        password: Some(Sensitive::new("git-pass".to_string())),
        bearer_token: None,
        ca_certificate: None,
    });
    let ours: serde_json::Map<String, Value> = data
        .keys()
        .map(|k| {
            let v = String::from_utf8(data.get(k).unwrap().to_vec()).unwrap();
            (k.to_string(), Value::from(v))
        })
        .collect();
    assert_eq!(Value::Object(ours), theirs["stringData"]);
}
