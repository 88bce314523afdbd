resource "flux_alert_provider" "slack" {
  name    = "slack"
  type    = "slack"
  channel = "flux"
}

resource "flux_alert" "errors" {
  name           = "errors"
  provider_ref   = flux_alert_provider.slack.name
  event_severity = "error"
  event_sources = [
    { kind = "Kustomization", name = "*" },
    { kind = "HelmRelease", name = "*" },
  ]
}
