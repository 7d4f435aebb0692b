variable "project_id" {
  description = "Google Cloud project that runs the system (one project per environment)."
  type        = string
}

variable "region" {
  description = "Region of Cloud Run, Cloud SQL, Artifact Registry and the migration job."
  type        = string
  default     = "europe-west1"
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may deploy; Workload Identity Federation trusts no other."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_repository_id" {
  description = "Numeric id of the GitHub repository (gh api repos/OWNER/NAME --jq .id). When set, tokens must also carry it, so a repository deleted and re-created under the same name by someone else is not trusted."
  type        = string
  default     = ""
}

variable "github_deploy_ref" {
  description = "The git ref whose workflows may deploy and apply Terraform; pull requests get the read-only plan identity only."
  type        = string
  default     = "refs/heads/main"
}

variable "state_bucket" {
  description = "The GCS bucket holding this configuration's state (created by hand, README.md, Deploying to Google Cloud step 1); the CI identities get object access to it."
  type        = string
}

variable "enable_services" {
  description = "Create the Cloud Run services, the migration job and the push subscriptions. false for the very first apply, before any image exists (README.md, Deploying to Google Cloud step 2)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "Image tag (a commit SHA pushed by deploy.yml) a Cloud Run service or job is created with. Only used on creation: afterwards deploy.yml rolls out new image digests and Terraform ignores the image."
  type        = string
  default     = ""

  validation {
    condition     = !var.enable_services || var.image_tag != ""
    error_message = "image_tag is required when enable_services is true: the services are created with the images of that commit."
  }
}

variable "deploy_functions" {
  description = "Also run e-mail and Web Push delivery as Cloud Run functions (the functions-framework entry points apps/email/src/function.ts sendEmail and apps/push/src/function.ts sendPush, functions.tf): each takes over its service's email.requested / push.requested subscription. false: the services deliver themselves."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the database instance, the Cloud Run services and the job against terraform destroy."
  type        = bool
  default     = true
}

variable "db_version" {
  description = "Cloud SQL for PostgreSQL major version."
  type        = string
  default     = "POSTGRES_17"
}

variable "db_tier" {
  description = "Cloud SQL machine type (Enterprise edition)."
  type        = string
  default     = "db-custom-2-7680"
}

variable "db_high_availability" {
  description = "Regional (failover) Cloud SQL instead of zonal."
  type        = bool
  default     = false
}

variable "db_pool_max" {
  description = "Connections each service instance's pool may open (DATABASE_POOL_MAX); the outbox relay holds one more."
  type        = number
  default     = 5
}

variable "db_max_connections" {
  description = "PostgreSQL max_connections. Must cover every service (and function) instance at full scale: 8 (10) × max instances × (pool + 1 relay) plus the migration job and administration."
  type        = number
  default     = 250

  validation {
    condition     = var.db_max_connections >= (var.deploy_functions ? 10 : 8) * var.service_max_instances * (var.db_pool_max + 1) + 10
    error_message = "db_max_connections is below (8 services, + 2 functions when deploy_functions) × service_max_instances × (db_pool_max + 1) + 10: at full scale they would be refused connections."
  }
}

variable "service_min_instances" {
  description = "Minimum instances per service. Never below 1: every service works between requests (local.background_work in services.tf), and modules/service keeps one instance for it whatever this says."
  type        = number
  default     = 1
}

variable "service_max_instances" {
  description = "Maximum instances per service; bounds the database connections (see db_max_connections)."
  type        = number
  default     = 4
}

variable "service_concurrency" {
  description = "Concurrent requests one service instance accepts (push deliveries included)."
  type        = number
  default     = 40
}

variable "cart_streams_per_instance" {
  description = "Open GET /cart/events streams one cart instance keeps (CART_STREAMS_PER_INSTANCE). Each holds one of the instance's service_concurrency request slots while it is open; the others must stay free for requests and Pub/Sub push deliveries, so past this number a new stream gets 503 and Retry-After."
  type        = number
  default     = 16

  validation {
    condition     = var.cart_streams_per_instance >= 1 && var.cart_streams_per_instance <= var.service_concurrency / 2
    error_message = "cart_streams_per_instance must be between 1 and half of service_concurrency: the other half of the request slots serves requests and Pub/Sub push deliveries."
  }
}

variable "service_cpu" {
  description = "CPU limit of each service instance."
  type        = string
  default     = "1"
}

variable "service_memory" {
  description = "Memory limit of each service instance."
  type        = string
  default     = "512Mi"
}

variable "log_level" {
  description = "LOG_LEVEL of every service."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["trace", "debug", "info", "warn", "error", "fatal", "silent"], var.log_level)
    error_message = "log_level must be one of trace, debug, info, warn, error, fatal, silent."
  }
}

