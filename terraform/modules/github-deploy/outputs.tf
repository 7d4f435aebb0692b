output "workload_identity_provider" {
  description = "Full provider name for google-github-actions/auth (workload_identity_provider)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "plan_workload_identity_provider" {
  description = "Full provider name for terraform.yml's plan job (pull requests only)."
  value       = google_iam_workload_identity_pool_provider.github_plan.name
}

output "deployer_email" {
  description = "Service account of deploy.yml."
  value       = google_service_account.deployer.email
}

output "terraform_email" {
  description = "Service account of terraform.yml's apply job."
  value       = google_service_account.terraform.email
}

output "terraform_plan_email" {
  description = "Service account of terraform.yml's plan job."
  value       = google_service_account.terraform_plan.email
}

output "terraform_plan_member" {
  description = "The plan job's identity as an IAM member."
  value       = google_service_account.terraform_plan.member
}
