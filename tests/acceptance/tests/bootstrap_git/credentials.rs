//! Credentials rotation over HTTPS: a changed CA bundle reaches the in-cluster Secret.

use acceptance::fixture::{read_var_file, repo, var};
use acceptance::hcl::{bootstrap_resource, hcl, required_providers};
use acceptance::kube::kubectl;
use acceptance::plan::{assert_plan_empty, assert_plan_shows, DestroyOnPanic};
use acceptance::terraform::Terraform;

use super::serial;

fn secret_value(key: &str) -> String {
    kubectl(&[
        "-n",
        "flux-system",
        "get",
        "secret",
        "flux-system",
        "-o",
        &format!("go-template={{{{with index .data \"{key}\"}}}}{{{{base64decode .}}}}{{{{end}}}}"),
    ])
}

/// TPF #596, #566: rotating `git.http.certificate_authority` (here to a bundle that
/// adds a second CA) is planned as drift and rewrites `ca.crt`; the credentials keys
/// are the reference's.
#[test]
fn bootstrap_git_https_ca_rotation_reaches_the_secret() {
    let _turn = serial();
    let tf = Terraform::latest();
    let urls = repo("bootstrap-https", false);
    let git_ca = read_var_file("FLUX_TEST_GIT_CA_FILE");
    let bundle = format!("{git_ca}{}", read_var_file("FLUX_TEST_KUBE_CA_FILE"));
    let main = |ca: &str| {
        format!(
            "{}provider \"flux\" {{\n  kubernetes = {{ config_path = {} }}\n  git = {{\n    url  = {}\n    http = {{\n      username              = {}\n      password              = {}\n      certificate_authority = {}\n    }}\n  }}\n}}\n{}",
            required_providers(),
            hcl(&var("KUBECONFIG")),
            hcl(&urls.https),
            hcl(&var("FLUX_TEST_GIT_USERNAME")),
            hcl(&var("FLUX_TEST_GIT_PASSWORD")),
            hcl(ca),
            bootstrap_resource(
                &tf,
                "  path       = \"clusters/https\"\n  components = [\"source-controller\", \"kustomize-controller\"]"
            )
        )
    };
    let wd = tf.workdir("bootstrap-https", &main(&git_ca));
    let _cleanup = DestroyOnPanic(&wd);
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(secret_value("ca.crt"), git_ca);
    assert_eq!(secret_value("username"), var("FLUX_TEST_GIT_USERNAME"));
    assert_eq!(secret_value("password"), var("FLUX_TEST_GIT_PASSWORD"));

    wd.write_main(&main(&bundle));
    assert_plan_shows(&wd, &["holds other credentials"]);
    wd.apply().success();
    assert_plan_empty(&wd);
    assert_eq!(secret_value("ca.crt"), bundle);
    wd.destroy().success();
}
