locals {
  # Topics and push subscriptions, generated from libs/contracts (scripts/deploy/terraform-topology.ts) and
  # checked against them by scripts/deploy/terraform.test.ts.
  topology = jsondecode(file("${path.module}/topology.json"))

  # Every service of DESIGN.md; each has its module block in services.tf.
  services = toset(["order", "product", "inventory", "notification", "email", "cart", "customer", "push"])

  # The topics each service may publish (the contracts' producers), as topic name => topic id.
  published_topics = {
    for service in local.services : service => {
      for topic, definition in local.topology.topics : topic => google_pubsub_topic.event[topic].id
      if contains(definition.producers, service)
    }
  }

  # The audience Pub/Sub signs each service's push tokens for: distinct per service (a token for one
  # cannot be replayed at another) and distinct from the service URL, which the smoke test's tokens carry.
  push_audience = { for service in local.services : service => "https://${service}.pubsub-push.${var.project_id}.internal" }

  image_repository     = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  pubsub_service_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  push_invoker = { pubsub-push = google_service_account.pubsub_push.member }
  # Who may call a service: Pub/Sub push, and the gateway (README.md, Identity). The functions take push only.
  service_invokers = merge(local.push_invoker, var.gateway_service_account == "" ? {} : { gateway = "serviceAccount:${var.gateway_service_account}" })
  # The support console (in notification) reads every other service's GET /admin/events for its journeys,
  # proving itself with its own identity's ID token (X-Serverless-Authorization).
  console_readable_invokers = merge(local.service_invokers, { console = "serviceAccount:${module.notification.service_account_email}" })
  # The storefront (storefront.tf), the public shop, is the gateway of the services whose APIs it calls: it
  # signs the shopper in and calls them as itself.
  storefront_calls = toset(["product", "cart", "order", "customer", "notification", "push"])
  # Who may invoke each service: the above, the console for all but itself, the storefront for what it calls.
  invokers = {
    for service in local.services : service => merge(
      service == "notification" ? local.service_invokers : local.console_readable_invokers,
      contains(local.storefront_calls, service) ? { storefront = module.storefront.service_account_member } : {},
    )
  }
}
