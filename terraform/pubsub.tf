# Every topic of the contracts, and per consumer a push subscription with its dead-letter topic and the push
# subscription that files its dead letters in the service's list (modules/push-subscription), all from topology.json; no other topic or subscription exists. Who may publish where is granted per service in
# modules/service, from the contracts' producers.

resource "google_pubsub_topic" "event" {
  for_each = local.topology.topics

  project = var.project_id
  name    = each.key
  labels = {
    kind = "event"
  }

  depends_on = [google_project_service.api]
}

# The identity Pub/Sub signs push requests with: with the gateway's (var.gateway_service_account), the only
# members with roles/run.invoker on the services.
resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "pubsub-push"
  display_name = "Pub/Sub push deliveries"
  description  = "OIDC identity of every push subscription; the services verify its tokens."
}

# Pub/Sub's service agent mints the push tokens as pubsub-push. Projects created after 8 April 2021 do not
# need this grant; older ones do, and it is harmless on new ones.
resource "google_service_account_iam_member" "pubsub_agent_signs_push_tokens" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"

  depends_on = [google_pubsub_topic.event] # the agent exists once the API has been used
}

locals {
  # Where each subscription pushes: the consuming service's push path, or, for a subscription a Cloud Run
  # function took over (functions.tf), the function under the path its Functions Framework reads the topic
  # from (the CloudEvent's source).
  # Subscriptions exist once the services do (var.enable_services): they push to the services' URLs.
  subscriptions = var.enable_services ? local.topology.subscriptions : {}

  push_endpoints = merge(
    { for name, s in local.subscriptions : name => "${local.service_urls[s.service]}${s.push_path}" },
    { for name, app in local.function_subscriptions : name => "${local.function_urls[app]}/projects/${var.project_id}/topics/${local.topology.subscriptions[name].topic}" },
  )
}

module "subscription" {
  source   = "./modules/push-subscription"
  for_each = local.subscriptions

  project_id                 = var.project_id
  name                       = each.key
  subscription               = each.value
  topic_id                   = google_pubsub_topic.event[each.value.topic].id
  push_endpoint              = local.push_endpoints[each.key]
  dead_letter_push_endpoint  = "${local.service_urls[each.value.service]}${each.value.dead_letter_push_path}"
  audience                   = local.push_audience[each.value.service]
  push_service_account_email = google_service_account.pubsub_push.email
  pubsub_service_agent       = local.pubsub_service_agent

  depends_on = [google_service_account_iam_member.pubsub_agent_signs_push_tokens]
}