variable "smtp_from" {
  description = "Sender of the e-mail service's mail (SMTP_FROM): \"Name <address@domain>\" or an address."
  type        = string
  default     = "Shop <no-reply@example.com>"
}

variable "vapid_subject" {
  description = "VAPID_SUBJECT of the push service (and function): where the browsers' push services can reach the operator, a mailto: or https: URL."
  type        = string
  default     = "mailto:push@example.com"

  validation {
    condition     = can(regex("^(mailto:\\S+@\\S+|https://\\S+)$", var.vapid_subject))
    error_message = "vapid_subject must be a mailto: or https: URL."
  }
}

variable "service_ingress" {
  description = "Ingress of the eight services: INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (the gateway reaches them through a Google Cloud load balancer) or INGRESS_TRAFFIC_INTERNAL_ONLY (the gateway runs inside the project's VPC). Pub/Sub push in this project is internal either way. Never open to the internet: in header mode the services trust X-Customer-Id as the gateway sends it."
  type        = string
  default     = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.service_ingress)
    error_message = "service_ingress must be INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "services_subnet_cidr" {
  description = "Address range of the subnet the services that call other services send their egress through (network.tf): Direct VPC egress takes addresses from it as instances scale (at least a /26; a /24 serves hundreds of instances)."
  type        = string
  default     = "10.8.0.0/24"

  validation {
    condition     = can(cidrhost(var.services_subnet_cidr, 0)) && tonumber(split("/", var.services_subnet_cidr)[1]) <= 26
    error_message = "services_subnet_cidr must be an IPv4 CIDR range of at least /26."
  }
}

variable "storefront_min_instances" {
  description = "Minimum instances of the storefront. It does nothing between requests, so 0 lets it scale to zero; 1 spares the first shopper a cold start."
  type        = number
  default     = 0
}

variable "storefront_demo_sign_in" {
  description = "Deploy the public storefront with identity_mode = \"header\", where a shopper signs in by choosing any customer: a demonstration shop, never a real one. A real shop uses identity_mode = \"jwt\"."
  type        = bool
  default     = false

  validation {
    condition     = var.storefront_demo_sign_in || var.identity_mode == "jwt"
    error_message = "With identity_mode = \"header\" anyone may sign in to the public storefront as any customer: set identity_mode = \"jwt\", or storefront_demo_sign_in = true for a demonstration shop."
  }
}

variable "gateway_service_account" {
  description = "Email of the service account the gateway calls the services as: it authenticates the shopper, overwrites X-Customer-Id and gets roles/run.invoker on every service (README.md, Identity). Empty: no gateway yet, only Pub/Sub push may call."
  type        = string
  default     = ""

  validation {
    condition     = var.gateway_service_account == "" || can(regex("^[a-z0-9-]+@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", var.gateway_service_account))
    error_message = "gateway_service_account must be a service account email (name@project.iam.gserviceaccount.com), or empty."
  }
}

variable "identity_mode" {
  description = "IDENTITY_MODE of every service: header (trust the gateway's X-Customer-Id) or jwt (each service verifies the shopper's ID token itself)."
  type        = string
  default     = "header"

  validation {
    condition     = contains(["header", "jwt"], var.identity_mode)
    error_message = "identity_mode must be header or jwt."
  }
}

