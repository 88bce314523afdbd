terraform {
  required_providers {
    flux = {
      source = "fluxcd/flux"
    }
  }
}

provider "flux" {
  kubernetes = {
    config_path = "~/.kube/config"
  }
  git = {
    url = "ssh://git@github.com/example-org/fleet.git"
    ssh = {
      username    = "git"
      private_key = var.deploy_key
      known_hosts = var.github_known_hosts
    }
  }
}

variable "deploy_key" {
  type      = string
  sensitive = true
}

variable "github_known_hosts" {
  type = string
}
