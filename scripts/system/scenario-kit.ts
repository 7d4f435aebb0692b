// Helpers the scenario tests share beyond system-kit's: reading what services published, delivering an
// envelope again (duplicates, reorderings), holding the choreography at a known step, and short reads.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, onTestFinished } from 'vitest';
import { SUBSCRIPTIONS, subscriptionName, TOPOLOGY, type PayloadOf, type ServiceName, type TopicName } from '@shop/contracts';
import { createPgBossTransport, startRelay, type DeliveryOutcome } from '@shop/events';
import { createLogger } from '@shop/observability';
import { SUPPORT, type System } from './system';
import { asCustomer, expectJson } from './system-kit';

/** One event as its producer wrote it into its outbox: the envelope a transport carries. */
export interface StoredEvent<T extends TopicName = TopicName> {
  eventId: string;
  topic: T;
  attributes: Record<string, string>;
  payload: PayloadOf<T>;
  isPublished: boolean;
}

/** The events of `topic` in `producer`'s outbox, oldest first, optionally only those `matching`. */
export async function outboxEvents<T extends TopicName>(
  system: System,
  producer: ServiceName,
  topic: T,
  matching: (payload: PayloadOf<T>) => boolean = () => true,
): Promise<StoredEvent<T>[]> {
  const { rows } = await system.db.pool.query<{ event_id: string; attributes: Record<string, string>; payload: PayloadOf<T>; published_at: Date | null }>(
    `SELECT event_id::text, attributes, payload, published_at FROM "${producer}".outbox WHERE topic = $1 ORDER BY id`,
    [topic],
  );
  return rows
    .map((r) => ({ eventId: r.event_id, topic, attributes: r.attributes, payload: r.payload, isPublished: r.published_at !== null }))
    .filter((e) => matching(e.payload));
}

/** The one event of `topic` in `producer`'s outbox `matching`; fails when there is not exactly one. */
export async function theEvent<T extends TopicName>(
  system: System,
  producer: ServiceName,
  topic: T,
  matching: (payload: PayloadOf<T>) => boolean,
): Promise<StoredEvent<T>> {
  const events = await outboxEvents(system, producer, topic, matching);
  expect(events, `${producer} published one ${topic}`).toHaveLength(1);
  return events[0]!;
}

/** The same payload under a fresh `event_id`: what a producer that published twice would send. */
export function withNewEventId<T extends TopicName>(event: StoredEvent<T>): StoredEvent<T> {
  const eventId = randomUUID();
  return { ...event, eventId, attributes: { ...event.attributes, event_id: eventId } };
}

/**
 * Delivers `event` to `consumer`'s subscription as a transport would (the seam every engine ends in), as many
 * `copies` in one delivery; the outcomes say whether each was handled or found a duplicate.
 */
export async function deliverTo(system: System, consumer: ServiceName, event: StoredEvent, copies = 1): Promise<DeliveryOutcome[]> {
  const message = { attributes: event.attributes, data: JSON.stringify(event.payload), deliveryAttempt: 1 };
  return system.services[consumer].events.consumer.deliver(subscriptionName(consumer, event.topic), Array.from({ length: copies }, () => message));
}

/** Delivers `event` to every subscriber of its topic, as the transport's fan-out does. */
export async function deliverToSubscribers(system: System, event: StoredEvent): Promise<Partial<Record<ServiceName, DeliveryOutcome[]>>> {
  const outcomes: Partial<Record<ServiceName, DeliveryOutcome[]>> = {};
  for (const { service } of TOPOLOGY[event.topic]) outcomes[service] = await deliverTo(system, service, event);
  return outcomes;
}

/**
 * Marks an outbox row unpublished, as if the relay crashed between the transport's acknowledgement and its
 * own update: the relay publishes it again, through the transport, to every subscriber.
 */
