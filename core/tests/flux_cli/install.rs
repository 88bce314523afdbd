//! `flux install --export` against [`render_install`] for the option combinations a
//! bootstrap can ask for.

use flux_core::manifests::{
    parse_documents, render_install, BaseManifests, InstallOptions, InstallSpec,
};

use super::{golden, Case};

/// A case: its name, the `flux install` flags and the same settings as options.
struct InstallCase {
    name: &'static str,
    flags: &'static [&'static str],
    options: InstallOptions,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn install_cases() -> Vec<InstallCase> {
    let d = InstallOptions::default;
    let all_extras = strings(&[
        "image-reflector-controller",
        "image-automation-controller",
        "source-watcher",
    ]);
    vec![
        InstallCase { name: "default", flags: &[], options: d() },
        InstallCase {
            name: "namespace",
            flags: &["--namespace=gitops-system"],
            options: InstallOptions { namespace: "gitops-system".into(), ..d() },
        },
        InstallCase {
            name: "minimal-components",
            flags: &["--components=source-controller,kustomize-controller"],
            options: InstallOptions {
                components: strings(&["source-controller", "kustomize-controller"]),
                ..d()
            },
        },
        InstallCase {
            name: "all-extras",
            flags: &["--components-extra=image-reflector-controller,image-automation-controller,source-watcher"],
            options: InstallOptions { components_extra: all_extras.clone(), ..d() },
        },
        InstallCase {
            name: "source-watcher",
            flags: &[
                "--components=source-controller,kustomize-controller,helm-controller",
                "--components-extra=source-watcher",
            ],
            options: InstallOptions {
                components: strings(&["source-controller", "kustomize-controller", "helm-controller"]),
                components_extra: strings(&["source-watcher"]),
                ..d()
            },
        },
        InstallCase {
            name: "registry",
            flags: &["--registry=registry.example.com:5000/mirror"],
            options: InstallOptions { registry: "registry.example.com:5000/mirror".into(), ..d() },
        },
        InstallCase {
            name: "image-pull-secret",
            flags: &["--image-pull-secret=regcred"],
            options: InstallOptions { image_pull_secret: Some("regcred".into()), ..d() },
        },
        InstallCase {
            name: "tolerations",
            flags: &["--toleration-keys=dedicated,flux.io_infra"],
            options: InstallOptions {
                toleration_keys: strings(&["dedicated", "flux.io_infra"]),
                ..d()
            },
        },
        InstallCase {
            name: "single-namespace",
            flags: &["--watch-all-namespaces=false"],
            options: InstallOptions { watch_all_namespaces: false, ..d() },
        },
        InstallCase {
            name: "log-level",
            flags: &["--log-level=debug"],
            options: InstallOptions { log_level: "debug".into(), ..d() },
        },
        InstallCase {
            name: "cluster-domain",
            flags: &["--cluster-domain=k8s.internal"],
            options: InstallOptions { cluster_domain: "k8s.internal".into(), ..d() },
        },
        InstallCase {
            name: "no-network-policy",
            flags: &["--network-policy=false"],
            options: InstallOptions { network_policy: false, ..d() },
        },
        InstallCase {
            name: "everything",
            flags: &[
                "--namespace=flux",
                "--components=source-controller,kustomize-controller,notification-controller",
                "--components-extra=image-reflector-controller,image-automation-controller,source-watcher",
                "--registry=mirror.internal/fluxcd",
                "--image-pull-secret=mirror-pull",
                "--toleration-keys=infra",
                "--watch-all-namespaces=false",
                "--network-policy=false",
                "--log-level=error",
                "--cluster-domain=corp.local",
            ],
            options: InstallOptions {
                namespace: "flux".into(),
                components: strings(&[
                    "source-controller",
                    "kustomize-controller",
                    "notification-controller",
                ]),
                components_extra: all_extras,
                registry: "mirror.internal/fluxcd".into(),
                image_pull_secret: Some("mirror-pull".into()),
                toleration_keys: strings(&["infra"]),
                watch_all_namespaces: false,
                network_policy: false,
                log_level: "error".into(),
                cluster_domain: "corp.local".into(),
                ..d()
            },
        },
    ]
}

/// The CLI invocations of the install cases.
pub fn cases() -> Vec<Case> {
    install_cases()
        .into_iter()
        .map(|c| {
            let mut args = strings(&["install", "--export"]);
            args.extend(strings(c.flags));
            Case { name: c.name, args }
        })
        .collect()
}

#[test]
fn render_install_is_what_flux_install_exports() {
    let base = BaseManifests::embedded().unwrap();
    let cases = install_cases();
    assert!(cases.len() >= 12);
    for case in cases {
        let spec = InstallSpec::from_options(case.options)
            .unwrap()
            .in_cli_order();
        let ours = render_install(&spec, &base).unwrap();
        let theirs = golden("install", case.name);
        let objects = parse_documents(&theirs).unwrap();
        assert_eq!(
            ours.objects.len(),
            objects.len(),
            "{}: object count",
            case.name
        );
        for (a, b) in ours.objects.iter().zip(&objects) {
            assert_eq!(a, b, "{}: {} differs", case.name, b["metadata"]["name"]);
        }
        assert_eq!(ours.text, theirs, "{}: bytes differ from Flux's", case.name);
    }
}
