import { z } from 'zod';

/** `email.requested` v1: notification asks the email service to send one message. */
export const EmailRequestedV1 = z.object({
  notification_id: z.uuid(),
  customer_id: z.uuid(),
  to: z.email(),
  subject: z.string().min(1),
  text: z.string(),
  html: z.string(),
});
export type EmailRequestedV1 = z.infer<typeof EmailRequestedV1>;
