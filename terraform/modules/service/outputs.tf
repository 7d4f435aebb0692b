output "name" {
  description = "The Cloud Run service name."
  value       = var.name
}

output "uri" {
  description = "The service's URL (null until it is deployed)."
  value       = one(google_cloud_run_v2_service.this[*].uri)
}

output "image" {
  description = "The image the service runs now (deploy.yml rolls out digests; Terraform reads them back), null until it is deployed."
  value       = one(google_cloud_run_v2_service.this[*].template[0].containers[0].image)
}

output "service_account_email" {
  description = "The service's runtime identity."
  value       = google_service_account.this.email
}

output "service_account_member" {
  description = "The runtime identity as an IAM member."
  value       = google_service_account.this.member
}
