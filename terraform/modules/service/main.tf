# One service of the system: its own service account, the Cloud Run service running as it, and exactly the
# access that account needs: its secrets, publishing its own topics, the Cloud SQL connection. Nobody may
# invoke it but the members given (the Pub/Sub push identity, and for a service the gateway's), and only
# from inside Google Cloud or through a load balancer (ingress): never straight from the internet.

resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = "svc-${var.name}"
  display_name = "${var.name} service (Cloud Run)"
  description  = "Runtime identity of the ${var.name} Cloud Run service."
}

# Only the secrets this service's environment names: the accessor is granted per secret, never project-wide.
resource "google_secret_manager_secret_iam_member" "access" {
  # Keyed by variable name: keys must be known at plan time, before new secrets exist.
  for_each = var.secret_env

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.this.member
}

# Publisher on the topics this service produces (libs/contracts TOPICS producers), on each topic alone.
resource "google_pubsub_topic_iam_member" "publish" {
  for_each = var.publishes

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = google_service_account.this.member
}

# The Cloud SQL connector authorises by IAM; the database itself then checks the service's own role.
resource "google_project_iam_member" "cloudsql_client" {
  count = var.cloud_sql_connection_name == null ? 0 : 1

  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = google_service_account.this.member
}

# Its spans (libs/observability: OTLP to the Telemetry API) and its metrics (Cloud Monitoring), written as
# itself; each role writes and cannot read.
resource "google_project_iam_member" "telemetry" {
  for_each = toset(["roles/telemetry.tracesWriter", "roles/monitoring.metricWriter"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.this.member
}

resource "google_cloud_run_v2_service" "this" {
  count = var.deploy ? 1 : 0

  project             = var.project_id
  name                = var.name
  location            = var.region
  description         = var.background_work == null ? "The ${var.name} service." : "The ${var.name} service. Between requests it ${var.background_work}."
  deletion_protection = var.deletion_protection
  # Two fences (DESIGN.md, Identity in production): the network path (Pub/Sub push in this project is
  # internal; the gateway comes through the load balancer) and an identity token of an invoker (IAM below).
  ingress = var.public ? "INGRESS_TRAFFIC_ALL" : var.ingress
  # Pub/Sub signs push tokens for this audience; the app verifies the same value (PUBSUB_PUSH_AUDIENCE).
  custom_audiences = compact([lookup(var.env, "PUBSUB_PUSH_AUDIENCE", "")])

  template {
    service_account                  = google_service_account.this.email
    max_instance_request_concurrency = var.concurrency
    # Longer than Pub/Sub's ack deadline, so a slow push is nacked by Pub/Sub, not cut by Cloud Run.
    timeout               = "${var.request_timeout_seconds}s"
    execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

    # Work that runs between requests (var.background_work) stops when Cloud Run scales the service to zero, so
    # such a service keeps an instance whatever min_instances says. Its CPU stays allocated (cpu_idle below).
    scaling {
      min_instance_count = var.background_work == null ? var.min_instances : max(var.min_instances, 1)
      max_instance_count = var.max_instances
    }

    # Requests to another service's run.app URL are internal only through a VPC (network.tf); all traffic,
    # since those URLs resolve to public addresses.
    dynamic "vpc_access" {
      for_each = var.vpc_egress == null ? [] : [var.vpc_egress]
      content {
        egress = "ALL_TRAFFIC"
        network_interfaces {
          network    = vpc_access.value.network
          subnetwork = vpc_access.value.subnetwork
        }
      }
    }

    dynamic "volumes" {
      for_each = var.cloud_sql_connection_name == null ? [] : [var.cloud_sql_connection_name]
      content {
        name = "cloudsql"
        cloud_sql_instance {
          instances = [volumes.value]
        }
      }
    }

    containers {
      image = var.image
      # null keeps the image's CMD (node dist/apps/<app>/main.js); a function service runs the Functions Framework.
      command = var.command
      args    = var.args

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        # The outbox relay, the consumers and var.background_work run between requests: with CPU throttled
        # after each response they would stall (an event committed by a request waits for the next request).
        # CPU stays allocated (instance billing).
        cpu_idle          = false
        startup_cpu_boost = true
      }

      dynamic "env" {
        # A null value leaves the variable unset (the identity settings of header mode).
        for_each = { for name, value in var.env : name => value if value != null }
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secret_env
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

      dynamic "volume_mounts" {
        for_each = var.cloud_sql_connection_name == null ? [] : ["cloudsql"]
        content {
          name       = volume_mounts.value
          mount_path = "/cloudsql"
        }
      }

      # An instance takes requests once /readyz (database and transport) answers, so a revision that cannot
      # reach them never becomes ready and deploy.yml rolls back: the services are not reachable from the
      # runner to smoke-test them (ingress). /healthz, answering as soon as the process listens, is the
      # liveness probe. Without a health path (a function: every path is the function) Cloud Run waits for
      # the port to open.
      startup_probe {
        dynamic "http_get" {
          for_each = var.health_path == null ? [] : [var.ready_path]
          content {
            path = http_get.value
          }
        }
        dynamic "tcp_socket" {
          for_each = var.health_path == null ? [8080] : []
          content {
            port = tcp_socket.value
          }
        }
        initial_delay_seconds = 0
        period_seconds        = 2
        timeout_seconds       = 2
        failure_threshold     = 30
      }

      dynamic "liveness_probe" {
        for_each = var.health_path == null ? [] : [var.health_path]
        content {
          http_get {
            path = liveness_probe.value
          }
          period_seconds    = 15
          timeout_seconds   = 3
          failure_threshold = 3
        }
      }
    }
  }

  lifecycle {
    # deploy.yml rolls out new image digests with gcloud; Terraform owns everything else.
    ignore_changes = [
      template[0].containers[0].image,
      client,
      client_version,
    ]
  }

  # A revision that cannot read its secrets fails to start.
  depends_on = [google_secret_manager_secret_iam_member.access]
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  # A public service (the storefront) is invoked by anyone: the internet's shoppers.
  for_each = var.deploy ? merge(var.invoker_members, var.public ? { public = "allUsers" } : {}) : {}

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this[0].name
  role     = "roles/run.invoker"
  member   = each.value
}
