variable "project_id" {
  description = "Project of the service."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run service."
  type        = string
}

variable "name" {
  description = "Service name (apps/<name>): the Cloud Run service, its image and its service account svc-<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,25}$", var.name))
    error_message = "name must be lowercase letters, digits and dashes, at most 26 characters (the service account id is svc-<name>)."
  }
}

variable "deploy" {
  description = "Create the Cloud Run service (false: only its identity and grants, before the first image exists)."
  type        = bool
  default     = true
}

variable "image" {
  description = "Image the service is created with; later revisions are rolled out by deploy.yml."
  type        = string
}

variable "command" {
  description = "Container command instead of the image's CMD (null: the service's own main.js). A function service runs [\"node\"] with the Functions Framework in args."
  type        = list(string)
  default     = null
}

variable "args" {
  description = "Arguments of command (null: none)."
  type        = list(string)
  default     = null
}

variable "health_path" {
  description = "Path of the liveness probe (/healthz of every service; the startup probe uses ready_path). null: a TCP startup probe and no liveness probe, for a function, which answers every path as an event."
  type        = string
  default     = "/healthz"
}

variable "ready_path" {
  description = "Path of the startup probe when health_path is set: /readyz, which answers once the database and the event transport do."
  type        = string
  default     = "/readyz"
}

variable "ingress" {
  description = "Where requests may come from: INGRESS_TRAFFIC_INTERNAL_ONLY (this project's Pub/Sub push, VPC) or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER (also a Google Cloud load balancer, in front of the gateway). Never the whole internet."
  type        = string
  default     = "INGRESS_TRAFFIC_INTERNAL_ONLY"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: the services trust X-Customer-Id only from the gateway."
  }
}

variable "env" {
  description = "Plain environment variables, by name; a null value is left unset. PUBSUB_PUSH_AUDIENCE, when present, is also the service's custom audience."
  type        = map(string)
  default     = {}
}

variable "secret_env" {
  description = "Environment variables read from Secret Manager: variable name => secret id. The service account may read these secrets and no others."
  type        = map(string)
  default     = {}
}

variable "publishes" {
  description = "Topics the service publishes: topic name => topic id. It gets roles/pubsub.publisher on each, and on nothing else."
  type        = map(string)
  default     = {}
}

variable "cloud_sql_connection_name" {
  description = "Cloud SQL instance connection name (project:region:instance), mounted at /cloudsql. null: a service without a database (the storefront), with no mount and no Cloud SQL access."
  type        = string
  default     = null
}

variable "public" {
  description = "Open to the internet: any ingress, and anyone may invoke it. Only for the storefront, which holds no data of its own and calls the services as itself; never for a service that trusts X-Customer-Id."
  type        = bool
  default     = false
}

variable "vpc_egress" {
  description = "Direct VPC egress for a service that calls other services: all its traffic leaves through this network and subnet (with Private Google Access), so its requests count as internal at their ingress. null: no VPC, egress the default way."
  type = object({
    network    = string
    subnetwork = string
  })
  default = null
}

variable "invoker_members" {
  description = "IAM members allowed to invoke the service (roles/run.invoker): the Pub/Sub push identity, and for a service the gateway's. By a fixed label (for_each keys must be known before the members exist)."
  type        = map(string)
  default     = {}
}

variable "background_work" {
  description = "What the service does between requests, completing the sentence \"Between requests it …\" (the outbox relay, sweepers, retries), or null for a service that only answers requests (a function Pub/Sub pushes to). When set, the service keeps at least one instance, whatever min_instances says, and the reason is its description."
  type        = string
  default     = null
}

variable "min_instances" {
  description = "Minimum instances (at least 1 when background_work is set)."
  type        = number
  default     = 0
}

variable "max_instances" {
  description = "Maximum instances."
  type        = number
  default     = 4
}

variable "concurrency" {
  description = "Maximum concurrent requests per instance."
  type        = number
  default     = 40
}

variable "request_timeout_seconds" {
  description = "Request timeout."
  type        = number
  default     = 60
}

variable "cpu" {
  description = "CPU limit."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit."
  type        = string
  default     = "512Mi"
}

variable "deletion_protection" {
  description = "Refuse to destroy the service."
  type        = bool
  default     = true
}
