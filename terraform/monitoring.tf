# Alert policies and the operations dashboard (README.md, Operating it). Every policy notifies
# var.notification_channels; each threshold is a variable, its reason in the variable's description.
# scripts/deploy/monitoring.test.ts checks that every subscription, dead-letter subscription and Cloud Run
# service has its policies.
#
# Three sources of metrics: Pub/Sub, Cloud Run and Cloud SQL report their own; the services export theirs
# (libs/observability metrics.ts, DESIGN.md Seeing inside) as workload.googleapis.com/<name> on the
# generic_task resource, whose job label is the service's name.

locals {
  # Every Cloud Run service: the eight services, the storefront and, when deployed, the functions (functions.tf).
  run_services = var.enable_services ? setunion(local.services, [module.storefront.name], var.deploy_functions ? [for app in keys(local.functions) : "${app}-function"] : []) : toset([])

  # Dead-letter subscription => the subscription whose dead letters it carries.
  dead_letter_subscriptions = { for name, s in local.subscriptions : s.dead_letter_subscription => name }

  # The services whose own metrics report request handling time; the functions serve only Pub/Sub's pushes.
  latency_services = var.enable_services ? local.services : toset([])

  db_connections_alert_threshold = floor(var.db_max_connections * var.alert_db_connections_fraction)
  cloud_sql_database_id          = "${var.project_id}:${google_sql_database_instance.main.name}"
}

# A subscription whose oldest message waits: its consumer fails on it, is down, or cannot keep up. The
# checkout choreography heals lost messages, but not one that keeps failing until it is dead-lettered.
resource "google_monitoring_alert_policy" "oldest_unacked_message" {
  for_each = local.subscriptions

  project               = var.project_id
  display_name          = "Pub/Sub ${each.key}: oldest unacknowledged message"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "oldest unacknowledged message of ${each.key} older than ${var.alert_oldest_unacked_seconds} s"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.label.subscription_id = \"${each.key}\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_oldest_unacked_seconds
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A message of `${each.key}` (consumed by ${each.value.service}) has waited longer than ${var.alert_oldest_unacked_seconds} s. Check the service's log for the failing event_id and GET /readyz; Pub/Sub retries with backoff and dead-letters after ${each.value.max_delivery_attempts} attempts."
  }

  depends_on = [google_project_service.api]
}

# Dead letters are never silent (DESIGN.md, Recovery): one policy per dead-letter subscription, firing when
# Pub/Sub gives up on a message of its source subscription, and when the service does not file a dead letter in
# its list (GET /admin/dead-letters), where it can be replayed.
resource "google_monitoring_alert_policy" "dead_letters" {
  for_each = local.dead_letter_subscriptions

  project               = var.project_id
  display_name          = "Pub/Sub ${each.value}: dead letters"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "messages of ${each.value} moved to its dead-letter topic"

    condition_threshold {
      filter                  = "resource.type = \"pubsub_subscription\" AND resource.label.subscription_id = \"${each.value}\" AND metric.type = \"pubsub.googleapis.com/subscription/dead_letter_message_count\""
      comparison              = "COMPARISON_GT"
      threshold_value         = 0
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "dead letters of ${each.value} not filed for ${var.alert_dead_letter_unfiled_seconds} s"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.label.subscription_id = \"${each.key}\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_dead_letter_unfiled_seconds
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Pub/Sub gave up on a message of `${each.value}`, or `${each.key}` cannot file it. List it with GET /admin/dead-letters on the ${local.subscriptions[each.value].service} service, fix the cause, and replay it (POST /admin/dead-letters/replay)."
  }

  depends_on = [google_project_service.api]
}

# Dead letters a service keeps without Pub/Sub's dead-letter topic (an invalid payload, an unknown
# subscription) reach only its own list: its dead_letters gauge counts them until replayed or discarded.
resource "google_monitoring_alert_policy" "dead_letters_listed" {
  for_each = local.latency_services

  project               = var.project_id
  display_name          = "${each.key}: dead letters waiting for replay"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "${each.key} lists dead letters"

    condition_threshold {
      filter          = "resource.type = \"generic_task\" AND metric.type = \"workload.googleapis.com/dead_letters\" AND resource.label.job = \"${each.key}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.job"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The ${each.key} service lists dead letters not yet replayed or discarded: GET /admin/dead-letters, then POST /admin/dead-letters/replay once the cause is fixed."
  }

  depends_on = [google_project_service.api]
}

