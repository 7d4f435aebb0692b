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

/**
 * The storage the middleware needs; `@shop/db`'s `createIdempotencyStore` provides it per schema. `runOnce` runs
 * `work` for a key nobody has answered, one request at a time, and keeps the answer `work` returns atomically
 * with what `work` wrote (no answer to keep: nothing `work` wrote is kept either).
 */
export interface IdempotencyStoreLike {
  runOnce<T>(
    scope: string,
    key: string,
    requestHash: string,
    work: () => Promise<{ value: T; keep: StoredResponse | undefined }>,
  ): Promise<{ kind: 'ran'; value: T } | { kind: 'replay'; requestHash: string; response: StoredResponse } | { kind: 'in_progress' }>;
}

const KEY = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ['content-type', 'location'];
// Requests with a key are short (one transaction): a second is long enough for the first to finish.
const RETRY_AFTER_SECONDS = 1;

function scopeOf(principal: Principal | undefined, method: string, path: string): string {
  const who = !principal ? 'anonymous' : principal.kind === 'customer' ? `customer:${principal.customerId}` : `staff:${principal.role}`;
  return `${who} ${method} ${path}`;
}

/**
 * `Idempotency-Key` on creating POSTs: the first answer is stored and replayed for a repeat with the same
 * key and body; the same key with another body is `422`; a repeat while the first is still running waits for it
 * briefly (the store decides how long), then is `409` with `Retry-After`. Keys are scoped to the caller, so one
 * customer can never receive another's stored answer.
 * The route runs inside the store's transaction, and its use cases' transactions join it: the answer is stored
 * in the commit that makes the request's effect, so a crash between the two cannot happen, and a repeat never
 * runs a request that took effect (however slow it was, or if its process died after its commit).
 * Only answers that did something (below 400) are stored: a refused request writes nothing (DESIGN.md,
 * invariant 7), and a retry after a 4xx or 5xx runs the request again.
 * The chain's last handler: it calls `route` (perhaps again, when the database asks for a retry), never `next`.
 */
export function idempotent(route: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('Idempotency-Key');
    const store = c.get('idempotencyStore');
    if (key === undefined || !store) return route(c, next);
    if (!KEY.test(key)) {
      throw new DomainError('bad_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', {
        errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
      });
    }
    // The bytes, not `c.req.text()`: Hono caches the first read, and text would already have replaced
    // invalid UTF-8 that the body reader must refuse.
    const hash = createHash('sha256').update(new Uint8Array(await c.req.arrayBuffer())).digest('hex');
    const scope = scopeOf(c.get('principal'), c.req.method, c.req.path);
    const outcome = await store.runOnce(scope, key, hash, async () => {
      const res = (await route(c, next)) ?? c.res;
      return res.status < 400 ? readOnce(res) : { value: res, keep: undefined };
    });
    if (outcome.kind === 'ran') return outcome.value;
    if (outcome.kind === 'in_progress') {
      throw new DomainError('conflict', 'A request with this Idempotency-Key is still being processed; retry shortly.', {
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
    }
    if (outcome.requestHash !== hash) {
      throw new DomainError('validation', 'This Idempotency-Key was already used with a different request body.', {
        errors: [{ field: 'Idempotency-Key', message: 'reused with a different body' }],
      });
    }
    const { status, headers, body: stored } = outcome.response;
    return new Response(stored, { status, headers: { ...headers, 'Idempotent-Replayed': 'true' } });
  };
}

/** Statuses whose response may have no body at all, not even an empty one (Fetch: "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The answer to store, and the answer to send built again from the same text: the body is read once.
 * `clone()` would tee the body's stream instead, and node-server would then pipe the original, which cost
 * more than the rest of the idempotency check in bench:flash-sale's profile of the cart.
 */
async function readOnce(res: Response): Promise<{ value: Response; keep: StoredResponse }> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name);
    if (value) headers[name] = value;
  }
  const body = await res.text();
  const value = new Response(NULL_BODY_STATUSES.has(res.status) ? null : body, { status: res.status, headers: res.headers });
  return { value, keep: { status: res.status, headers, body } };
}
