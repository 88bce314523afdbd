# The operator first (flux_operator), then the instance it reconciles: Flux v2.9.x
# from the upstream registry, syncing clusters/prod of a git repository whose
# credentials are in the Secret flux-system/fleet-auth.
resource "flux_instance" "this" {
  distribution = {
    version  = "2.9.x"
    registry = "ghcr.io/fluxcd"
  }
  components = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"]
  cluster = {
    type           = "kubernetes"
    network_policy = true
  }
  sync = {
    kind        = "GitRepository"
    url         = "https://github.com/example/fleet.git"
    ref         = "refs/heads/main"
    path        = "clusters/prod"
    pull_secret = "fleet-auth"
  }
  delivery = "cluster"
}