# 5xx answers as a share of all requests, per Cloud Run service, from Cloud Run's own request count (it also
# sees what never reached the app: a crashed instance, a request timeout).
resource "google_monitoring_alert_policy" "server_errors" {
  for_each = local.run_services

  project               = var.project_id
  display_name          = "${each.key}: 5xx ratio"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "more than ${var.alert_5xx_ratio * 100}% of ${each.key}'s requests answer 5xx"

    condition_threshold {
      filter             = "resource.type = \"cloud_run_revision\" AND resource.label.service_name = \"${each.key}\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.label.response_code_class = \"5xx\""
      denominator_filter = "resource.type = \"cloud_run_revision\" AND resource.label.service_name = \"${each.key}\" AND metric.type = \"run.googleapis.com/request_count\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.alert_5xx_ratio
      duration           = "300s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The ${each.key} service answers 5xx to more than ${var.alert_5xx_ratio * 100}% of its requests. Error Reporting groups the errors by revision; the log has the stack traces (severity ERROR, service ${each.key})."
  }

  depends_on = [google_project_service.api]
}

# The 99th percentile of request handling time, from the services' own histogram: Cloud Run's
# request_latencies counts a request until its response ends, so the cart's open event streams
# (GET /cart/events, minutes each) would be its 99th percentile; the histogram knows the route and leaves them out.
resource "google_monitoring_alert_policy" "latency" {
  for_each = local.latency_services

  project               = var.project_id
  display_name          = "${each.key}: p99 latency"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "99th percentile of ${each.key}'s request handling above ${var.alert_latency_p99_seconds} s"

    condition_threshold {
      filter          = "resource.type = \"generic_task\" AND metric.type = \"workload.googleapis.com/http_server_request_duration_seconds\" AND resource.label.job = \"${each.key}\" AND metric.label.route != \"/cart/events\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_latency_p99_seconds
      duration        = "600s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_99"
        group_by_fields      = ["resource.label.job"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The ${each.key} service's slowest 1% of requests take longer than ${var.alert_latency_p99_seconds} s. Look at Cloud SQL's CPU and connections first, then at the slow spans in Cloud Trace."
  }

  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "database_cpu" {
  project               = var.project_id
  display_name          = "Cloud SQL ${google_sql_database_instance.main.name}: CPU"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "CPU utilisation above ${var.alert_db_cpu_utilization * 100}%"

    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.label.database_id = \"${local.cloud_sql_database_id}\" AND metric.type = \"cloudsql.googleapis.com/database/cpu/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_db_cpu_utilization
      duration        = "900s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The database's CPU has stayed above ${var.alert_db_cpu_utilization * 100}% for 15 minutes. A larger db_tier, or fewer service instances (service_max_instances), brings it down."
  }

  depends_on = [google_project_service.api]
}

resource "google_monitoring_alert_policy" "database_connections" {
  project               = var.project_id
  display_name          = "Cloud SQL ${google_sql_database_instance.main.name}: connections"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "more than ${local.db_connections_alert_threshold} of ${var.db_max_connections} connections open"

    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.label.database_id = \"${local.cloud_sql_database_id}\" AND metric.type = \"cloudsql.googleapis.com/database/postgresql/num_backends\""
      comparison      = "COMPARISON_GT"
      threshold_value = local.db_connections_alert_threshold
      duration        = "300s"

      # One series per database of the instance (shop, postgres, …): max_connections is the instance's, so the
      # sum counts.
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.database_id"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The database has more than ${local.db_connections_alert_threshold} of its ${var.db_max_connections} connections open. Raise db_max_connections (and db_tier) before service_max_instances or db_pool_max."
  }

  depends_on = [google_project_service.api]
}

# One dashboard: the checkout funnel, consumer lag and dead letters, error rates and latency, the database.
resource "google_monitoring_dashboard" "operations" {
  project        = var.project_id
  dashboard_json = file("${path.module}/dashboards/operations.json")

  depends_on = [google_project_service.api]
}
