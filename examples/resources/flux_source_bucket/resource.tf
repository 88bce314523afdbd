variable "minio_access_key" {
  type = string
}

variable "minio_secret_key" {
  type      = string
  sensitive = true
}

resource "flux_source_bucket" "artifacts" {
  name        = "artifacts"
  bucket_name = "flux-artifacts"
  endpoint    = "minio.minio.svc:9000"
  insecure    = true
  secret_ref  = "minio-credentials"
  secret_data = {
    accesskey = var.minio_access_key
    secretkey = var.minio_secret_key
  }
}
