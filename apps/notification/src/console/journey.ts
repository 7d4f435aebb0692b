import { SERVICE_NAMES, SUBSCRIPTIONS, TOPICS, type ServiceName, type TopicName } from '@shop/contracts';
import type { JourneyEvent } from '@shop/events';
import type { ServiceClient } from './service-client';

/** One service's journey rows, as `GET /admin/events` lists them. */
export type ServiceEvent = JourneyEvent & { service: ServiceName };

/** How one subscription took one event: handled, dead-lettered, or not heard of (yet). */
export interface Delivery {
  subscription: string;
  service: ServiceName;
  outcome: 'handled' | 'dead_lettered' | 'no_record';
  handledAt: string | null;
  /** Milliseconds from the event's `occurred_at` to its handling (or dead-lettering). */
  tookMs: number | null;
  reason: string | null;
}

/** One event of the journey: who published it when, and every subscription it should reach. */
export interface Hop {
  eventId: string | null;
  topic: string;
  /** The producer; null when its outbox row is gone (retention) or its service did not answer. */
  producer: ServiceName | null;
  occurredAt: string | null;
  /** The producer's side: published, pending (not relayed yet), set_aside, or unknown (no outbox row seen). */
  publication: 'published' | 'pending' | 'set_aside' | 'unknown';
  deliveries: Delivery[];
}

/** Where a journey stopped: the first hop that failed or waits, and why. */
export interface Stop {
  hop: Hop;
  why: 'dead_lettered' | 'set_aside' | 'pending' | 'unhandled';
  /** The subscription that dead-lettered it. */
  delivery?: Delivery;
}

export interface Journey {
  id: string;
  correlationIds: string[];
  hops: Hop[];
  stop: Stop | null;
  /** Services that could not be asked; their part of the journey is missing. */
  unreachable: { service: ServiceName; detail: string }[];
}

const PAGE = 200;
// A checkout has a few dozen events; a correlation id with thousands (a SKU's stock.changed) is cut here.
const MAX_PAGES = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function json(res: Response): Promise<Record<string, unknown> | undefined> {
  if (res.status !== 200) return undefined;
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The correlation ids a cart, order or request id stands for (DESIGN.md "Events"): a cart checkout's events
 * carry the cart id, a buy-now's its request id (events written before that rule was kept carry the order id
 * once the order exists). So an order id adds its cart id (or, for buy now, its request id and itself), and a
 * buy-now request id adds its order's id. A cart id needs no lookup: it is the correlation id.
 */
export async function correlationIdsOf(id: string, client: ServiceClient, headers: Record<string, string>): Promise<string[]> {
  const ids = new Set([id]);
  if (!UUID.test(id)) return [...ids];
  const key = id.toLowerCase();
  ids.clear();
  ids.add(key);
  const [order, request] = await Promise.all([
    client('order', `/orders/${key}`, headers).then(json).catch(() => undefined),
    client('order', `/orders/requests/${key}`, headers).then(json).catch(() => undefined),
  ]);
  if (order) {
    if (typeof order['cart_id'] === 'string') ids.add(order['cart_id']);
    else if (typeof order['request_id'] === 'string') ids.add(order['request_id']);
  }
  if (request && typeof request['order_id'] === 'string') ids.add(request['order_id']);
  return [...ids];
}