variable "identity_jwt_issuer" {
  description = "IDENTITY_JWT_ISSUER: the iss an ID token must carry (jwt mode)."
  type        = string
  default     = null

  validation {
    condition     = var.identity_mode != "jwt" || var.identity_jwt_issuer != null
    error_message = "identity_jwt_issuer is required when identity_mode is jwt."
  }
}

variable "identity_jwt_audience" {
  description = "IDENTITY_JWT_AUDIENCE: the aud an ID token must carry (jwt mode)."
  type        = string
  default     = null

  validation {
    condition     = var.identity_mode != "jwt" || var.identity_jwt_audience != null
    error_message = "identity_jwt_audience is required when identity_mode is jwt."
  }
}

variable "identity_jwt_jwks_url" {
  description = "IDENTITY_JWT_JWKS_URL: the https URL of the issuer's JSON Web Key Set (jwt mode)."
  type        = string
  default     = null

  validation {
    condition     = var.identity_mode != "jwt" || can(regex("^https://", var.identity_jwt_jwks_url))
    error_message = "identity_jwt_jwks_url must be an https:// URL when identity_mode is jwt."
  }
}

variable "identity_jwt_claim" {
  description = "IDENTITY_JWT_CLAIM: the ID token claim holding the customer id (jwt mode)."
  type        = string
  default     = "customer_id"
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channels every alert policy (monitoring.tf) notifies, as projects/<project>/notificationChannels/<id> (create them in the console or with gcloud beta monitoring channels create). Empty: the policies still open incidents, visible in the console, but notify nobody."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for channel in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "notification_channels must be ids of the form projects/<project>/notificationChannels/<id>."
  }
}

variable "alert_oldest_unacked_seconds" {
  description = "Alert when a subscription's oldest unacknowledged message is older than this for 5 minutes. 600 s is the subscriptions' maximum retry backoff: a message older than that has failed several attempts, not met one slow one, and a checkout it belongs to is on its way past its reservation's lifetime (RESERVATION_TTL_SECONDS, 900)."
  type        = number
  default     = 600
}

variable "alert_dead_letter_unfiled_seconds" {
  description = "Alert when a dead letter waits longer than this on its dead-letter subscription: the service files each one in its list (GET /admin/dead-letters) on the first push, so one still there after 10 minutes means the service cannot file it."
  type        = number
  default     = 600
}

variable "alert_5xx_ratio" {
  description = "Alert when more than this fraction of a Cloud Run service's requests answer 5xx over 5 minutes (for 5 more). 5%: a push delivery answered 503 is a retry Pub/Sub makes again (a rolling deploy or a database restart causes short bursts of them); a sustained twentieth of all answers is an outage."
  type        = number
  default     = 0.05

  validation {
    condition     = var.alert_5xx_ratio > 0 && var.alert_5xx_ratio < 1
    error_message = "alert_5xx_ratio must be a fraction between 0 and 1."
  }
}

variable "alert_latency_p99_seconds" {
  description = "Alert when a service's 99th percentile of request handling time exceeds this for 10 minutes. Reads and single-row writes take milliseconds and a checkout answers 202 at once, so 1 s is far outside normal and still below what a shopper notices as hanging."
  type        = number
  default     = 1
}

variable "alert_db_cpu_utilization" {
  description = "Alert when the Cloud SQL instance's CPU utilisation (0 to 1) stays above this for 15 minutes: past 80% lock waits and query times grow quickly, and the reservation hot path (inventory) is the first to slow."
  type        = number
  default     = 0.8

  validation {
    condition     = var.alert_db_cpu_utilization > 0 && var.alert_db_cpu_utilization <= 1
    error_message = "alert_db_cpu_utilization must be a fraction between 0 and 1."
  }
}

variable "alert_db_connections_fraction" {
  description = "Alert when the database's open connections stay above this fraction of db_max_connections for 5 minutes: the services' pools at full scale are sized to fit (db_max_connections), so 80% means scaling has nearly used the headroom, and the next instances would be refused connections."
  type        = number
  default     = 0.8

  validation {
    condition     = var.alert_db_connections_fraction > 0 && var.alert_db_connections_fraction <= 1
    error_message = "alert_db_connections_fraction must be a fraction between 0 and 1."
  }
}
