import { z } from 'zod';

/** `push.failed` v1: attempt `attempt` to deliver the notification failed; `error` says why. */
export const PushFailedV1 = z.object({
  notification_id: z.uuid(),
  attempt: z.int().min(1),
  error: z.string().optional(),
});
export type PushFailedV1 = z.infer<typeof PushFailedV1>;
