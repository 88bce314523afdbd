resource "flux_image_repository" "app" {
  name     = "app"
  image    = "ghcr.io/org/app"
  interval = "5m"
}
