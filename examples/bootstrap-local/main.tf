# A complete bootstrap against this project's test environment (tests/acceptance/env),
# applied by the acceptance tests:
#
#   eval "$(tests/acceptance/env/up)"
#   eval "$(tests/acceptance/env/new-repo fleet)"
#   terraform apply \
#     -var kubeconfig="$KUBECONFIG" \
#     -var repository_url="$FLUX_TEST_GIT_REPO_HTTP_URL" \
#     -var git_username="$FLUX_TEST_GIT_USERNAME" \
#     -var git_password="$FLUX_TEST_GIT_PASSWORD"
terraform {
  required_providers {
    flux = {
      source = "fluxcd/flux"
    }
  }
}

variable "kubeconfig" {
  type = string
}

variable "repository_url" {
  type = string
}

variable "git_username" {
  type = string
}

variable "git_password" {
  type      = string
  sensitive = true
}

provider "flux" {
  kubernetes = {
    config_path = var.kubeconfig
  }
  git = {
    url = var.repository_url
    http = {
      username            = var.git_username
      password            = var.git_password
      allow_insecure_http = true # the environment's git server speaks plain http on loopback
    }
  }
}

resource "flux_bootstrap_git" "this" {
  path       = "clusters/local"
  components = ["source-controller", "kustomize-controller"]

  # On destroy, remove what Flux deployed instead of orphaning it.
  drain_workloads = true
}

output "files" {
  value = keys(flux_bootstrap_git.this.repository_files)
}
