import webpush from 'web-push';
import type { VapidKeys } from '../domain/vapid-keys';

/** Where a push goes: a browser's subscription. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** The push service's answer. Rejects only when there was none (refused, timed out). */
export interface PushResponse {
  statusCode: number;
  body: string;
}

export interface PushSender {
  /** `topic` (RFC 8030 §5.4) lets the push service replace an undelivered copy of the same message. */
  send(target: PushTarget, payload: string, options: { topic: string }): Promise<PushResponse>;
}

/**
 * Sends Web Push messages: `web-push` encrypts the payload (aes128gcm, RFC 8291) and signs the VAPID JWT
 * (RFC 8292); the request itself goes through `fetch`, which speaks http as well as https (web-push's own
 * sender only does https), never follows a redirect (an endpoint must not bounce us elsewhere), and gives up
 * after `timeoutMs`.
 */
export function createWebPushSender(options: { vapidKeys: VapidKeys; subject: string; ttlSeconds: number; timeoutMs: number }): PushSender {
  return {
    async send(target, payload, { topic }) {
      const keys = await options.vapidKeys.get();
      const request = webpush.generateRequestDetails(target, payload, {
        vapidDetails: { subject: options.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: options.ttlSeconds,
        topic,
        urgency: 'normal',
        contentEncoding: 'aes128gcm',
      });
      // fetch computes the length of the body itself.
      const { 'Content-Length': _length, ...headers } = request.headers;
      const response = await fetch(request.endpoint, {
        method: request.method,
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
        body: request.body ? new Uint8Array(request.body) : null,
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = (await response.text().catch(() => '')).slice(0, 500);
      return { statusCode: response.status, body };
    },
  };
}
