output "service_urls" {
  description = "Cloud Run URL of every service (null before enable_services)."
  value       = local.service_urls
}

output "storefront_url" {
  description = "The shop's public URL (null before enable_services)."
  value       = module.storefront.uri
}

output "function_urls" {
  description = "Cloud Run URL of the e-mail and Web Push functions (null unless deploy_functions)."
  value       = local.function_urls
}

output "image_repository" {
  description = "Artifact Registry path the images are pushed to: <image_repository>/<app>:<commit SHA>."
  value       = local.image_repository
}

output "migrate_job" {
  description = "Name of the Cloud Run job that applies the migrations."
  value       = one(google_cloud_run_v2_job.migrate[*].name)
}

output "cloud_sql_connection_name" {
  description = "Instance connection name, for the Cloud SQL Auth Proxy (cloud-sql-proxy <name>)."
  value       = google_sql_database_instance.main.connection_name
}

output "pubsub_push_service_account" {
  description = "The identity every push subscription signs with; beside the gateway, the services' only invoker."
  value       = google_service_account.pubsub_push.email
}

output "github_variables" {
  description = "Repository variables the workflows read (Settings → Secrets and variables → Actions → Variables)."
  value = {
    GCP_PROJECT_ID             = var.project_id
    GCP_REGION                 = var.region
    GCP_WORKLOAD_IDENTITY      = module.github.workload_identity_provider
    GCP_PLAN_WORKLOAD_IDENTITY = module.github.plan_workload_identity_provider
    GCP_DEPLOY_SA              = module.github.deployer_email
    GCP_TERRAFORM_SA           = module.github.terraform_email
    GCP_TERRAFORM_PLAN_SA      = module.github.terraform_plan_email
    GCP_ARTIFACT_REPOSITORY    = local.image_repository
    TF_STATE_BUCKET            = var.state_bucket
  }
}
