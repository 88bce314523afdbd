variable "webhook_token" {
  type      = string
  sensitive = true
}

resource "flux_receiver" "github" {
  name        = "github"
  type        = "github"
  events      = ["push", "ping"]
  secret_ref  = "github-webhook-token"
  secret_data = { token = var.webhook_token }
  resources = [
    { kind = "GitRepository", name = "flux-system" },
  ]
}
