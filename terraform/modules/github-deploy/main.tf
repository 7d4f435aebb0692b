# Workload Identity Federation for one GitHub repository: its workflows exchange their OIDC token for
# short-lived credentials of a service account, so no key ever leaves Google. Three identities:
#   deployer        deploy.yml on the deploy ref: push images, run the migration job, roll out revisions
#   terraform       terraform.yml on the deploy ref (behind the `production` environment): apply
#   terraform-plan  terraform.yml's run on a pull request (a pool of its own): read-only plan

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
  attribute_condition = local.repository_condition

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

# The plan identity's own pool: a principal set names one pool, not one provider, so the plan's narrower
# condition holds only if no other provider can put tokens into the pool its account trusts.
resource "google_iam_workload_identity_pool" "github_plan" {
  project                   = var.project_id
  workload_identity_pool_id = "${var.pool_id}-plan"
  display_name              = "GitHub Actions (plan)"
  description               = "terraform.yml of ${var.github_repository} on pull requests."
}

resource "google_iam_workload_identity_pool_provider" "github_plan" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github_plan.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-plan"
  display_name                       = "GitHub Actions OIDC (plan)"

  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
  }

  # Only the pull-request run of terraform.yml: no other workflow (a test job, a new workflow in a branch)
  # and no other event. workflow_ref is "<owner>/<name>/.github/workflows/terraform.yml@refs/pull/<n>/merge".
  attribute_condition = join(" && ", [
    local.repository_condition,
    "assertion.event_name == \"pull_request\"",
    "assertion.workflow_ref.startsWith(\"${var.github_repository}/.github/workflows/terraform.yml@\")",
  ])

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

locals {
  repository_condition = var.github_repository_id == "" ? "assertion.repository == \"${var.github_repository}\"" : "assertion.repository == \"${var.github_repository}\" && assertion.repository_id == \"${var.github_repository_id}\""

  pool = google_iam_workload_identity_pool.github.name
  # Exactly one workflow file on the deploy ref may act as each deploying identity.
  workflow_principal = {
    deployer  = "principalSet://iam.googleapis.com/${local.pool}/attribute.workflow_ref/${var.github_repository}/.github/workflows/deploy.yml@${var.deploy_ref}"
    terraform = "principalSet://iam.googleapis.com/${local.pool}/attribute.workflow_ref/${var.github_repository}/.github/workflows/terraform.yml@${var.deploy_ref}"
  }
  # Every token of the plan pool: its provider admits terraform.yml on pull requests only.
  plan_principal = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github_plan.name}/attribute.repository/${var.github_repository}"

  # Terraform manages IAM itself, so its identity is as strong as an owner; it is reachable only from
  # terraform.yml on the deploy ref, whose apply job waits for the `production` environment's reviewers.
  terraform_roles = toset([
    "roles/artifactregistry.admin",
    "roles/cloudsql.admin",
    "roles/compute.networkAdmin", # the services' VPC, subnet, router and Cloud NAT (network.tf)
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/monitoring.editor", # the alert policies and the dashboard (monitoring.tf), with their notification channels
    "roles/pubsub.admin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/run.admin",
    "roles/secretmanager.admin",
    "roles/serviceusage.serviceUsageAdmin",
  ])
  # Reads the configuration a refresh reads, no secret payload: whoever can push a branch can run code as
  # this identity. Refreshing the versions Terraform generated needs their payloads; the root module grants
  # those secrets alone (secrets.tf), whose values the state it reads holds anyway. The operator's secrets
  # (SMTP, VAPID) stay out of its reach.
  plan_roles = toset([
    "roles/viewer",
    "roles/iam.securityReviewer",
    "roles/secretmanager.viewer",
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
  member             = local.plan_principal
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

# Apply reads, writes and locks the state.
resource "google_storage_bucket_iam_member" "state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.terraform.member
}

# Plan only reads it: it cannot take the lock either, so terraform.yml plans with -lock=false.
resource "google_storage_bucket_iam_member" "plan_reads_state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.terraform_plan.member
}
