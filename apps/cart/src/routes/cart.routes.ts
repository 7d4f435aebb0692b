import type { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { z } from 'zod';
import { Sku } from '@shop/contracts';
import { defineRoute, DomainError, type AppEnv } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { CartChangeFeed } from '../db/cart-changes';
import { AddItemBody, CartResource, CheckoutAccepted, toCartResource } from '../domain/cart';
import { addItem, checkout, getCart, removeItem, type CartStore } from '../domain/carts';

const SkuParams = z.object({ product_sku: Sku });

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** Tells `EventSource` clients how soon to reconnect when a stream ends (the service drained, say). */
const RECONNECT_MS = 2_000;

const problems = {
  400: { description: 'Malformed request, or an X-Customer-Id that is not a UUID' },
  401: { description: 'Missing or unknown customer' },
} as const;

function customerOf(principal: AppEnv['Variables']['principal']): string {
  // The routes take customers only; requireAccess already refused everyone else.
  if (principal.kind !== 'customer') throw new Error('cart routes are for customers');
  return principal.customerId;
}

export interface CartRouteDeps extends CartStore {
  changes: CartChangeFeed;
  logger: Logger;
}

/** `/cart`: the customer's own cart, its lines, its checkout and its stream of changes. */
export function registerCartRoutes(app: Hono<AppEnv>, deps: CartRouteDeps): void {
  defineRoute(
    app,
    {
      method: 'get',
      path: '/cart',
      summary: "Read the customer's cart (an empty open cart when there is none)",
      tags: ['cart'],
      access: { customer: true },
      responses: { 200: { description: 'The cart', schema: CartResource }, ...problems },
    },
    async (c) => c.json(toCartResource(await getCart(deps, customerOf(c.get('principal'))))),
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/cart/items',
      summary: 'Add units of a product (to its line, if the cart has one)',
      tags: ['cart'],
      access: { customer: true },
      body: AddItemBody,
      responses: {
        200: { description: 'The cart', schema: CartResource },
        ...problems,
        409: { description: 'The cart is being checked out' },
        422: { description: 'Invalid body, or a product not in the catalog' },
      },
    },
    async (c, { body }) => c.json(toCartResource(await addItem(deps, customerOf(c.get('principal')), body))),
  );

  defineRoute(
    app,
    {
      method: 'delete',
      path: '/cart/items/:product_sku',
      summary: "Remove a product's line",
      tags: ['cart'],
      access: { customer: true },
      params: SkuParams,
      responses: {
        200: { description: 'The cart', schema: CartResource },
        ...problems,
        404: { description: 'The cart has no line for this product' },
        409: { description: 'The cart is being checked out, or was ordered' },
      },
    },
    async (c, { params }) => c.json(toCartResource(await removeItem(deps, customerOf(c.get('principal')), params.product_sku))),
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/cart/convert-to-order',
      summary: 'Check out: lock the cart and request the order',
      tags: ['cart'],
      access: { customer: true },
      idempotent: true,
      responses: {
        202: { description: 'Accepted; follow the outcome at GET /cart', schema: CheckoutAccepted },
        ...problems,
        400: { description: 'A body was sent that is not JSON (none is needed), or an X-Customer-Id that is not a UUID' },
        409: { description: 'The cart is already being checked out, or was ordered' },
        422: { description: 'The cart is empty, or the Idempotency-Key was used with another body' },
      },
    },
    async (c) => {
      const accepted = await checkout(deps, customerOf(c.get('principal')));
      c.header('Location', '/cart');
      return c.json(accepted, 202);
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/cart/events',
      summary: 'Stream the cart as server-sent events: the cart at once, then each change (event `cart`)',
      tags: ['cart'],
      access: { customer: true },
      responses: {
        200: { description: 'An event stream; each `cart` event carries the whole cart', contentType: 'text/event-stream' },
        ...problems,
        429: { description: 'The customer already has as many streams open as allowed (CART_STREAMS_PER_CUSTOMER); Retry-After' },
        503: { description: 'The service is shutting down, or this instance has as many streams open as allowed (CART_STREAMS_PER_INSTANCE); Retry-After' },
      },
    },
    async (c) => {
      const customerId = customerOf(c.get('principal'));
      if (deps.changes.isDraining) throw new DomainError('unavailable', 'The service is shutting down; reconnect.');
      const follower = followCart(deps, customerId);
      // Listening before the stream starts: a failure (or a refusal past the stream limits) is a problem document, and no
      // change after the first read is missed. The slot is freed when the stream ends, however it ends.
      const unsubscribe = await deps.changes.subscribe(customerId, follower);
      return streamSSE(c, (stream) => follower.run(stream).finally(unsubscribe));
    },
  );
}

/** One stream's loop: send the cart whenever it may have changed (only if it did), a heartbeat when idle. */
function followCart(deps: CartRouteDeps, customerId: string) {
  let dirty = true;
  let ended = false;
  let wake: () => void = () => undefined;
  const stop = () => {
    ended = true;
    wake();
  };
  return {
    changed() {
      dirty = true;
      wake();
    },
    closed: stop,
    async run(stream: SSEStreamingApi): Promise<void> {
      stream.onAbort(stop);
      let last = '';
      let sequence = 0;
      try {
        while (!ended && !stream.aborted) {
          if (dirty) {
            dirty = false;
            const data = JSON.stringify(toCartResource(await getCart(deps, customerId)));
            if (data !== last) {
              last = data;
              await stream.writeSSE({ event: 'cart', id: String(++sequence), data, ...(sequence === 1 ? { retry: RECONNECT_MS } : {}) });
            }
            continue;
          }
          let timer: NodeJS.Timeout | undefined;
          const beat = await new Promise<boolean>((resolve) => {
            wake = () => resolve(false);
            timer = setTimeout(() => resolve(true), HEARTBEAT_MS);
          });
          clearTimeout(timer);
          wake = () => undefined;
          if (beat) await stream.write(': keep-alive\n\n');
        }
      } catch (err) {
        // Never hand the error to the client (streamSSE would write its message): log it and end the stream.
        deps.logger.error({ err, customer_id: customerId }, 'cart event stream failed');
      }
    },
  };
}
