import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { subscriptionName, type PayloadOf, type ServiceName, type TopicName } from '@shop/contracts';
import { quoteIdent } from '@shop/db';
import type { DeliveryOutcome, IncomingMessage } from '@shop/events';
import type { TestAppContext } from './app-context';
import { wireMessage } from './wire-message';

/** A service as the read-model suites drive it: its app context, whose event runtime has the real handlers. */
export interface ReadModelHarness {
  context: TestAppContext;
}

export interface CustomerReadModelHarness extends ReadModelHarness {
  /** A request of the service that only a known customer may make, made as `customerId`: `200` while known. */
  requestAs(customerId: string): Promise<Response>;
}

export interface ProductReadModelHarness extends ReadModelHarness {
  /** A request taking one of `sku` as a known customer: `2xx` while the product is offered, `422` when not. */
  take(sku: string): Promise<Response>;
}

/** Moments on one test's clock, one second apart, far from the wall clock's events of the other tests. */
const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 10, 0, second)).toISOString();

function sentAt<T extends TopicName>(occurredAt: string, topic: T, payload: PayloadOf<T>): IncomingMessage {
  return wireMessage(topic, payload, { occurredAt });
}

async function deliverTo(service: ServiceName, h: ReadModelHarness, message: IncomingMessage): Promise<DeliveryOutcome> {
  const topic = message.attributes['event_type'] as TopicName;
  const [outcome] = await h.context.events.consumer.deliver(subscriptionName(service, topic), [message]);
  return outcome!;
}

/** Delivers in the order given, each acknowledged as new. */
async function deliverAll(service: ServiceName, h: ReadModelHarness, ...messages: IncomingMessage[]): Promise<void> {
  for (const message of messages) expect(await deliverTo(service, h, message)).toEqual({ status: 'ack' });
}

/** `[a, b]` or `[b, a]`, as a test's `%s` names the order. */
const inOrder = <T>(first: 'given' | 'reversed', a: T, b: T): [T, T] => (first === 'given' ? [a, b] : [b, a]);

/**
 * The behaviour every service's read model of customers must have, checked through the service's own event
 * handlers and its own customer identity (DESIGN.md: `401` for a customer it does not know). `keepsContact`
 * says whether the service keeps names and addresses (`customerReadModel`'s option).
 */
