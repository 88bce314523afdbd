# Bootstraps Flux into a cluster from a git repository over HTTPS.
# `examples/quickstart/run` applies it against the local test environment; against a
# real cluster, set the variables to your kubeconfig and repository.

terraform {
  required_providers {
    flux = {
      source = "fluxcd/flux"
    }
  }
}

variable "kubeconfig" {
  description = "Path of the kubeconfig of the cluster to bootstrap."
  type        = string
}

variable "git_url" {
  description = "HTTPS URL of the repository Flux syncs from (it may be empty)."
  type        = string
}

variable "git_username" {
  type = string
}

variable "git_password" {
  type      = string
  sensitive = true
}

variable "git_ca_file" {
  description = "PEM file of the CA that signed the git server's certificate; null for a public CA."
  type        = string
  default     = null
}

provider "flux" {
  kubernetes = {
    config_path = var.kubeconfig
  }
  git = {
    url = var.git_url
    http = {
      username              = var.git_username
      password              = var.git_password
      certificate_authority = var.git_ca_file == null ? null : file(var.git_ca_file)
    }
  }
}

# Commits Flux's install and sync manifests to clusters/quickstart/flux-system,
# creates the flux-system namespace and git credentials Secret, applies the
# manifests and waits until Flux has reconciled itself from git.
resource "flux_bootstrap_git" "this" {
  path               = "clusters/quickstart"
  embedded_manifests = true
}

output "flux_namespace" {
  value = flux_bootstrap_git.this.id
}
