/**
 * The `error` of the `push.failed` published for a customer with no push subscription at all: a push they
 * cannot receive. The notification service withdraws such a push notification instead of showing it failed, and
 * recognises it by the `no_subscription:` code before the colon (its copy: NO_PUSH_SUBSCRIPTION in
 * apps/notification/src/domain/delivery-status.ts; apps never import each other). Change both or neither.
 */
export const NO_SUBSCRIPTION_ERROR = 'no_subscription: the customer has no push subscription';

// Shared with the other delivery service (email, push): the same backoff.
export { retryDelayMs, type RetryPolicy } from '@shop/service';

/**
 * What one push service's answer means for one subscription: `sent` (2xx, it took the message); `gone` (404
 * or 410, RFC 8030 §7.3: the subscription expired or was unsubscribed, so forget it); `retry` (408, 429, 5xx,
 * or no answer: the same request may succeed later); `rejected` (any other 4xx: a malformed request, a VAPID
 * key the subscription was not made for, a payload too large; sending it again gets the same answer).
 */
export type PushOutcome = 'sent' | 'gone' | 'retry' | 'rejected';

export function classifyPushStatus(status: number): PushOutcome {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 404 || status === 410) return 'gone';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/**
 * Web Push carries at most 4096 encrypted bytes (RFC 8291 §4), about 3990 of plaintext after the aes128gcm
 * header, padding delimiter and tag; keep a margin.
 */
export const MAX_PAYLOAD_BYTES = 3_800;

/** What the shop's service worker receives: the contract's fields, and the notification id (its `tag`). */
export interface PushPayload {
  notification_id: string;
  title: string;
  text: string;
  url?: string;
}

function truncated(value: string, codePoints: number): string {
  const chars = Array.from(value);
  return chars.length <= codePoints ? value : `${chars.slice(0, Math.max(0, codePoints - 1)).join('')}…`;
}

/**
 * The JSON payload of a push, cut to fit: the text shortens first (with an ellipsis), then the title, so that an
 * over-long message still arrives instead of being refused with 413 by every push service.
 */
export function pushPayload(input: { notificationId: string; title: string; text: string; url: string | null }): string {
  const build = (title: string, text: string) =>
    JSON.stringify({ notification_id: input.notificationId, title, text, ...(input.url ? { url: input.url } : {}) } satisfies PushPayload);
  const fits = (json: string) => Buffer.byteLength(json) <= MAX_PAYLOAD_BYTES;
  let json = build(input.title, input.text);
  if (fits(json)) return json;
  const shrink = (value: string, make: (v: string) => string): string => {
    // The longest prefix that fits: binary search over code points (one may take up to 12 bytes as JSON).
    let low = 0;
    let high = Array.from(value).length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (fits(make(truncated(value, mid)))) low = mid;
      else high = mid - 1;
    }
    return truncated(value, low);
  };
  const text = shrink(input.text, (t) => build(input.title, t));
  json = build(input.title, text);
  if (fits(json)) return json;
  return build(shrink(input.title, (t) => build(t, '')), '');
}
