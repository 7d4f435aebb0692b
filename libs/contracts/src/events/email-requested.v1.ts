import { z } from 'zod';
import { StorableString } from '../fields';

/** `email.requested` v1: notification asks the email service to send one message. */
export const EmailRequestedV1 = z.object({
  notification_id: z.uuid(),
  customer_id: z.uuid(),
  to: z.email(),
  subject: StorableString.min(1),
  text: StorableString,
  html: StorableString,
});
export type EmailRequestedV1 = z.infer<typeof EmailRequestedV1>;
