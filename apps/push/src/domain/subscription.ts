import { z } from 'zod';
import { ExpirationTime, HttpUrl, StorableString } from '@shop/contracts';
import type { SubscriptionRow } from '../db/subscriptions.queries';

/** Base64url (padded or not) decoding to a key that passes `check`. */
function key(message: string, check: (bytes: Buffer) => boolean) {
  return z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, { error: 'must be base64url' })
    .refine((value) => check(Buffer.from(value, 'base64url')), message);
}

/**
 * A browser's `PushSubscription.toJSON()`: the endpoint at its push service, and the keys the payload is
 * encrypted for (RFC 8291). Checked here, so a subscription that could never receive anything is refused now.
 */
export const SubscribeBody = z.strictObject({
  endpoint: HttpUrl,
  expirationTime: ExpirationTime.optional(),
  keys: z.strictObject({
    p256dh: key('must be an uncompressed P-256 public key (65 bytes, base64url)', (b) => b.length === 65 && b[0] === 4),
    auth: key('must be a 16-byte auth secret (base64url)', (b) => b.length === 16),
  }),
});
export type SubscribeBody = z.infer<typeof SubscribeBody>;

export const UnsubscribeBody = z.strictObject({ endpoint: StorableString.min(1).max(2_048) });
export type UnsubscribeBody = z.infer<typeof UnsubscribeBody>;

export const SubscriptionResource = z.object({
  subscription_id: z.uuid(),
  customer_id: z.uuid(),
  endpoint: z.string(),
  expiration_time: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type SubscriptionResource = z.infer<typeof SubscriptionResource>;

export function toSubscriptionResource(row: SubscriptionRow): SubscriptionResource {
  return {
    subscription_id: row.subscriptionId,
    customer_id: row.customerId,
    endpoint: row.endpoint,
    expiration_time: row.expiresAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** True when `host` is one of `patterns` (`*` any host, `*.example.com` any subdomain of example.com). */
export function isAllowedHost(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => p === '*' || p === h || (p.startsWith('*.') && h.endsWith(p.slice(1))));
}
