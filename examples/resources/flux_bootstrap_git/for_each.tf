# One bootstrap per cluster without provider aliases: each resource carries its own
# connection settings, which override the provider's.
variable "clusters" {
  type = map(object({ host = string, token = string, ca = string }))
}

resource "flux_bootstrap_git" "fleet" {
  for_each = var.clusters

  path = "clusters/${each.key}"

  kubernetes = {
    host                   = each.value.host
    token                  = each.value.token
    cluster_ca_certificate = each.value.ca
  }
}