export function describeCustomerReadModel(service: ServiceName, options: { keepsContact: boolean }, harness: () => CustomerReadModelHarness): void {
  const table = `${quoteIdent(service)}.customers`;
  const deliver = (...messages: IncomingMessage[]) => deliverAll(service, harness(), ...messages);
  const upserted = (occurredAt: string, customer_id: string, name = 'Ada Lovelace') =>
    sentAt(occurredAt, 'customer.upserted', { customer_id, name, email: `${name.split(' ')[0]!.toLowerCase()}.${customer_id.slice(0, 8)}@example.com` });
  const deleted = (occurredAt: string, customer_id: string) => sentAt(occurredAt, 'customer.deleted', { customer_id });
  const statusOf = async (customerId: string) => (await harness().requestAs(customerId)).status;

  async function rowOf(customerId: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await harness().context.db.pool.query(`SELECT * FROM ${table} WHERE customer_id = $1::uuid`, [customerId]);
    return rows[0];
  }
  /** The row for a customer whose newest event occurred at `occurredAt`: an upsert with `contact`, or (null) a deletion. */
  function expectedRow(customerId: string, occurredAt: string, contact: { name: string; email: string } | null): Record<string, unknown> {
    const personal = options.keepsContact ? { name: contact?.name ?? null, email: contact?.email ?? null } : {};
    return { customer_id: customerId, ...personal, deleted_at: contact ? null : new Date(occurredAt), updated_at: new Date(occurredAt) };
  }
  const contactOf = (message: IncomingMessage) => JSON.parse(message.data as string) as { name: string; email: string };

  describe(`${service}: the read model of customers`, () => {
    it('knows a customer from customer.upserted: its id is accepted, the row dated by the event', async () => {
      const id = randomUUID();
      expect(await statusOf(id)).toBe(401);
      const upsert = upserted(at(0), id);
      await deliver(upsert);
      expect(await statusOf(id)).toBe(200);
      expect(await rowOf(id)).toEqual(expectedRow(id, at(0), contactOf(upsert)));
    });

    it('keeps the newest description: a newer customer.upserted replaces it, an older one changes nothing', async () => {
      const id = randomUUID();
      const newer = upserted(at(1), id, 'Grace Hopper');
      await deliver(upserted(at(0), id), newer, upserted(at(0), id, 'Old Name'));
      expect(await rowOf(id)).toEqual(expectedRow(id, at(1), contactOf(newer)));
    });

    it('changes nothing when customer.upserted or customer.deleted is delivered again', async () => {
      const id = randomUUID();
      const upsert = upserted(at(0), id);
      await deliver(upsert);
      const known = await rowOf(id);
      expect(await deliverTo(service, harness(), upsert)).toEqual({ status: 'ack', duplicate: true });
      expect(await rowOf(id)).toEqual(known);
      const remove = deleted(at(1), id);
      await deliver(remove);
      await deliver(upserted(at(2), id, 'Again'));
      const again = await rowOf(id);
      // The old deletion, redelivered, is recognised by its event id and does not forget the customer again.
      expect(await deliverTo(service, harness(), remove)).toEqual({ status: 'ack', duplicate: true });
      expect(await rowOf(id)).toEqual(again);
      expect(await statusOf(id)).toBe(200);
    });

    it('makes a customer unknown (401) on customer.deleted, keeping a tombstone without personal data dated by the event', async () => {
      const id = randomUUID();
      await deliver(upserted(at(0), id));
      await deliver(deleted(at(1), id));
      expect(await statusOf(id)).toBe(401);
      expect(await rowOf(id)).toEqual(expectedRow(id, at(1), null));
    });

    it('keeps a tombstone for a customer deleted before it was ever seen', async () => {
      const id = randomUUID();
      await deliver(deleted(at(1), id));
      expect(await statusOf(id)).toBe(401);
      expect(await rowOf(id)).toEqual(expectedRow(id, at(1), null));
    });

    // customer.upserted and customer.deleted travel on different subscriptions: either may be handled first.
    it('keeps a deleted customer unknown (401) when an older customer.upserted is handled after the deletion', async () => {
      const id = randomUUID();
      await deliver(deleted(at(1), id), upserted(at(0), id));
      expect(await statusOf(id)).toBe(401);
      expect(await rowOf(id)).toEqual(expectedRow(id, at(1), null));
    });

    // A deleted customer may be created again with its id (the seed re-creates its customers on every start).
    it.each(['given', 'reversed'] as const)('knows a customer created again after its deletion (a newer customer.upserted), handled in the %s order', async (order) => {
      const id = randomUUID();
      await deliver(upserted(at(0), id));
      const again = upserted(at(2), id, 'Ada Again');
      await deliver(...inOrder(order, deleted(at(1), id), again));
      expect(await statusOf(id)).toBe(200);
      expect(await rowOf(id)).toEqual(expectedRow(id, at(2), contactOf(again)));
    });

    it.each(['given', 'reversed'] as const)('lets customer.deleted win over a customer.upserted of the same moment, handled in the %s order', async (order) => {
      const id = randomUUID();
      await deliver(...inOrder(order, deleted(at(1), id), upserted(at(1), id)));
      expect(await statusOf(id)).toBe(401);
      expect(await rowOf(id)).toEqual(expectedRow(id, at(1), null));
    });

    it('ends with the newest event when customer.upserted and customer.deleted are delivered at the same moment', async () => {
      // Half the customers were deleted last, half created again last; none was seen before, so the first
      // writes race to insert the row as well.
      const cases = Array.from({ length: 8 }, (_, i) => ({ id: randomUUID(), isDeletedLast: i % 2 === 0 }));
      const messages = cases.flatMap(({ id, isDeletedLast }) => [deleted(at(isDeletedLast ? 2 : 1), id), upserted(at(isDeletedLast ? 1 : 2), id)]);
      const outcomes = await Promise.all(messages.map((m) => deliverTo(service, harness(), m)));
      expect(outcomes).toEqual(messages.map(() => ({ status: 'ack' })));
      for (const [i, { id, isDeletedLast }] of cases.entries()) {
        expect(await statusOf(id)).toBe(isDeletedLast ? 401 : 200);
        expect(await rowOf(id)).toEqual(expectedRow(id, at(2), isDeletedLast ? null : contactOf(messages[2 * i + 1]!)));
      }
    });
  });
}

/**
 * The behaviour every service's read model of the catalog must have, checked through the service's own event
 * handlers and the request that takes a product (`422` for one it does not offer).
 */
