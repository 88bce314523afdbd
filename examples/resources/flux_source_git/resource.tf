variable "git_token" {
  type      = string
  sensitive = true
}

# A GitRepository committed next to the bootstrap (delivery defaults to "git"
# when the provider has a git configuration).
resource "flux_source_git" "podinfo" {
  name     = "podinfo"
  url      = "https://github.com/stefanprodan/podinfo"
  interval = "5m"
  ref = {
    branch = "master"
  }
}

# The same kind applied straight to the cluster, with credentials that only go
# to a Secret.
resource "flux_source_git" "private" {
  name       = "private-apps"
  delivery   = "cluster"
  url        = "https://git.example.com/org/apps.git"
  secret_ref = "private-apps-auth"
  secret_data = {
    username = "flux"
    password = var.git_token
  }
  ref = {
    semver = ">=1.0.0 <2.0.0"
  }
}
