resource "flux_source_git" "podinfo" {
  name = "podinfo"
  url  = "https://github.com/stefanprodan/podinfo"
  ref  = { branch = "master" }
}

resource "flux_kustomization" "podinfo" {
  name  = "podinfo"
  path  = "./kustomize"
  prune = true
  source_ref = {
    kind = "GitRepository"
    name = flux_source_git.podinfo.name
  }
  target_namespace = "apps"
  dependencies = [
    { name = "infrastructure" },
  ]
  post_build = {
    substitute = {
      cluster_name = "prod"
    }
  }
}
