import { z } from 'zod';

/** `email.delivered` v1: the email service delivered the notification on attempt `attempt`. */
export const EmailDeliveredV1 = z.object({
  notification_id: z.uuid(),
  attempt: z.int().min(1),
  error: z.string().optional(),
  /** The mail server's id for the message, when it gave one. */
  message_id: z.string().min(1).optional(),
});
export type EmailDeliveredV1 = z.infer<typeof EmailDeliveredV1>;
