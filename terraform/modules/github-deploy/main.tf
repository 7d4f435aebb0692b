# Workload Identity Federation for one GitHub repository: its workflows exchange their OIDC token for
# short-lived credentials of a service account, so no key ever leaves Google. Three identities:
#   deployer        deploy.yml on the deploy ref: push images, run the migration job, roll out revisions
#   terraform       terraform.yml on the deploy ref (behind the `production` environment): apply
#   terraform-plan  any workflow of the repository (pull requests): read-only plan

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = var.pool_id
  display_name              = "GitHub Actions"
  description               = "Workflows of ${var.github_repository}."
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub Actions OIDC"

  attribute_mapping = {
    "google.subject"         = "assertion.sub"
    "attribute.repository"   = "assertion.repository"
    "attribute.ref"          = "assertion.ref"
    "attribute.workflow_ref" = "assertion.workflow_ref"
  }

  # GitHub signs tokens for every repository with the same issuer: without this condition any repository
  # on GitHub could federate into the pool. The numeric id also rejects a re-created namesake repository.
  attribute_condition = var.github_repository_id == "" ? "assertion.repository == \"${var.github_repository}\"" : "assertion.repository == \"${var.github_repository}\" && assertion.repository_id == \"${var.github_repository_id}\""

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

locals {
  pool = google_iam_workload_identity_pool.github.name
  # Exactly one workflow file on the deploy ref may act as each deploying identity.
  workflow_principal = {
    deployer  = "principalSet://iam.googleapis.com/${local.pool}/attribute.workflow_ref/${var.github_repository}/.github/workflows/deploy.yml@${var.deploy_ref}"
    terraform = "principalSet://iam.googleapis.com/${local.pool}/attribute.workflow_ref/${var.github_repository}/.github/workflows/terraform.yml@${var.deploy_ref}"
  }
  repository_principal = "principalSet://iam.googleapis.com/${local.pool}/attribute.repository/${var.github_repository}"

  # Terraform manages IAM itself, so its identity is as strong as an owner; it is reachable only from
  # terraform.yml on the deploy ref, whose apply job waits for the `production` environment's reviewers.
  terraform_roles = toset([
    "roles/artifactregistry.admin",
    "roles/cloudsql.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/pubsub.admin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/run.admin",
    "roles/secretmanager.admin",
    "roles/serviceusage.serviceUsageAdmin",
  ])
  # Reads everything a refresh reads. The state holds the generated passwords anyway, so secret access
  # adds nothing to what reading the state gives (README.md, Deploying to Google Cloud: who may open pull requests).
  plan_roles = toset([
    "roles/viewer",
    "roles/iam.securityReviewer",
    "roles/secretmanager.secretAccessor",
  ])
}

resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "github-deployer"
  display_name = "GitHub deploy.yml"
  description  = "Pushes images, runs the migration job and rolls out Cloud Run revisions."
}

resource "google_service_account" "terraform" {
  project      = var.project_id
  account_id   = "github-terraform"
  display_name = "GitHub terraform.yml (apply)"
}

resource "google_service_account" "terraform_plan" {
  project      = var.project_id
  account_id   = "github-terraform-plan"
  display_name = "GitHub terraform.yml (plan)"
}

resource "google_service_account_iam_member" "deployer_federation" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.workloadIdentityUser"
  member             = local.workflow_principal.deployer
}

resource "google_service_account_iam_member" "terraform_federation" {
  service_account_id = google_service_account.terraform.name
  role               = "roles/iam.workloadIdentityUser"
  member             = local.workflow_principal.terraform
}

resource "google_service_account_iam_member" "terraform_plan_federation" {
  service_account_id = google_service_account.terraform_plan.name
  role               = "roles/iam.workloadIdentityUser"
  member             = local.repository_principal
}

# --- deployer: only what a rollout needs ---

resource "google_artifact_registry_repository_iam_member" "deployer_pushes" {
  project    = var.project_id
  location   = var.artifact_registry_location
  repository = var.artifact_registry_repository
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.deployer.member
}

# Update services and the job, execute the job, read revisions and operations.
resource "google_project_iam_member" "deployer_runs" {
  project = var.project_id
  role    = "roles/run.developer"
  member  = google_service_account.deployer.member
}

# A revision runs as its service's account: deploying one means acting as that account.
resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  for_each = var.runtime_service_accounts

  service_account_id = "projects/${var.project_id}/serviceAccounts/${each.value}"
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

# The smoke test calls /readyz with an identity token of the push identity, the services' only invoker,
# for the service's own URL as audience: Cloud Run accepts it, the push endpoint (which expects the
# custom push audience) does not, so the smoke test cannot inject events.
resource "google_service_account_iam_member" "deployer_mints_smoke_tokens" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${var.push_service_account_email}"
  role               = "roles/iam.serviceAccountOpenIdTokenCreator"
  member             = google_service_account.deployer.member
}

# --- terraform (apply) and terraform-plan ---

resource "google_project_iam_member" "terraform" {
  for_each = local.terraform_roles

  project = var.project_id
  role    = each.key
  member  = google_service_account.terraform.member
}

resource "google_project_iam_member" "terraform_plan" {
  for_each = local.plan_roles

  project = var.project_id
  role    = each.key
  member  = google_service_account.terraform_plan.member
}

# Both read and lock the state (a plan takes the lock too).
resource "google_storage_bucket_iam_member" "state" {
  for_each = {
    terraform      = google_service_account.terraform.member
    terraform-plan = google_service_account.terraform_plan.member
  }

  bucket = var.state_bucket
  role   = "roles/storage.objectAdmin"
  member = each.value
}