/** Every service's `GET /admin/events` for each correlation id, following cursors; failures are listed, not thrown. */
export async function gatherEvents(
  correlationIds: readonly string[],
  client: ServiceClient,
  headers: Record<string, string>,
): Promise<{ events: ServiceEvent[]; unreachable: Journey['unreachable'] }> {
  const unreachable = new Map<ServiceName, string>();
  const lists = await Promise.all(
    SERVICE_NAMES.flatMap((service) =>
      correlationIds.map(async (correlationId) => {
        const found: ServiceEvent[] = [];
        let cursor: string | null = null;
        try {
          for (let page = 0; page < MAX_PAGES; page++) {
            const query = new URLSearchParams({ correlation_id: correlationId, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
            const res = await client(service, `/admin/events?${query.toString()}`, headers);
            if (res.status !== 200) throw new Error(`GET /admin/events answered ${res.status}`);
            const body = (await res.json()) as { items: JourneyEvent[]; next_cursor: string | null };
            found.push(...body.items.map((item) => ({ ...item, service })));
            cursor = body.next_cursor;
            if (!cursor) break;
          }
        } catch (err) {
          unreachable.set(service, err instanceof Error ? err.message : String(err));
        }
        return found;
      }),
    ),
  );
  return { events: lists.flat(), unreachable: [...unreachable].map(([service, detail]) => ({ service, detail })) };
}

const time = (value: string | null) => (value === null ? Number.POSITIVE_INFINITY : Date.parse(value));

function producerOf(topic: string, consumedBy: ServiceName | undefined): ServiceName | null {
  const producers = (TOPICS as Record<string, { producers: readonly ServiceName[] } | undefined>)[topic]?.producers ?? [];
  // A topic with one producer names it even when its outbox row is gone; two (order-requested) cannot tell.
  return producers.length === 1 && producers[0] !== consumedBy ? producers[0]! : null;
}

/**
 * Merges every service's rows into hops, one per event, in the order the events happened: the producer's
 * outbox row, and for each subscription the topology routes the topic to, what that consumer recorded.
 * A subscription without a record may have ignored the event on purpose (the cart ignores buy-now outcomes),
 * so only an event that NO subscription handled counts as unhandled.
 */
export function buildHops(events: readonly ServiceEvent[]): Hop[] {
  const hops = new Map<string, Hop>();
  const hopOf = (event: ServiceEvent): Hop => {
    const key = event.event_id ?? `${event.service}:${event.subscription}:${event.occurred_at}`;
    let hop = hops.get(key);
    if (!hop) {
      hop = { eventId: event.event_id, topic: event.topic ?? 'unknown', producer: null, occurredAt: event.occurred_at, publication: 'unknown', deliveries: [] };
      hops.set(key, hop);
    }
    hop.occurredAt ??= event.occurred_at;
    return hop;
  };
  for (const event of events) {
    const hop = hopOf(event);
    if (event.direction === 'published') {
      hop.producer = event.service;
      hop.publication = event.outcome === 'pending' || event.outcome === 'set_aside' ? event.outcome : 'published';
      continue;
    }
    if (hop.deliveries.some((d) => d.subscription === event.subscription && d.outcome === 'handled')) continue;
    hop.deliveries = hop.deliveries.filter((d) => d.subscription !== event.subscription);
    const handledAt = event.handled_at;
    hop.deliveries.push({
      subscription: event.subscription ?? event.service,
      service: event.service,
      outcome: event.outcome === 'dead_lettered' ? 'dead_lettered' : 'handled',
      handledAt,
      tookMs: handledAt && event.occurred_at ? Math.max(0, Date.parse(handledAt) - Date.parse(event.occurred_at)) : null,
      reason: event.reason,
    });
  }
  for (const hop of hops.values()) {
    if (hop.publication === 'unknown') hop.producer ??= producerOf(hop.topic, hop.deliveries[0]?.service);
    for (const spec of SUBSCRIPTIONS.filter((s) => s.topic === (hop.topic as TopicName))) {
      if (!hop.deliveries.some((d) => d.subscription === spec.name)) {
        hop.deliveries.push({ subscription: spec.name, service: spec.service, outcome: 'no_record', handledAt: null, tookMs: null, reason: null });
      }
    }
    hop.deliveries.sort((a, b) => time(a.handledAt) - time(b.handledAt) || a.subscription.localeCompare(b.subscription));
  }
  return [...hops.values()].sort((a, b) => time(a.occurredAt) - time(b.occurredAt) || firstHandled(a) - firstHandled(b));
}

function firstHandled(hop: Hop): number {
  return Math.min(...hop.deliveries.map((d) => time(d.handledAt)));
}

/** The first hop, in time, that was dead-lettered, set aside, not relayed yet, or that no subscription handled. */
export function stopOf(hops: readonly Hop[]): Stop | null {
  for (const hop of hops) {
    const dead = hop.deliveries.find((d) => d.outcome === 'dead_lettered');
    if (dead) return { hop, why: 'dead_lettered', delivery: dead };
    if (hop.publication === 'set_aside' || hop.publication === 'pending') return { hop, why: hop.publication };
    const expected = hop.deliveries.length > 0;
    if (expected && !hop.deliveries.some((d) => d.outcome === 'handled')) return { hop, why: 'unhandled' };
  }
  return null;
}

/** The journey of a cart, order or request id across every service. */
export async function loadJourney(id: string, client: ServiceClient, headers: Record<string, string>): Promise<Journey> {
  const correlationIds = await correlationIdsOf(id, client, headers);
  const { events, unreachable } = await gatherEvents(correlationIds, client, headers);
  const hops = buildHops(events);
  return { id, correlationIds, hops, stop: stopOf(hops), unreachable };
}
