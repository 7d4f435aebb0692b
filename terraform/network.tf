# The private path between Cloud Run services. The services take only internal traffic (ingress), and a
# request from one Cloud Run service to another counts as internal only when it leaves through a VPC network
# whose subnet has Private Google Access (Cloud Run, "Restrict network ingress"). The services that call
# other services (the support console in notification, for its journeys) therefore send all their egress
# through this subnet (Direct VPC egress, modules/service var.vpc_egress). All traffic, not only private
# ranges: the run.app URLs resolve to Google's public addresses.
#
# All egress includes the Cloud SQL connection of the /cloudsql mount, which goes to the instance's public
# address: Private Google Access covers Google APIs (Pub/Sub, Secret Manager, Cloud Trace, the metadata
# server is not routed) but not Cloud SQL's public addresses, so Cloud NAT gives the subnet a way out.

resource "google_compute_network" "services" {
  project                 = var.project_id
  name                    = "shop-services"
  description             = "Direct VPC egress of the Cloud Run services that call other services."
  auto_create_subnetworks = false

  depends_on = [google_project_service.api]
}

resource "google_compute_subnetwork" "services" {
  project       = var.project_id
  name          = "shop-services-${var.region}"
  region        = var.region
  network       = google_compute_network.services.id
  ip_cidr_range = var.services_subnet_cidr
  # Without it, requests to the run.app URLs would not count as internal, and Google APIs would be unreachable.
  private_ip_google_access = true
}

resource "google_compute_router" "services" {
  project = var.project_id
  name    = "shop-services-${var.region}"
  region  = var.region
  network = google_compute_network.services.id
}

resource "google_compute_router_nat" "services" {
  project                            = var.project_id
  name                               = "shop-services-${var.region}"
  region                             = var.region
  router                             = google_compute_router.services.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.services.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

locals {
  # What a service that calls other services passes as vpc_egress.
  services_vpc_egress = {
    network    = google_compute_network.services.id
    subnetwork = google_compute_subnetwork.services.id
  }
}
