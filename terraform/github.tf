module "github" {
  source = "./modules/github-deploy"

  project_id           = var.project_id
  github_repository    = var.github_repository
  github_repository_id = var.github_repository_id
  deploy_ref           = var.github_deploy_ref

  artifact_registry_repository = google_artifact_registry_repository.images.repository_id
  artifact_registry_location   = google_artifact_registry_repository.images.location

  runtime_service_accounts = merge(
    local.service_account_emails,
    local.function_service_account_emails,
    { migrate = google_service_account.migrate.email },
  )
  state_bucket = var.state_bucket

  depends_on = [google_project_service.api]
}
