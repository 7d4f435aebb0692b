terraform {
  # 1.9+: variable validations may refer to other variables (db_max_connections).
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.12"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Remote state in a GCS bucket created once by hand (README.md, Deploying to Google Cloud, step 1). The bucket is given at init:
  #   terraform init -backend-config="bucket=<project-id>-tfstate"
  # GCS locks the state during plan and apply, and the bucket's object versioning keeps every earlier state.
  backend "gcs" {
    prefix = "shop/production"
  }
}
