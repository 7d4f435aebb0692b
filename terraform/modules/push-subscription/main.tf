# One consumer's subscription to one topic (libs/contracts SUBSCRIPTIONS): pushed to the consuming service
# with an OIDC token, retried with backoff, and after the contract's maximum attempts moved to a dead-letter
# topic of its own, whose push subscription files it in the service's dead-letter list (POST
# /pubsub/dead-letters) for inspection and replay. Push, not a pull worker: it wakes a service Cloud Run
# scaled to zero.

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = var.subscription.dead_letter_topic
  labels = {
    kind = "dead-letter"
  }
}

resource "google_pubsub_subscription" "dead_letter" {
  project = var.project_id
  name    = var.subscription.dead_letter_subscription
  topic   = google_pubsub_topic.dead_letter.id

  ack_deadline_seconds = 60
  # Pub/Sub's maximum for unacknowledged messages of a subscription: how long a dead letter waits for a
  # service that cannot file it yet. No dead-letter policy of its own: it is retried until filed.
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = var.dead_letter_push_endpoint

    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.audience
    }
  }

  retry_policy {
    minimum_backoff = "${var.subscription.min_backoff_seconds}s"
    maximum_backoff = "${var.subscription.max_backoff_seconds}s"
  }

  expiration_policy {
    ttl = "" # never: Pub/Sub would otherwise delete a subscription idle for 31 days, and its dead letters with it
  }
}

resource "google_pubsub_subscription" "push" {
  project = var.project_id
  name    = var.name
  topic   = var.topic_id

  ack_deadline_seconds    = var.subscription.ack_deadline_seconds
  enable_message_ordering = var.subscription.ordering

  push_config {
    push_endpoint = var.push_endpoint

    oidc_token {
      service_account_email = var.push_service_account_email
      # Set explicitly: the service verifies exactly this value (PUBSUB_PUSH_AUDIENCE).
      audience = var.audience
    }
  }

  retry_policy {
    minimum_backoff = "${var.subscription.min_backoff_seconds}s"
    maximum_backoff = "${var.subscription.max_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.subscription.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.agent_publishes_dead_letters]
}

# Pub/Sub's own service agent moves a message to the dead-letter topic: it must publish there and
# acknowledge on the source subscription, or dead-lettering silently does not happen.
resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.pubsub_service_agent}"
}

resource "google_pubsub_subscription_iam_member" "agent_acknowledges" {
  project      = var.project_id
  subscription = google_pubsub_subscription.push.id
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.pubsub_service_agent}"
}
