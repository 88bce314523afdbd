data "flux_install" "main" {
  target_path      = "clusters/production"
  components_extra = ["image-reflector-controller", "image-automation-controller"]
}

output "install_manifest_path" {
  value = data.flux_install.main.path
}
