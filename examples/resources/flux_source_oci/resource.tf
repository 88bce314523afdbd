resource "flux_source_oci" "manifests" {
  name     = "app-manifests"
  url      = "oci://ghcr.io/org/app-manifests"
  interval = "5m"
  ref = {
    semver = ">=1.0.0"
  }
}
