import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import webpush from 'web-push';
import type { VapidKeys } from '../domain/vapid-keys';
import { BlockedEndpointError, literalAddressOf, nonPublicKind, publicOnlyLookup } from './endpoint-address';

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

export interface WebPushSenderOptions {
  vapidKeys: VapidKeys;
  subject: string;
  ttlSeconds: number;
  timeoutMs: number;
  /**
   * Whether endpoints on loopback, private, link-local and other non-public addresses may be contacted: true
   * only in development and test (NODE_ENV), where the push service is a local one. Otherwise such an endpoint
   * is refused with `BlockedEndpointError` before any connection is made.
   */
  allowPrivateNetworks: boolean;
}

/** Error bodies are kept for the log and the event; more than this is never read. */
const MAX_BODY_CHARS = 500;

function timedOut(ms: number): Error {
  return Object.assign(new Error(`timed out after ${ms} ms`), { name: 'TimeoutError' });
}

/**
 * Sends Web Push messages: `web-push` encrypts the payload (aes128gcm, RFC 8291) and signs the VAPID JWT
 * (RFC 8292); the request itself goes out through Node's http/https with agents of our own, so that it speaks
 * http as well as https (web-push's own sender only does https), never follows a redirect (an endpoint must
 * not bounce us elsewhere), gives up after `timeoutMs`, and, unless `allowPrivateNetworks`, connects only to
 * public addresses: checked on the address the socket connects to (DNS rebinding cannot get past it), and on
 * literal IP hosts, which skip the lookup.
 */
export function createWebPushSender(options: WebPushSenderOptions): PushSender {
  const lookup = options.allowPrivateNetworks ? undefined : publicOnlyLookup;
  // Agents of our own: a pooled socket opened elsewhere without the address check is never reused here.
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, ...(lookup ? { lookup } : {}) }),
    'https:': new HttpsAgent({ keepAlive: true, ...(lookup ? { lookup } : {}) }),
  };

  return {
    async send(target, payload, { topic }) {
      const url = new URL(target.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) endpoint: ${url.protocol}`);
      const literal = literalAddressOf(url);
      const kind = literal && !options.allowPrivateNetworks ? nonPublicKind(literal) : undefined;
      if (literal && kind) throw new BlockedEndpointError(literal, literal, kind);

      const keys = await options.vapidKeys.get();
      const details = webpush.generateRequestDetails(target, payload, {
        vapidDetails: { subject: options.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: options.ttlSeconds,
        topic,
        urgency: 'normal',
        contentEncoding: 'aes128gcm',
      });
      const body = details.body ? Buffer.from(details.body) : undefined;
      const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)]));
      headers['Content-Length'] = String(body?.length ?? 0);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

      return new Promise<PushResponse>((resolve, reject) => {
        const request = send(url, { method: details.method, headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (response: IncomingMessage) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text.length < MAX_BODY_CHARS) text += chunk;
          });
          response.on('end', () => {
            clearTimeout(timer);
            resolve({ statusCode: response.statusCode ?? 0, body: text.slice(0, MAX_BODY_CHARS) });
          });
          response.on('error', (err) => {
            clearTimeout(timer);
            // The status arrived; a body cut short changes nothing about what it means.
            resolve({ statusCode: response.statusCode ?? 0, body: text.slice(0, MAX_BODY_CHARS) || String(err.message) });
          });
        });
        const timer = setTimeout(() => request.destroy(timedOut(options.timeoutMs)), options.timeoutMs);
        request.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        request.end(body);
      });
    },
  };
}
