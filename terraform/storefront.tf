# The storefront (apps/storefront): the shop customers see, and the only service open to the internet. It
# has no database and no events; it renders pages over the other services' APIs, calling them as itself
# (an invoker of each, locals.tf local.invokers) through the VPC, since their ingress is internal (network.tf).
#
# With identity_mode = "header" a shopper signs in by choosing a customer, which suits a demonstration shop
# only: anyone could shop as anyone. var.storefront_demo_sign_in must say so explicitly; a real shop runs
# identity_mode = "jwt", where the shopper signs in with an ID token the services verify themselves.

module "storefront" {
  source = "./modules/service"

  project_id = var.project_id
  region     = var.region
  name       = "storefront"
  deploy     = var.enable_services
  image      = "${local.image_repository}/storefront:${var.image_tag}"

  env = {
    NODE_ENV             = "production"
    LOG_LEVEL            = var.log_level
    GOOGLE_CLOUD_PROJECT = var.project_id
    IDENTITY_MODE        = var.identity_mode
    IDENTITY_JWT_CLAIM   = var.identity_jwt_claim
    # Header mode's sign-in by choosing a customer: off in production unless this demonstration says so.
    STOREFRONT_CUSTOMER_PICKER = var.storefront_demo_sign_in
    PRODUCT_SERVICE_URL        = module.product.uri
    CART_SERVICE_URL           = module.cart.uri
    ORDER_SERVICE_URL          = module.order.uri
    CUSTOMER_SERVICE_URL       = module.customer.uri
    # Notification serves shoppers their own notifications; push, the Web Push key and subscriptions.
    NOTIFICATION_SERVICE_URL = module.notification.uri
    PUSH_SERVICE_URL         = module.push.uri
  }
  # The tokens list and create customers for the header-mode sign-in; jwt mode reads neither.
  secret_env = {
    STOREFRONT_SESSION_SECRET = google_secret_manager_secret.generated["storefront-session-secret"].secret_id
    ADMIN_API_TOKEN           = google_secret_manager_secret.generated["admin-api-token"].secret_id
    SUPPORT_API_TOKEN         = google_secret_manager_secret.generated["support-api-token"].secret_id
  }

  public        = true
  vpc_egress    = local.services_vpc_egress
  min_instances = var.storefront_min_instances
  max_instances = var.service_max_instances
  # Each open checkout page holds one request (the cart's live outcome, server-sent events) besides the page loads.
  concurrency         = var.service_concurrency
  cpu                 = var.service_cpu
  memory              = var.service_memory
  deletion_protection = var.deletion_protection

  depends_on = [google_secret_manager_secret_version.generated, google_project_service.api]
}
