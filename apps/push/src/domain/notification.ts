import { z } from 'zod';
import type { NotificationWithCount } from '../db/notifications.queries';

export const PushStatus = z.enum(['pending', 'sent', 'failed']);

/** A notification as pushed to a customer. `sent` once at least one browser's push service took it. */
export const PushNotificationResource = z.object({
  notification_id: z.uuid(),
  customer_id: z.uuid(),
  title: z.string(),
  text: z.string(),
  url: z.string().nullable(),
  status: PushStatus,
  attempts: z.int(),
  /** How many of the customer's browsers took it. */
  delivered_to: z.int(),
  last_error: z.string().nullable(),
  created_at: z.iso.datetime(),
  sent_at: z.iso.datetime().nullable(),
  failed_at: z.iso.datetime().nullable(),
});
export type PushNotificationResource = z.infer<typeof PushNotificationResource>;

export function toNotificationResource(row: NotificationWithCount): PushNotificationResource {
  return {
    notification_id: row.notificationId,
    customer_id: row.customerId,
    title: row.title,
    text: row.text,
    url: row.url,
    status: PushStatus.parse(row.status),
    attempts: row.attempts,
    delivered_to: row.deliveredTo,
    last_error: row.lastError,
    created_at: row.createdAt.toISOString(),
    sent_at: row.sentAt?.toISOString() ?? null,
    failed_at: row.failedAt?.toISOString() ?? null,
  };
}
