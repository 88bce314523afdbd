variable "slack_webhook_url" {
  type      = string
  sensitive = true
}

resource "flux_alert_provider" "slack" {
  name        = "slack"
  type        = "slack"
  channel     = "flux"
  secret_ref  = "slack-webhook"
  secret_data = { address = var.slack_webhook_url }
}
