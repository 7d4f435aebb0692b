# Optional (var.deploy_functions): e-mail and Web Push delivery as Cloud Run functions. Each runs its app's
# functions-framework entry point (apps/<app>/src/function.ts: sendEmail, sendPush) with the Functions
# Framework on Cloud Run, from the app's own image (the build bundles function.js beside main.js), as its own
# service account with only what the function's config schema reads. A function created later starts from
# the image its service runs at that moment (the digest deploy.yml rolled out), not from this commit's.
# The function takes over its subscription: the same push subscription, dead-letter topic and retry policy,
# now pushing to the function, whose framework turns the push into the CloudEvent the entry point takes.
# The services keep their HTTP API and their other subscriptions.

locals {
  # The entry point each function registers (cloudEvent('<target>', …) in function.ts) and the subscription
  # it takes over (libs/contracts subscriptionName: <service>.<topic>); checked against the code by
  # scripts/deploy/terraform.test.ts.
  functions = {
    email = { target = "sendEmail", subscription = "email.email.requested" }
    push  = { target = "sendPush", subscription = "push.push.requested" }
  }

  # subscription => app, for the subscriptions a deployed function takes over.
  function_subscriptions = var.deploy_functions && var.enable_services ? { for app, f in local.functions : f.subscription => app } : {}

  # node + the Functions Framework's CLI, run from the image's WORKDIR like the service's CMD.
  function_args = {
    for app, f in local.functions : app => [
      "node_modules/@google-cloud/functions-framework/build/src/main.js",
      "--target=${f.target}",
      "--signature-type=cloudevent",
      "--source=dist/apps/${app}/function.js",
    ]
  }

  function_urls = {
    email = one(module.email_function[*].uri)
    push  = one(module.push_function[*].uri)
  }
  function_service_account_emails = merge(
    { for m in module.email_function : "email-function" => m.service_account_email },
    { for m in module.push_function : "push-function" => m.service_account_email },
  )
}

module "email_function" {
  source = "./modules/service"
  count  = var.deploy_functions ? 1 : 0

  project_id  = var.project_id
  region      = var.region
  name        = "email-function"
  deploy      = var.enable_services
  image       = coalesce(module.email.image, "${local.image_repository}/email:${var.image_tag}")
  command     = ["node"]
  args        = local.function_args["email"]
  health_path = null

  # apps/email/src/config.ts emailFunctionConfigSchema. The push audience and identity are required there
  # with EVENT_TRANSPORT=pubsub; here they also make Cloud Run accept the subscription's token audience.
  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["email"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    SMTP_FROM                   = var.smtp_from
  }
  secret_env = {
    DATABASE_URL = google_secret_manager_secret.generated["database-url-email"].secret_id
    SMTP_URL     = google_secret_manager_secret.operator["smtp-url"].secret_id
  }
  publishes = local.published_topics["email"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  invoker_members           = local.push_invoker
  min_instances             = 0
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "push_function" {
  source = "./modules/service"
  count  = var.deploy_functions ? 1 : 0

  project_id  = var.project_id
  region      = var.region
  name        = "push-function"
  deploy      = var.enable_services
  image       = coalesce(module.push.image, "${local.image_repository}/push:${var.image_tag}")
  command     = ["node"]
  args        = local.function_args["push"]
  health_path = null

  # apps/push/src/config.ts pushFunctionConfigSchema: the same VAPID key pair as the push service, so the
  # browsers' subscriptions (made with the service's public key) accept what the function signs.
  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["push"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    VAPID_SUBJECT               = var.vapid_subject
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-push"].secret_id
    VAPID_PUBLIC_KEY  = google_secret_manager_secret.operator["vapid-public-key"].secret_id
    VAPID_PRIVATE_KEY = google_secret_manager_secret.operator["vapid-private-key"].secret_id
  }
  publishes = local.published_topics["push"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  invoker_members           = local.push_invoker
  min_instances             = 0
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}
