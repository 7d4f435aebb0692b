import { z } from 'zod';
import { text } from '@shop/contracts';

export const NOTIFICATION_TYPES = ['order_confirmed', 'order_cancelled', 'stock_rejected', 'manual'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const CHANNELS = ['email', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

export const STATUSES = ['pending', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof STATUSES)[number];

/** A notification row as Prisma returns it. */
export interface NotificationRow {
  notificationId: string;
  customerId: string;
  type: string;
  channel: string;
  status: string;
  subject: string;
  text: string;
  html: string | null;
  url: string | null;
  recipient: string | null;
  requestedAt: Date | null;
  attempts: number;
  lastError: string | null;
  orderId: string | null;
  details: unknown;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

/** A notification on the wire (DESIGN.md, "notification"). */
export const NotificationResource = z.object({
  notification_id: z.uuid(),
  customer_id: z.uuid(),
  type: z.enum(NOTIFICATION_TYPES),
  channel: z.enum(CHANNELS),
  status: z.enum(STATUSES),
  subject: z.string(),
  text: z.string(),
  attempts: z.int().nonnegative(),
  last_error: z.string().nullable(),
  order_id: z.uuid().nullable(),
  created_at: z.iso.datetime(),
  sent_at: z.iso.datetime().nullable(),
});
export type NotificationResource = z.infer<typeof NotificationResource>;

/** Maps a row to the wire shape, once, at the edge. */
export function toNotificationResource(row: NotificationRow): NotificationResource {
  return {
    notification_id: row.notificationId,
    customer_id: row.customerId,
    type: row.type as NotificationType,
    channel: row.channel as Channel,
    status: row.status as NotificationStatus,
    subject: row.subject,
    text: row.text,
    attempts: row.attempts,
    last_error: row.lastError,
    order_id: row.orderId,
    created_at: row.createdAt.toISOString(),
    sent_at: row.sentAt?.toISOString() ?? null,
  };
}

/** `POST /notifications`: a support agent writes to a customer. */
export const ManualNotificationBody = z.strictObject({
  customer_id: z.guid({ error: 'must be a UUID' }).transform((id) => id.toLowerCase()),
  subject: text(200),
  text: text(10_000),
});
export type ManualNotificationBody = z.infer<typeof ManualNotificationBody>;
