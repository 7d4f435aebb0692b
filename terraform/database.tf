# One Cloud SQL for PostgreSQL instance with one database. Each service owns one schema in it and connects
# as its own role, which may use that schema only: the migration job (migrate_job.tf) creates the roles and
# grants after applying the migrations (scripts/deploy/service-roles.ts). Terraform creates the migration
# user and generates every password; each service's full DATABASE_URL is a secret of its own.

resource "google_sql_database_instance" "main" {
  project             = var.project_id
  name                = "shop-pg"
  region              = var.region
  database_version    = var.db_version
  deletion_protection = var.deletion_protection

  settings {
    edition           = "ENTERPRISE"
    tier              = var.db_tier
    availability_type = var.db_high_availability ? "REGIONAL" : "ZONAL"
    disk_autoresize   = true
    disk_size         = 10

    ip_configuration {
      # No authorised networks: only the Cloud SQL connector (Cloud Run's /cloudsql mount) can reach it.
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = 14
      }
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }

    database_flags {
      name  = "max_connections"
      value = tostring(var.db_max_connections)
    }

    insights_config {
      query_insights_enabled = true
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_sql_database" "shop" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = "shop"
}

resource "random_password" "migrator" {
  length  = 40
  special = false # the password goes into a URL unescaped
}

# The migration job's user: creates the schemas and tables (it owns them) and the per-service roles.
resource "google_sql_user" "migrator" {
  project  = var.project_id
  instance = google_sql_database_instance.main.name
  name     = "migrator"
  password = random_password.migrator.result
}

resource "random_password" "service" {
  for_each = local.services

  length  = 40
  special = false
}

locals {
  # Cloud Run mounts the instance's socket at /cloudsql/<connection name>; node-postgres reads `host` from the query.
  database_socket       = "/cloudsql/${google_sql_database_instance.main.connection_name}"
  migrator_database_url = "postgresql://${google_sql_user.migrator.name}:${random_password.migrator.result}@localhost/${google_sql_database.shop.name}?host=${local.database_socket}"
  # Role shop_<service>: created by the migration job, not by Cloud SQL (whose users all get cloudsqlsuperuser).
  service_database_url = {
    for service in local.services :
    service => "postgresql://shop_${service}:${random_password.service[service].result}@localhost/${google_sql_database.shop.name}?host=${local.database_socket}"
  }
}
