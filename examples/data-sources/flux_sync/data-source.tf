data "flux_sync" "main" {
  url         = "ssh://git@github.com/example-org/fleet.git"
  target_path = "clusters/production"
  branch      = "main"
}

output "sync_manifest" {
  value = data.flux_sync.main.content
}
