resource "flux_source_helm" "podinfo" {
  name     = "podinfo"
  url      = "https://stefanprodan.github.io/podinfo"
  interval = "30m"
}
