import type { Context, Hono, MiddlewareHandler } from 'hono';
import { MemoryStore, rateLimiter } from 'hono-rate-limiter';
import type { AppEnv } from './context';
import { DomainError } from './errors';

/**
 * How many requests one principal may make per window. A customer is keyed by customer id, staff by role (a
 * team and its scripts share one token, so they get their own, larger, allowance); a request without a
 * principal (public reads) by the client address only when `trustClientAddress` is set, otherwise not at all.
 */
export interface RateLimitOptions {
  /** Requests per window for a customer (or a client address); `0` disables the limit for them. */
  requests: number;
  /** Requests per window for a staff role; `0` disables the limit for staff. */
  staffRequests: number;
  windowSeconds: number;
  /**
   * Key public requests by the right-most `X-Forwarded-For` entry: the address the proxy in front (Cloud Run's
   * front end) appended, which a client cannot forge. Only behind such a proxy, and only where clients reach the
   * service directly: behind a gateway every request would share the gateway's address.
   */
  trustClientAddress: boolean;
}

const limiters = new WeakMap<object, MiddlewareHandler<AppEnv>>();

/** The right-most `X-Forwarded-For` entry, or undefined when the header is absent or empty. */
export function appendedClientAddress(forwardedFor: string | undefined): string | undefined {
  const last = forwardedFor?.split(',').at(-1)?.trim();
  return last || undefined;
}

/**
 * Gives `app` a per-principal rate limit; `defineRoute` applies it to each route after identity and before the
 * body is read. The counters live in this process (hono-rate-limiter's MemoryStore): each instance counts on
 * its own, so a principal spread over N instances may make up to N times the limit. That is deliberate: the
 * limit guards an instance's capacity against one noisy caller, and needs no shared store on the request path.
 */
export function useRateLimit(app: Hono<AppEnv>, options: RateLimitOptions): void {
  const windowMs = options.windowSeconds * 1_000;
  const store = new MemoryStore<AppEnv>();

  const keyOf = (c: Context<AppEnv>): string | undefined => {
    const principal = c.get('principal') as AppEnv['Variables']['principal'] | undefined;
    if (principal?.kind === 'customer') return `customer:${principal.customerId}`;
    if (principal?.kind === 'staff') return `staff:${principal.role}`;
    if (!options.trustClientAddress) return undefined;
    const address = appendedClientAddress(c.req.header('X-Forwarded-For'));
    return address ? `address:${address}` : undefined;
  };
  const limitOf = (key: string) => (key.startsWith('staff:') ? options.staffRequests : options.requests);

  const limiter = rateLimiter<AppEnv>({
    windowMs,
    store,
    standardHeaders: 'draft-6',
    keyGenerator: (c) => keyOf(c) ?? '',
    limit: (c) => limitOf(keyOf(c) ?? ''),
    skip: (c) => {
      const key = keyOf(c);
      return key === undefined || limitOf(key) === 0;
    },
    handler: async (c) => {
      const key = keyOf(c)!;
      const limit = limitOf(key);
      const resetAt = (await store.get(key))?.resetTime?.getTime() ?? Date.now() + windowMs;
      const retryAfter = String(Math.max(1, Math.ceil((resetAt - Date.now()) / 1_000)));
      // Thrown, not returned: the one onError turns it into the problem document every other failure is.
      throw new DomainError('too_many_requests', `More than ${limit} requests in ${options.windowSeconds} s; retry after ${retryAfter} s.`, {
        headers: {
          'Retry-After': retryAfter,
          'RateLimit-Policy': `${limit};w=${options.windowSeconds}`,
          'RateLimit-Limit': String(limit),
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': retryAfter,
        },
      });
    },
  });
  limiters.set(app, limiter);
}

/** The route middleware: the app's limiter when it has one (set up by `createHttpApp`), else nothing. */
export function limitRate(app: Hono<AppEnv>): MiddlewareHandler<AppEnv> {
  return async function limitRateMiddleware(c, next) {
    const limiter = limiters.get(app);
    if (!limiter) return next();
    return limiter(c, next) as Promise<void>;
  };
}
