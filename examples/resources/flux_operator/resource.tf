# The operator, then Flux declared as a FluxInstance that it installs and keeps up
# to date. Destroying both deletes the instance first, so the operator uninstalls
# Flux before it is removed itself.
resource "flux_operator" "this" {
  namespace                   = "flux-system"
  remove_instances_on_destroy = true
}

resource "flux_instance" "this" {
  namespace = flux_operator.this.namespace
  distribution = {
    version  = "2.9.x"
    registry = "ghcr.io/fluxcd"
  }
  sync = {
    kind = "GitRepository"
    url  = "https://github.com/example/fleet.git"
    ref  = "refs/heads/main"
    path = "clusters/prod"
  }
  delivery = "cluster"
}
