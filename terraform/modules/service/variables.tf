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
  description = "Path of the startup and liveness probes (/healthz of every service). null: a TCP startup probe and no liveness probe, for a function, which answers every path as an event."
  type        = string
  default     = "/healthz"
}

variable "env" {
  description = "Plain environment variables, by name. PUBSUB_PUSH_AUDIENCE, when present, is also the service's custom audience."
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
  description = "Cloud SQL instance connection name (project:region:instance), mounted at /cloudsql."
  type        = string
}

variable "invoker_members" {
  description = "IAM members allowed to invoke the service (roles/run.invoker), by a fixed label (for_each keys must be known before the members exist)."
  type        = map(string)
  default     = {}
}

variable "min_instances" {
  description = "Minimum instances."
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
