# The migration job (image `migrate`, scripts/deploy/migrate-job.ts): applies prisma/migrations as the
# migration user, then creates or updates each service's role with access to its own schema only.
# deploy.yml runs it (gcloud run jobs execute --wait) before rolling out new service revisions; it is
# idempotent and takes PostgreSQL's migration advisory lock, so a second run waits and then does nothing.

resource "google_service_account" "migrate" {
  project      = var.project_id
  account_id   = "migrate-job"
  display_name = "Database migration job"
}

locals {
  # The migrator's URL, and every service's (to read the role and password each service connects with).
  migrate_secret_env = {
    DATABASE_URL                      = google_secret_manager_secret.generated["database-url-migrator"].secret_id
    SERVICE_DATABASE_URL_ORDER        = google_secret_manager_secret.generated["database-url-order"].secret_id
    SERVICE_DATABASE_URL_PRODUCT      = google_secret_manager_secret.generated["database-url-product"].secret_id
    SERVICE_DATABASE_URL_INVENTORY    = google_secret_manager_secret.generated["database-url-inventory"].secret_id
    SERVICE_DATABASE_URL_NOTIFICATION = google_secret_manager_secret.generated["database-url-notification"].secret_id
    SERVICE_DATABASE_URL_EMAIL        = google_secret_manager_secret.generated["database-url-email"].secret_id
    SERVICE_DATABASE_URL_CART         = google_secret_manager_secret.generated["database-url-cart"].secret_id
    SERVICE_DATABASE_URL_CUSTOMER     = google_secret_manager_secret.generated["database-url-customer"].secret_id
    SERVICE_DATABASE_URL_PUSH         = google_secret_manager_secret.generated["database-url-push"].secret_id
  }
}

resource "google_secret_manager_secret_iam_member" "migrate" {
  for_each = local.migrate_secret_env

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.migrate.member
}

resource "google_project_iam_member" "migrate_cloudsql_client" {
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = google_service_account.migrate.member
}

resource "google_cloud_run_v2_job" "migrate" {
  count = var.enable_services ? 1 : 0

  project             = var.project_id
  name                = "migrate"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.migrate.email
      # A failed migration is rolled back and recorded; retrying it blindly would only fail again.
      max_retries = 0
      timeout     = "900s"

      volumes {
        name = "cloudsql"
        cloud_sql_instance {
          instances = [google_sql_database_instance.main.connection_name]
        }
      }

      containers {
        image = "${local.image_repository}/migrate:${var.image_tag}"

        env {
          name  = "NODE_ENV"
          value = "production"
        }

        dynamic "env" {
          for_each = local.migrate_secret_env
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = env.value
                version = "latest"
              }
            }
          }
        }

        volume_mounts {
          name       = "cloudsql"
          mount_path = "/cloudsql"
        }

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      template[0].template[0].containers[0].image,
      client,
      client_version,
    ]
  }

  depends_on = [
    google_secret_manager_secret_iam_member.migrate,
    google_secret_manager_secret_version.generated,
    google_project_iam_member.migrate_cloudsql_client,
  ]
}
