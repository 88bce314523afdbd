resource "flux_image_repository" "app" {
  name  = "app"
  image = "ghcr.io/org/app"
}

resource "flux_image_policy" "app" {
  name                 = "app"
  image_repository_ref = { name = flux_image_repository.app.name }
  policy = {
    semver = { range = ">=1.0.0 <2.0.0" }
  }
}
