resource "flux_source_helm" "podinfo" {
  name = "podinfo"
  url  = "https://stefanprodan.github.io/podinfo"
}

resource "flux_helm_release" "podinfo" {
  name             = "podinfo"
  target_namespace = "apps"
  chart = {
    chart   = "podinfo"
    version = ">=6.0.0 <7.0.0"
    source_ref = {
      kind = "HelmRepository"
      name = flux_source_helm.podinfo.name
    }
  }
  install = {
    create_namespace = true
    remediation      = { retries = 3 }
  }
  values = yamlencode({
    replicaCount = 2
  })
}
