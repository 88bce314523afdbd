resource "flux_kustomization" "podinfo" {
  name  = "podinfo"
  path  = "./kustomize"
  prune = true
  source_ref = {
    kind = "GitRepository"
    name = flux_source_git.podinfo.name
  }
  target_namespace = "apps"
  depends_on = [
    { name = "infrastructure" },
  ]
  post_build = {
    substitute = {
      cluster_name = "prod"
    }
  }
}
