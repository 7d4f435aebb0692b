variable "project_id" {
  description = "Project of the pool and the service accounts."
  type        = string
}

variable "pool_id" {
  description = "Workload identity pool id."
  type        = string
  default     = "github"
}

variable "github_repository" {
  description = "owner/name of the only repository trusted."
  type        = string
}

variable "github_repository_id" {
  description = "Numeric repository id, required in tokens when set."
  type        = string
  default     = ""
}

variable "deploy_ref" {
  description = "Git ref whose deploy.yml and terraform.yml may deploy and apply."
  type        = string
}

variable "artifact_registry_repository" {
  description = "Artifact Registry repository id the deployer pushes to."
  type        = string
}

variable "artifact_registry_location" {
  description = "Location of that repository."
  type        = string
}

variable "runtime_service_accounts" {
  description = "Service accounts revisions run as (services and the migration job), by a fixed label: the deployer may act as each."
  type        = map(string)
}

variable "state_bucket" {
  description = "The Terraform state bucket."
  type        = string
}
