resource "flux_image_update_automation" "fleet" {
  name       = "fleet"
  source_ref = { name = "flux-system" }
  git = {
    checkout = { ref = { branch = "main" } }
    commit = {
      author           = { name = "fluxcdbot", email = "fluxcdbot@users.noreply.github.com" }
      message_template = "Update images"
    }
    push = { branch = "main" }
  }
  update = { path = "./clusters/prod" }
}
