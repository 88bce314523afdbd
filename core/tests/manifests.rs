//! Install renders: component order, object counts, base manifests from disk, and
//! located errors (`tests/flux_cli` compares the renders with the Flux CLI's).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken fixture"
)]

use std::path::PathBuf;

use flux_core::manifests::{
    render_install, BaseManifests, InstallOptions, InstallSpec, ManifestError,
};

/// The built-in release's per-component files.
fn release_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("flux-manifests/v2.9.4")
}

fn spec(options: InstallOptions) -> InstallSpec {
    InstallSpec::from_options(options).unwrap()
}

#[test]
fn render_install_reference_order_sorts_components_then_extras() {
    let base = BaseManifests::embedded().unwrap();
    let rendered = render_install(
        &spec(InstallOptions {
            components_extra: vec!["source-watcher".into(), "image-reflector-controller".into()],
            ..InstallOptions::default()
        }),
        &base,
    )
    .unwrap();
    assert!(rendered.text.contains(
        "# Components: helm-controller,kustomize-controller,notification-controller,source-controller,image-reflector-controller,source-watcher\n"
    ));
    let deployments: Vec<&str> = rendered
        .objects
        .iter()
        .filter(|o| o["kind"] == "Deployment")
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        deployments,
        [
            "helm-controller",
            "kustomize-controller",
            "notification-controller",
            "source-controller",
            "image-reflector-controller",
            "source-watcher"
        ]
    );
}

#[test]
fn render_install_all_seven_components_has_43_objects() {
    let base = BaseManifests::embedded().unwrap();
    let options = InstallOptions {
        components_extra: vec![
            "image-reflector-controller".into(),
            "image-automation-controller".into(),
            "source-watcher".into(),
        ],
        ..InstallOptions::default()
    };
    let rendered = render_install(&spec(options), &base).unwrap();
    assert_eq!(rendered.objects.len(), 43);
    let minimal = InstallOptions {
        components: vec!["source-controller".into(), "kustomize-controller".into()],
        components_extra: vec!["source-watcher".into()],
        network_policy: false,
        ..InstallOptions::default()
    };
    assert_eq!(
        render_install(&spec(minimal), &base).unwrap().objects.len(),
        23
    );
}

#[test]
fn base_manifests_from_dir_equals_embedded() {
    let from_dir = BaseManifests::from_path(&release_dir()).unwrap();
    let embedded = BaseManifests::embedded().unwrap();
    let s = spec(InstallOptions::default());
    assert_eq!(
        render_install(&s, &from_dir).unwrap().objects,
        render_install(&s, &embedded).unwrap().objects
    );
    assert_eq!(from_dir.version(), None);
}

#[test]
fn base_manifests_missing_component_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "source-controller.yaml",
        "kustomize-controller.yaml",
        "rbac.yaml",
        "policies.yaml",
    ] {
        std::fs::copy(release_dir().join(file), dir.path().join(file)).unwrap();
    }
    let base = BaseManifests::from_path(dir.path()).unwrap();
    let err = render_install(&spec(InstallOptions::default()), &base).unwrap_err();
    assert!(
        matches!(&err, ManifestError::MissingBaseFile { file } if file == "helm-controller.yaml"),
        "{err}"
    );
}

#[test]
fn install_spec_bad_inputs_each_name_their_option() {
    let cases: Vec<(InstallOptions, &str, &str)> = vec![
        (
            InstallOptions {
                components: vec![
                    "source-controller".into(),
                    "kustomize-controller".into(),
                    "flagger".into(),
                ],
                ..InstallOptions::default()
            },
            "components",
            "invalid components \"flagger\"",
        ),
        (
            InstallOptions {
                components: vec!["source-controller".into(), "helm-controller".into()],
                ..InstallOptions::default()
            },
            "components",
            "components must include kustomize-controller",
        ),
        (
            InstallOptions {
                components_extra: vec!["helm-controller".into()],
                ..InstallOptions::default()
            },
            "components_extra",
            "invalid components_extra",
        ),
        (
            InstallOptions {
                version: "2.9.4".into(),
                ..InstallOptions::default()
            },
            "version",
            "invalid version \"2.9.4\"",
        ),
        (
            InstallOptions {
                namespace: "Flux_System".into(),
                ..InstallOptions::default()
            },
            "namespace",
            "invalid namespace \"Flux_System\"",
        ),
        (
            InstallOptions {
                log_level: "trace".into(),
                ..InstallOptions::default()
            },
            "log_level",
            "invalid log_level",
        ),
        (
            InstallOptions {
                toleration_keys: vec!["bad key".into()],
                ..InstallOptions::default()
            },
            "toleration_keys",
            "invalid toleration_keys",
        ),
        (
            InstallOptions {
                image_pull_secret: Some("Bad".into()),
                ..InstallOptions::default()
            },
            "image_pull_secret",
            "invalid image_pull_secret",
        ),
        (
            InstallOptions {
                registry: "https://ghcr.io/x".into(),
                ..InstallOptions::default()
            },
            "registry",
            "invalid registry",
        ),
        (
            InstallOptions {
                cluster_domain: "bad domain".into(),
                ..InstallOptions::default()
            },
            "cluster_domain",
            "invalid cluster_domain",
        ),
    ];
    for (options, option, message) in cases {
        let errors = InstallSpec::from_options(options).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].option(), Some(option));
        assert!(errors[0].to_string().starts_with(message), "{}", errors[0]);
    }
}
