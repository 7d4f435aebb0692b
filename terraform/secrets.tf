# Secret Manager holds every credential the services read; each service account may read only the secrets
# its environment names (modules/service). Terraform generates the database URLs and the API tokens; the
# SMTP URL and the VAPID keys come from outside and are added as versions by an operator (README.md, Deploying to Google Cloud, step 3),
# so they never pass through Terraform's state.

locals {
  # Secrets whose value Terraform generates: ids (plain, usable as for_each keys) and values (sensitive).
  generated_secret_ids = toset(concat(
    ["database-url-migrator", "admin-api-token", "support-api-token", "storefront-session-secret"],
    [for service in local.services : "database-url-${service}"],
  ))
  generated_secrets = merge(
    { "database-url-migrator" = local.migrator_database_url },
    { for service in local.services : "database-url-${service}" => local.service_database_url[service] },
    {
      "admin-api-token"   = random_password.api_token["admin"].result
      "support-api-token" = random_password.api_token["support"].result
      # Keys the HMAC of the storefront's session cookies.
      "storefront-session-secret" = random_password.storefront_session_secret.result
    },
  )
  # Secrets an operator fills in.
  operator_secrets = toset(["smtp-url", "vapid-public-key", "vapid-private-key"])
}

resource "random_password" "api_token" {
  for_each = toset(["admin", "support"])

  length  = 48
  special = false
}

resource "random_password" "storefront_session_secret" {
  length  = 64
  special = false
}

resource "google_secret_manager_secret" "generated" {
  for_each = local.generated_secret_ids

  project   = var.project_id
  secret_id = each.key

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_version" "generated" {
  for_each = local.generated_secret_ids

  secret      = google_secret_manager_secret.generated[each.key].id
  secret_data = local.generated_secrets[each.key]
}

resource "google_secret_manager_secret" "operator" {
  for_each = local.operator_secrets

  project   = var.project_id
  secret_id = each.key

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}

# A plan refreshes the versions above, which reads their payloads: the plan identity may read these secrets,
# whose values the state it reads holds anyway, and no other (modules/github-deploy plan_roles).
resource "google_secret_manager_secret_iam_member" "plan_refreshes_generated" {
  for_each = local.generated_secret_ids

  project   = var.project_id
  secret_id = google_secret_manager_secret.generated[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = module.github.terraform_plan_member
}
