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
    url = "ssh://git@github.com/example/fleet.git"
    ssh = {
      username    = "git"
      private_key = var.deploy_key
      # Pin the server's host key instead of trusting the first scan.
      known_hosts = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    }
  }
}

variable "deploy_key" {
  type      = string
  sensitive = true
}

resource "flux_bootstrap_git" "this" {
  path               = "clusters/production"
  embedded_manifests = true
  components_extra   = ["image-reflector-controller", "image-automation-controller"]
}
