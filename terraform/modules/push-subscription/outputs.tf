output "subscription_id" {
  description = "The push subscription."
  value       = google_pubsub_subscription.push.id
}

output "dead_letter_topic_id" {
  description = "Where messages go after the last failed attempt."
  value       = google_pubsub_topic.dead_letter.id
}

output "dead_letter_subscription_id" {
  description = "The push subscription that files the dead letters in the service's dead-letter list."
  value       = google_pubsub_subscription.dead_letter.id
}