export async function republish(system: System, producer: ServiceName, eventId: string): Promise<void> {
  const { rowCount } = await system.db.pool.query(`UPDATE "${producer}".outbox SET published_at = NULL WHERE event_id = $1::uuid`, [eventId]);
  expect(rowCount, `${producer}'s outbox holds ${eventId}`).toBe(1);
  system.services[producer].events.relay()?.wake();
}

/** How many jobs carrying `eventId` the embedded transport completed on `consumer`'s subscription of `topic`. */
export async function transportDeliveries(system: System, consumer: ServiceName, topic: TopicName, eventId: string): Promise<number> {
  const { rows } = await system.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed' AND data->'attributes'->>'event_id' = $2`,
    [subscriptionName(consumer, topic), eventId],
  );
  return rows[0]!.n;
}

/** How many times `consumer` recorded `eventId` as processed (on the subscription of `topic`). */
export async function processedCount(system: System, consumer: ServiceName, topic: TopicName, eventId: string): Promise<number> {
  const { rows } = await system.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${consumer}".processed_messages WHERE subscriber = $1 AND event_id = $2::uuid`,
    [subscriptionName(consumer, topic), eventId],
  );
  return rows[0]!.n;
}

/**
 * Holds inventory's stock rows of `skus` locked (`FOR UPDATE`) until `release`: a reservation touching them
 * waits, so a checkout stays `pending` for exactly as long as the test wants, whatever the timing. Released
 * at the latest when the test ends, so a failing test does not hold up the next.
 */
export async function holdStock(system: System, skus: string[]): Promise<{ release(): Promise<void> }> {
  const client = await system.db.pool.connect();
  await client.query('BEGIN');
  const { rowCount } = await client.query('SELECT 1 FROM inventory.stock WHERE sku = ANY($1::text[]) FOR UPDATE', [skus]);
  expect(rowCount).toBe(skus.length);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await client.query('COMMIT');
    client.release();
  };
  onTestFinished(release);
  return { release };
}

export interface RelayControl {
  /**
   * Stops `producer`'s outbox relay, so what it publishes stays in its outbox (a relay outage); `resume` starts
   * a new relay, with its own pg-boss client, which publishes the backlog in outbox order.
   */
  pause(producer: ServiceName): Promise<{ resume(): Promise<void> }>;
}

/**
 * Outbox relays a test may pause and resume. Call it at the top of the file (as `useSystem`): the relays it
 * starts are stopped after the file, before the system.
 */
export function useRelayControl(system: System): RelayControl {
  const replacements = new Map<ServiceName, () => Promise<void>>();
  afterAll(async () => {
    for (const stop of replacements.values()) await stop();
  });
  return {
    async pause(producer) {
      const replacement = replacements.get(producer);
      replacements.delete(producer);
      if (replacement) await replacement();
      else await system.services[producer].events.relay()?.stop();
      return {
        async resume() {
          // The harness does not expose its URL; the pool was opened with it (pg keeps its options).
          const databaseUrl = (system.db.pool as unknown as { options: { connectionString: string } }).options.connectionString;
          const logger = createLogger({ service: producer, level: 'silent' });
          const transport = createPgBossTransport({ databaseUrl, topology: SUBSCRIPTIONS, logger });
          const relay = startRelay({ databaseUrl, pool: system.services[producer].db.pool, schema: producer, transport, logger, pollIntervalMs: 500 });
          replacements.set(producer, async () => {
            await relay.stop();
            await transport.close();
          });
        },
      };
    },
  };
}

export interface StockLevel {
  sku: string;
  available: number;
  reserved: number;
}

export async function stockOf(system: System, sku: string): Promise<StockLevel> {
  return expectJson<StockLevel>(system.request('inventory', `/inventory/${sku}`, { headers: SUPPORT }), 200);
}

export interface Rejection {
  reason: 'insufficient_stock' | 'unknown_product';
  details: { product_sku: string; requested: number; available: number }[];
}

export interface Cart {
  cart_id: string;
  customer_id: string;
  status: 'open' | 'pending' | 'ordered' | 'stock-unavailable';
  cart_locked: boolean;
  items: { product_sku: string; name: string; quantity: number; unit_price_cents: number }[];
  total_cents: number;
  currency: string;
  order_id: string | null;
  rejection: Rejection | null;
}

