variable "project_id" {
  description = "Project of the topics and subscriptions."
  type        = string
}

variable "name" {
  description = "Subscription id, <service>.<topic> (libs/contracts subscriptionName)."
  type        = string
}

variable "subscription" {
  description = "The subscription's entry in terraform/topology.json (generated from libs/contracts)."
  type = object({
    topic                    = string
    service                  = string
    push_path                = string
    ordering                 = bool
    max_delivery_attempts    = number
    ack_deadline_seconds     = number
    min_backoff_seconds      = number
    max_backoff_seconds      = number
    dead_letter_topic        = string
    dead_letter_subscription = string
    dead_letter_push_path    = string
  })

  validation {
    condition     = var.subscription.max_delivery_attempts >= 5 && var.subscription.max_delivery_attempts <= 100
    error_message = "Pub/Sub allows 5 to 100 delivery attempts."
  }

  validation {
    condition     = var.subscription.ack_deadline_seconds >= 10 && var.subscription.ack_deadline_seconds <= 600
    error_message = "Pub/Sub allows ack deadlines of 10 to 600 seconds."
  }

  validation {
    condition     = var.subscription.min_backoff_seconds >= 0 && var.subscription.min_backoff_seconds <= var.subscription.max_backoff_seconds && var.subscription.max_backoff_seconds <= 600
    error_message = "Backoff must satisfy 0 <= minimum <= maximum <= 600 seconds."
  }
}

variable "topic_id" {
  description = "Id of the topic subscribed to."
  type        = string
}

variable "push_endpoint" {
  description = "Where Pub/Sub pushes: the consuming Cloud Run service's URL and push path (the subscription's push_path), or the Cloud Run function that took the subscription over."
  type        = string

  validation {
    condition     = startswith(var.push_endpoint, "https://")
    error_message = "push_endpoint must be an https URL."
  }
}

variable "dead_letter_push_endpoint" {
  description = "Where the dead-letter topic's subscription pushes: the consuming Cloud Run service's URL and dead_letter_push_path (always the service, which keeps the dead-letter list, even when a function took the subscription over)."
  type        = string

  validation {
    condition     = startswith(var.dead_letter_push_endpoint, "https://")
    error_message = "dead_letter_push_endpoint must be an https URL."
  }
}

variable "audience" {
  description = "Audience of the push OIDC token; the consuming service's PUBSUB_PUSH_AUDIENCE and Cloud Run custom audience."
  type        = string
}

variable "push_service_account_email" {
  description = "The identity Pub/Sub signs push tokens as; the only invoker of the services."
  type        = string
}

variable "pubsub_service_agent" {
  description = "Email of the project's Pub/Sub service agent (service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com)."
  type        = string
}
