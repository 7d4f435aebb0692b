import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { fresh, productContext, stockChanged, type Product } from './product-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof productContext>;

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 12 });
  context = productContext(db);
});

const SUBSCRIPTION = 'product.stock.changed';

async function availability(sku: string): Promise<{ available: number; version: number } | undefined> {
  const { rows } = await db.pool.query('SELECT available, version::int AS version FROM product.availability WHERE sku = $1', [sku]);
  return rows[0];
}

async function productWith(sku: string): Promise<Product> {
  const res = await context.app.request('/products', json('POST', { sku, name: 'Stocked', price_cents: 100 }, adminHeaders));
  expect(res.status).toBe(201);
  return (await res.json()) as Product;
}

async function shownAvailable(sku: string): Promise<number | null> {
  return ((await (await context.app.request(`/products/${sku}`)).json()) as Product).available;
}

describe('stock.changed handler', () => {
  it('shows the published availability on the product, null before any', async () => {
    const sku = fresh('AV');
    await productWith(sku);
    expect(await shownAvailable(sku)).toBeNull();
    expect(await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 12, version: 1 })])).toEqual([{ status: 'ack' }]);
    expect(await shownAvailable(sku)).toBe(12);
    await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 0, version: 2 })]);
    expect(await shownAvailable(sku)).toBe(0);
  });

  it('has one effect when the same message is delivered twice', async () => {
    const sku = fresh('DUP');
    const delivery = stockChanged({ sku, available: 5, version: 4 });
    expect(await context.events.consumer.deliver(SUBSCRIPTION, [delivery])).toEqual([{ status: 'ack' }]);
    expect(await context.events.consumer.deliver(SUBSCRIPTION, [delivery])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await availability(sku)).toEqual({ available: 5, version: 4 });
  });

  it('ignores a version older than, or equal to, the one stored (a reordered or repeated change)', async () => {
    const sku = fresh('OLD');
    await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 3, version: 7 })]);
    expect(await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 9, version: 6 })])).toEqual([{ status: 'ack' }]);
    expect(await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 8, version: 7 })])).toEqual([{ status: 'ack' }]);
    expect(await availability(sku)).toEqual({ available: 3, version: 7 });
    await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 1, version: 9 })]);
    expect(await availability(sku)).toEqual({ available: 1, version: 9 });
  });

  it('settles on the highest version when many versions arrive at once, in any order', async () => {
    const sku = fresh('RACE');
    const versions = Array.from({ length: 30 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(versions.map((v) => context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: v * 10, version: v })])));
    expect(await availability(sku)).toEqual({ available: 300, version: 30 });
  });

  it('keeps the availability of a SKU not in the catalog yet, and shows it once the product is created', async () => {
    const sku = fresh('LATER');
    await context.events.consumer.deliver(SUBSCRIPTION, [stockChanged({ sku, available: 4, version: 1 })]);
    expect((await productWith(sku)).available).toBe(4);
  });

  it.each([
    ['a negative level', { available: -1, version: 1 }],
    ['version 0', { available: 1, version: 0 }],
    ['no version', { available: 1 }],
  ])('dead-letters %s at once, storing nothing', async (_label, fields) => {
    const sku = fresh('BAD');
    const valid = stockChanged({ sku, available: 1, version: 1 });
    const outcome = await context.events.consumer.deliver(SUBSCRIPTION, [{ ...valid, data: JSON.stringify({ sku, ...fields }) }]);
    expect(outcome).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await availability(sku)).toBeUndefined();
    const letters = await context.events.consumer.deadLetters.list({ limit: 100 });
    expect(letters.some((l) => l.event_id === valid.attributes['event_id'])).toBe(true);
  });

  it('covers every topic the topology routes to the product service', () => {
    expect(context.events.unhandledTopics()).toEqual([]);
  });
});