export async function cartOf(system: System, customerId: string): Promise<Cart> {
  return expectJson<Cart>(system.request('cart', '/cart', { headers: asCustomer(customerId) }), 200);
}

export interface Order {
  order_id: string;
  request_id: string;
  customer_id: string;
  cart_id: string | null;
  status: 'confirmed' | 'cancelled';
  items: { product_sku: string; name: string; quantity: number; unit_price_cents: number }[];
  total_cents: number;
  currency: string;
  shipping_address: Record<string, unknown> | null;
  note: string | null;
  created_at: string;
  cancelled_at: string | null;
}

export interface BuyNowRequest {
  request_id: string;
  customer_id: string;
  status: 'pending' | 'confirmed' | 'rejected';
  order_id: string | null;
  rejection: Rejection | null;
}

/** The number of orders in the system, across customers. */
export async function orderCount(system: System): Promise<number> {
  const { rows } = await system.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM "order".orders');
  return rows[0]!.n;
}

/** A reservation as inventory keeps it. */
export async function reservationOf(system: System, requestId: string): Promise<{ reservation_id: string; status: string } | undefined> {
  const { rows } = await system.db.pool.query<{ reservation_id: string; status: string }>(
    'SELECT reservation_id::text, status FROM inventory.reservations WHERE request_id = $1::uuid',
    [requestId],
  );
  return rows[0];
}

/** A problem document with the expected status, as DESIGN.md's HTTP conventions define it. */
export async function expectProblem(res: Promise<Response> | Response, status: number): Promise<{ type: string; title: string; status: number; detail: string }> {
  const response = await res;
  const body = await response.text();
  expect({ status: response.status, contentType: response.headers.get('Content-Type'), body }).toMatchObject({
    status,
    contentType: expect.stringContaining('application/problem+json'),
  });
  const problem = JSON.parse(body) as { type: string; title: string; status: number; detail: string };
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return problem;
}

/** A customer's `GET /cart/events` stream over a real socket, read event by event. */
export interface CartStream {
  response: Response;
  /** Every `cart` event received so far, in order, with its SSE id. */
  received: { id: string; cart: Cart }[];
  /** Reads on until a cart event satisfies `done`, and returns that cart; fails after `timeoutMs`. */
  until(done: (cart: Cart) => boolean, timeoutMs?: number): Promise<Cart>;
  close(): Promise<void>;
}

export async function openCartStream(baseUrl: string, customerId: string): Promise<CartStream> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/cart/events`, { headers: { ...asCustomer(customerId), Accept: 'text/event-stream' }, signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const received: { id: string; cart: Cart }[] = [];
  let buffer = '';
  let seen = 0;

  /** The next complete SSE block's `cart` event, if any arrived; comment lines (heartbeats) are skipped. */
  function takeEvent(): boolean {
    const end = buffer.indexOf('\n\n');
    if (end < 0) return false;
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
    if (fields.get('event') === 'cart') received.push({ id: fields.get('id') ?? '', cart: JSON.parse(fields.get('data')!) as Cart });
    return true;
  }

  const closed = () => expect.unreachable(`the stream ended; received ${JSON.stringify(received.map((e) => e.cart.status))}`);
  return {
    response,
    received,
    async until(done, timeoutMs = 20_000) {
      const timer = setTimeout(() => abort.abort(new Error(`no matching cart event within ${timeoutMs} ms`)), timeoutMs);
      try {
        for (;;) {
          for (; seen < received.length; seen++) if (done(received[seen]!.cart)) return received[seen++]!.cart;
          if (takeEvent()) continue;
          const chunk = await reader.read();
          if (chunk.done) return closed();
          buffer += chunk.value;
        }
      } catch (err) {
        if (abort.signal.aborted) throw abort.signal.reason;
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      abort.abort();
      await reader.cancel().catch(() => undefined);
    },
  };
}
