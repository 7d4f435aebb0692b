import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';
import { DomainError } from './errors';
import type { Principal } from './identity';

interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The storage the middleware needs; `@shop/db`'s `createIdempotencyStore` provides it per schema. */
export interface IdempotencyStoreLike {
  claim(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<
    | { kind: 'claimed' }
    | { kind: 'replay'; requestHash: string; response: StoredResponse }
    | { kind: 'in_progress'; requestHash: string }
  >;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  release(scope: string, key: string): Promise<void>;
}

const KEY = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ['content-type', 'location'];

function scopeOf(principal: Principal | undefined, method: string, path: string): string {
  const who = !principal ? 'anonymous' : principal.kind === 'customer' ? `customer:${principal.customerId}` : `staff:${principal.role}`;
  return `${who} ${method} ${path}`;
}

/**
 * `Idempotency-Key` on creating POSTs: the first answer is stored and replayed for a repeat with the same
 * key and body; the same key with another body is `422`; a repeat while the first is still running is `409`.
 * Keys are scoped to the caller, so one customer can never receive another's stored answer.
 * Only answers that did something (below 400) are stored: a refused request writes nothing (DESIGN.md,
 * invariant 7), and a retry after a 4xx or 5xx runs the request again.
 */
export function idempotent(): MiddlewareHandler<AppEnv> {
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('Idempotency-Key');
    const store = c.get('idempotencyStore');
    if (key === undefined || !store) return next();
    if (!KEY.test(key)) {
      throw new DomainError('bad_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', {
        errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
      });
    }
    // The bytes, not `c.req.text()`: Hono caches the first read, and text would already have replaced
    // invalid UTF-8 that the body reader must refuse.
    const hash = createHash('sha256').update(new Uint8Array(await c.req.arrayBuffer())).digest('hex');
    const scope = scopeOf(c.get('principal'), c.req.method, c.req.path);
    const claim = await store.claim(scope, key, hash);
    if (claim.kind !== 'claimed' && claim.requestHash !== hash) {
      throw new DomainError('validation', 'This Idempotency-Key was already used with a different request body.', {
        errors: [{ field: 'Idempotency-Key', message: 'reused with a different body' }],
      });
    }
    if (claim.kind === 'in_progress') {
      throw new DomainError('conflict', 'A request with this Idempotency-Key is still being processed; retry shortly.');
    }
    if (claim.kind === 'replay') {
      const { status, headers, body: stored } = claim.response;
      return new Response(stored, { status, headers: { ...headers, 'Idempotent-Replayed': 'true' } });
    }
    try {
      await next();
    } catch (err) {
      await store.release(scope, key);
      throw err;
    }
    if (c.res.status >= 400) {
      await store.release(scope, key);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = c.res.headers.get(name);
      if (value) headers[name] = value;
    }
    try {
      await store.complete(scope, key, { status: c.res.status, headers, body: await c.res.clone().text() });
    } catch (err) {
      // The work is done and committed: answering 500 now would invite a retry that does it twice. The claim
      // stays in progress (a retry is a 409) until the store deems it stale.
      c.get('logger').error({ err, idempotency_key: key }, 'could not store the answer for an Idempotency-Key');
    }
  };
}
