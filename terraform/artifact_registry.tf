resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = "shop"
  format        = "DOCKER"
  description   = "Images of the services and the migration job, tagged with the commit SHA."

  docker_config {
    # A tag is a commit: it never moves, so a rollback to a SHA gets exactly what was tested.
    immutable_tags = true
  }

  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 30
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "7776000s" # 90 days, beyond the 30 most recent versions of each image
    }
  }

  depends_on = [google_project_service.api]
}