export function describeProductReadModel(service: ServiceName, harness: () => ProductReadModelHarness): void {
  const table = `${quoteIdent(service)}.products`;
  const deliver = (...messages: IncomingMessage[]) => deliverAll(service, harness(), ...messages);
  const newSku = () => `RM-${randomUUID().slice(0, 8).toUpperCase()}`;
  const upserted = (occurredAt: string, sku: string, overrides: Partial<PayloadOf<'product.upserted'>> = {}) =>
    sentAt(occurredAt, 'product.upserted', { sku, name: 'Lamp', description: '', price_cents: 3000, currency: 'EUR', active: true, ...overrides });
  const deleted = (occurredAt: string, sku: string) => sentAt(occurredAt, 'product.deleted', { sku });
  const statusOf = async (sku: string) => (await harness().take(sku)).status;

  async function rowOf(sku: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await harness().context.db.pool.query(
      `SELECT sku, name, price_cents, currency, active, deleted_at, updated_at FROM ${table} WHERE sku = $1`,
      [sku],
    );
    return rows[0];
  }
  /** The row for a product as `message` (a product.upserted) described it at `occurredAt`. */
  function describedBy(message: IncomingMessage, occurredAt: string): Record<string, unknown> {
    const p = JSON.parse(message.data as string) as PayloadOf<'product.upserted'>;
    return { sku: p.sku, name: p.name, price_cents: p.price_cents, currency: p.currency, active: p.active, deleted_at: null, updated_at: new Date(occurredAt) };
  }
  const tombstone = (occurredAt: string) => ({ active: false, deleted_at: new Date(occurredAt), updated_at: new Date(occurredAt) });

  describe(`${service}: the read model of the catalog`, () => {
    it('offers a product from product.upserted, replaced whole by a newer one, not by an older one', async () => {
      const sku = newSku();
      expect(await statusOf(sku)).toBe(422);
      const first = upserted(at(0), sku);
      await deliver(first);
      expect(await rowOf(sku)).toEqual(describedBy(first, at(0)));
      expect((await harness().take(sku)).ok).toBe(true);
      const newer = upserted(at(2), sku, { name: 'Desk lamp', price_cents: 3500 });
      await deliver(newer, upserted(at(1), sku, { name: 'Old lamp', price_cents: 100 }));
      expect(await rowOf(sku)).toEqual(describedBy(newer, at(2)));
    });

    it('does not offer a product upserted inactive, and keeps it a product rather than a tombstone', async () => {
      const sku = newSku();
      const inactive = upserted(at(0), sku, { active: false });
      await deliver(inactive);
      expect(await statusOf(sku)).toBe(422);
      expect(await rowOf(sku)).toEqual(describedBy(inactive, at(0)));
    });

    it('changes nothing when product.upserted or product.deleted is delivered again', async () => {
      const sku = newSku();
      const upsert = upserted(at(0), sku);
      await deliver(upsert);
      const offered = await rowOf(sku);
      expect(await deliverTo(service, harness(), upsert)).toEqual({ status: 'ack', duplicate: true });
      expect(await rowOf(sku)).toEqual(offered);
      const remove = deleted(at(1), sku);
      await deliver(remove, upserted(at(2), sku, { name: 'Back' }));
      const back = await rowOf(sku);
      expect(await deliverTo(service, harness(), remove)).toEqual({ status: 'ack', duplicate: true });
      expect(await rowOf(sku)).toEqual(back);
    });

    it('stops offering a product on product.deleted, keeping an inactive tombstone dated by the event', async () => {
      const sku = newSku();
      await deliver(upserted(at(0), sku), deleted(at(1), sku));
      expect(await statusOf(sku)).toBe(422);
      expect(await rowOf(sku)).toMatchObject(tombstone(at(1)));
    });

    it('never offers a SKU deleted before it was ever seen', async () => {
      const sku = newSku();
      await deliver(deleted(at(1), sku));
      expect(await statusOf(sku)).toBe(422);
      expect(await rowOf(sku)).toMatchObject(tombstone(at(1)));
    });

    // product.upserted and product.deleted travel on different subscriptions: either may be handled first.
    it('keeps a product deleted when an older product.upserted is handled after its product.deleted', async () => {
      const sku = newSku();
      await deliver(deleted(at(1), sku), upserted(at(0), sku));
      expect(await statusOf(sku)).toBe(422);
      expect(await rowOf(sku)).toMatchObject(tombstone(at(1)));
    });

    it.each(['given', 'reversed'] as const)('offers a product created again after its deletion (a newer product.upserted), handled in the %s order', async (order) => {
      const sku = newSku();
      await deliver(upserted(at(0), sku));
      const again = upserted(at(2), sku, { name: 'Again', price_cents: 200 });
      await deliver(...inOrder(order, deleted(at(1), sku), again));
      expect(await rowOf(sku)).toEqual(describedBy(again, at(2)));
      expect((await harness().take(sku)).ok).toBe(true);
    });

    it.each(['given', 'reversed'] as const)('lets product.deleted win over a product.upserted of the same moment, handled in the %s order', async (order) => {
      const sku = newSku();
      await deliver(...inOrder(order, deleted(at(1), sku), upserted(at(1), sku)));
      expect(await statusOf(sku)).toBe(422);
      expect(await rowOf(sku)).toMatchObject(tombstone(at(1)));
    });

    it('ends with the newest event when product.upserted and product.deleted are delivered at the same moment', async () => {
      const cases = Array.from({ length: 8 }, (_, i) => ({ sku: newSku(), isDeletedLast: i % 2 === 0 }));
      const messages = cases.flatMap(({ sku, isDeletedLast }) => [deleted(at(isDeletedLast ? 2 : 1), sku), upserted(at(isDeletedLast ? 1 : 2), sku)]);
      const outcomes = await Promise.all(messages.map((m) => deliverTo(service, harness(), m)));
      expect(outcomes).toEqual(messages.map(() => ({ status: 'ack' })));
      for (const [i, { sku, isDeletedLast }] of cases.entries()) {
        if (isDeletedLast) {
          expect(await rowOf(sku)).toMatchObject(tombstone(at(2)));
          expect(await statusOf(sku)).toBe(422);
        } else {
          expect(await rowOf(sku)).toEqual(describedBy(messages[2 * i + 1]!, at(2)));
          expect((await harness().take(sku)).ok).toBe(true);
        }
      }
    });
  });
}
