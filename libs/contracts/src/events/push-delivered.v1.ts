import { z } from 'zod';

/** `push.delivered` v1: the push service delivered the notification on attempt `attempt`. */
export const PushDeliveredV1 = z.object({
  notification_id: z.uuid(),
  attempt: z.int().min(1),
  error: z.string().optional(),
});
export type PushDeliveredV1 = z.infer<typeof PushDeliveredV1>;
