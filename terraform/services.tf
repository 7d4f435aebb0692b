# The eight services, one module block each so that every service's environment reads in one place. Each
# variable below must be one the service's config schema (apps/<name>/src/config.ts) declares; every
# variable the schema requires must be here; a secret goes only to the services that read it
# (scripts/deploy/terraform.test.ts checks all three). Cloud Run sets PORT itself; a null value (the jwt
# settings in header mode) is left unset. Only Pub/Sub push and the gateway may call a service, and only
# from inside Google Cloud or through the load balancer (README.md, Identity).

locals {
  # What each service does between requests, and why none scales to zero: every service relays its outbox (an
  # event a request committed, or one the transport refused, goes out after the response), and some own work
  # driven by time alone. With no instance it all waits for the next request, which may never come (a pending
  # checkout nobody re-asks about, stock held by an expired reservation). Each service module passes its entry
  # as background_work: at least one instance, CPU always allocated (modules/service), and the reason as the
  # Cloud Run service's description. The functions (functions.tf) have none: Pub/Sub pushes each event to them.
  background_work = {
    order        = "relays its outbox and asks inventory again about buy-now requests still pending (CHECKOUT_RETRY_AFTER_SECONDS)"
    product      = "relays its outbox (product.upserted and product.deleted that a request committed)"
    inventory    = "relays its outbox, expires reservations past RESERVATION_TTL_SECONDS (returning their stock) and publishes again answers nobody acted on (CHECKOUT_RETRY_AFTER_SECONDS)"
    notification = "relays its outbox (the email-requested and push-requested of each notification)"
    email        = "relays its outbox and retries e-mails the SMTP server deferred, at their due times"
    cart         = "relays its outbox and asks inventory again about checkouts still pending (CHECKOUT_RETRY_AFTER_SECONDS)"
    customer     = "relays its outbox (customer.upserted and customer.deleted that a request committed)"
    push         = "relays its outbox and retries Web Push deliveries the push services deferred, at their due times"
  }

  service_urls = {
    order        = module.order.uri
    product      = module.product.uri
    inventory    = module.inventory.uri
    notification = module.notification.uri
    email        = module.email.uri
    cart         = module.cart.uri
    customer     = module.customer.uri
    push         = module.push.uri
  }
  service_account_emails = {
    order        = module.order.service_account_email
    product      = module.product.service_account_email
    inventory    = module.inventory.service_account_email
    notification = module.notification.service_account_email
    email        = module.email.service_account_email
    cart         = module.cart.service_account_email
    customer     = module.customer.service_account_email
    push         = module.push.service_account_email
  }
}

module "order" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "order"
  deploy     = var.enable_services
  image      = "${local.image_repository}/order:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["order"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-order"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
  }
  publishes = local.published_topics["order"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["order"]
  background_work           = local.background_work["order"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "product" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "product"
  deploy     = var.enable_services
  image      = "${local.image_repository}/product:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["product"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-product"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
  }
  publishes = local.published_topics["product"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["product"]
  background_work           = local.background_work["product"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "inventory" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "inventory"
  deploy     = var.enable_services
  image      = "${local.image_repository}/inventory:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["inventory"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-inventory"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
  }
  publishes = local.published_topics["inventory"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["inventory"]
  background_work           = local.background_work["inventory"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "notification" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "notification"
  deploy     = var.enable_services
  image      = "${local.image_repository}/notification:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["notification"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
    # The console's journeys ask every other service's GET /admin/events (it answers for itself).
    ORDER_SERVICE_URL     = module.order.uri
    PRODUCT_SERVICE_URL   = module.product.uri
    INVENTORY_SERVICE_URL = module.inventory.uri
    EMAIL_SERVICE_URL     = module.email.uri
    CART_SERVICE_URL      = module.cart.uri
    CUSTOMER_SERVICE_URL  = module.customer.uri
    PUSH_SERVICE_URL      = module.push.uri
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-notification"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
  }
  publishes = local.published_topics["notification"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["notification"]
  vpc_egress                = local.services_vpc_egress
  background_work           = local.background_work["notification"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "email" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "email"
  deploy     = var.enable_services
  image      = "${local.image_repository}/email:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["email"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
    SMTP_FROM                   = var.smtp_from
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-email"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
    SMTP_URL          = google_secret_manager_secret.operator["smtp-url"].secret_id
  }
  publishes = local.published_topics["email"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["email"]
  background_work           = local.background_work["email"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "cart" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "cart"
  deploy     = var.enable_services
  image      = "${local.image_repository}/cart:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["cart"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
    CART_STREAMS_PER_INSTANCE   = var.cart_streams_per_instance
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-cart"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
  }
  publishes = local.published_topics["cart"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["cart"]
  background_work           = local.background_work["cart"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "customer" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "customer"
  deploy     = var.enable_services
  image      = "${local.image_repository}/customer:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["customer"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
  }
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-customer"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
  }
  publishes = local.published_topics["customer"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["customer"]
  background_work           = local.background_work["customer"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}

module "push" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "push"
  deploy     = var.enable_services
  image      = "${local.image_repository}/push:${var.image_tag}"

  env = {
    NODE_ENV                    = "production"
    LOG_LEVEL                   = var.log_level
    DATABASE_POOL_MAX           = var.db_pool_max
    GOOGLE_CLOUD_PROJECT        = var.project_id
    EVENT_TRANSPORT             = "pubsub"
    PUBSUB_PUSH_AUDIENCE        = local.push_audience["push"]
    PUBSUB_PUSH_SERVICE_ACCOUNT = google_service_account.pubsub_push.email
    IDENTITY_MODE               = var.identity_mode
    IDENTITY_JWT_ISSUER         = var.identity_jwt_issuer
    IDENTITY_JWT_AUDIENCE       = var.identity_jwt_audience
    IDENTITY_JWT_JWKS_URL       = var.identity_jwt_jwks_url
    IDENTITY_JWT_CLAIM          = var.identity_jwt_claim
    VAPID_SUBJECT               = var.vapid_subject
  }
  # The VAPID key pair from Secret Manager (without it the service generates one and keeps it in its schema):
  # the push function, when deployed, signs with the same pair the browsers subscribed with.
  secret_env = {
    DATABASE_URL      = google_secret_manager_secret.generated["database-url-push"].secret_id
    ADMIN_API_TOKEN   = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN = google_secret_manager_secret.generated["support-api-token"].secret_id
    VAPID_PUBLIC_KEY  = google_secret_manager_secret.operator["vapid-public-key"].secret_id
    VAPID_PRIVATE_KEY = google_secret_manager_secret.operator["vapid-private-key"].secret_id
  }
  publishes = local.published_topics["push"]

  cloud_sql_connection_name = google_sql_database_instance.main.connection_name
  ingress                   = var.service_ingress
  invoker_members           = local.invokers["push"]
  background_work           = local.background_work["push"]
  min_instances             = var.service_min_instances
  max_instances             = var.service_max_instances
  concurrency               = var.service_concurrency
  cpu                       = var.service_cpu
  memory                    = var.service_memory
  deletion_protection       = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}
