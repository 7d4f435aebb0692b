# Settings of this environment that are not secret: committed, and read by terraform.yml and local runs alike
# (Terraform loads *.auto.tfvars itself). What identifies the project (project_id, region, github_repository,
# state_bucket) comes from terraform.tfvars locally and from the repository's variables in CI.
# Every variable is described in variables.tf; these are the ones an operator most often sets.

# The sender of the e-mails and the contact the browsers' push services are given.
smtp_from     = "Shop <no-reply@example.com>"
vapid_subject = "mailto:push@example.com"

# E-mail and Web Push delivery as Cloud Run functions instead of inside their services (functions.tf).
deploy_functions = false

# Capacity: 1–4 instances per service, 40 concurrent requests each, 5 database connections per instance. One
# instance always runs: the outbox relay, sweepers and retries work between requests (services.tf).
service_min_instances = 1
service_max_instances = 4
service_concurrency   = 40
db_pool_max           = 5
db_max_connections    = 250

# Identity (README.md, Identity): header mode trusts the X-Customer-Id the gateway sets, and only the
# gateway's service account (with Pub/Sub push) may call the services. jwt mode: every service verifies the
# shopper's ID token itself; set identity_jwt_issuer, identity_jwt_audience and identity_jwt_jwks_url too.
identity_mode           = "header"
gateway_service_account = ""
service_ingress         = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
# The public storefront in header mode lets a shopper sign in as any customer: a demonstration shop. With an
# identity provider (identity_mode = "jwt") this goes back to false.
storefront_demo_sign_in = true

# Open cart event streams per cart instance: each holds one of the 40 request slots, so at most half of them.
cart_streams_per_instance = 16
