//! Bucket sources against a real S3-compatible server (versitygw):
//! source-controller fetches the bucket with the credentials the resource wrote,
//! kustomize-controller applies it, and a changed object is a new revision.
#![cfg(test)]

use std::time::Duration;

use acceptance::fixture::unique;
use acceptance::hcl::{hcl, provider};
use acceptance::kube::{apply_flux_crds, configmap, jsonpath, kubectl};
use acceptance::plan::assert_plan_empty;
use acceptance::poll::wait_for;
use acceptance::s3::S3;
use acceptance::terraform::Terraform;

#[test]
fn bucket_source_fetches_from_an_s3_server_and_follows_its_objects() {
    let _turn = acceptance::env::cluster_turn();
    apply_flux_crds(&["source-controller.yaml", "kustomize-controller.yaml"]);
    let ns = unique("bucket");
    kubectl(&["create", "namespace", &ns]);
    let s3 = S3::from_env();
    s3.create_bucket(&ns);
    let write_object = |value: &str| {
        s3.put_object(
            &ns,
            "configmap.yaml",
            configmap(&ns, "from-s3", value).as_bytes(),
        );
    };
    write_object("v1");

    let main = format!(
        r#"{header}
resource "flux_source_bucket" "objects" {{
  name        = "objects"
  namespace   = {ns}
  delivery    = "cluster"
  bucket_name = {ns}
  endpoint    = {endpoint}
  insecure    = true
  interval    = "10s"
  secret_ref  = "s3-keys"
  secret_data = {{ accesskey = {access}, secretkey = {secret} }}
}}
resource "flux_kustomization" "objects" {{
  name       = "objects"
  namespace  = {ns}
  delivery   = "cluster"
  prune      = true
  interval   = "1m"
  source_ref = {{ kind = "Bucket", name = flux_source_bucket.objects.name }}
}}
"#,
        header = provider(None),
        ns = hcl(&ns),
        endpoint = hcl(&s3.endpoint),
        access = hcl(&s3.access_key),
        secret = hcl(&s3.secret_key),
    );
    let tf = Terraform::latest();
    let wd = tf.workdir("bucket-source", &main);
    wd.apply().success();
    let value = || jsonpath("configmap", &ns, "from-s3", "{.data.value}");
    assert_eq!(
        value().as_deref(),
        Some("v1"),
        "apply waited for the Kustomization"
    );
    let revision = || {
        jsonpath(
            "buckets.source.toolkit.fluxcd.io",
            &ns,
            "objects",
            "{.status.artifact.revision}",
        )
    };
    let first = revision().unwrap_or_default();
    assert!(first.starts_with("sha256:"), "{first}");
    assert_plan_empty(&wd);

    // A changed object is a new revision, applied without Terraform.
    write_object("v2");
    wait_for(Duration::from_secs(120), "ConfigMap from-s3 = v2", || {
        (value()? == "v2").then_some(())
    });
    assert_ne!(revision().unwrap_or_default(), first);
    assert_plan_empty(&wd);
    wd.destroy().success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]);
}
