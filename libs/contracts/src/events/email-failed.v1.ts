import { z } from 'zod';

/** `email.failed` v1: attempt `attempt` to deliver the notification failed; `error` says why. */
export const EmailFailedV1 = z.object({
  notification_id: z.uuid(),
  attempt: z.int().min(1),
  error: z.string().optional(),
  /** The mail server's id for the message, when it gave one. */
  message_id: z.string().min(1).optional(),
});
export type EmailFailedV1 = z.infer<typeof EmailFailedV1>;
