import { z } from 'zod';
import { HttpUrl, StorableString } from '../fields';

/**
 * `push.requested` v1: notification asks the push service to notify every browser the customer subscribed.
 * `url` is what a click opens: an absolute http(s) URL or a path on the shop's own origin.
 */
export const PushRequestedV1 = z.object({
  notification_id: z.uuid(),
  customer_id: z.uuid(),
  title: StorableString.min(1),
  text: StorableString,
  url: z.union([HttpUrl, z.string().regex(/^\/(?!\/)/, { error: 'must be an http(s) URL or a path starting with one "/"' })]).optional(),
});
export type PushRequestedV1 = z.infer<typeof PushRequestedV1>;
