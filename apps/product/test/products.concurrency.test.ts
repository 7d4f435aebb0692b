import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { fresh, outbox, outboxMark, productContext } from './product-test-kit';

let db: TestDatabase;
let app: ReturnType<typeof productContext>['app'];

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 20 });
  app = productContext(db).app;
});

describe('product writes under concurrency', () => {
  it('creates exactly one of 20 concurrent products with one SKU and publishes one event; the rest are 409', async () => {
    const sku = fresh('RACE');
    const mark = await outboxMark(db);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => app.request('/products', json('POST', { sku, name: `Racer ${i}`, price_cents: i }, adminHeaders))),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    const { rows } = await db.pool.query('SELECT name FROM product.products WHERE sku = $1', [sku]);
    expect(rows).toHaveLength(1);
    expect((await outbox(db, mark)).map((e) => e.payload)).toEqual([expect.objectContaining({ sku, name: rows[0].name })]);
  });

  it('publishes concurrent updates in the order they committed: the last product.upserted is the stored product', async () => {
    const sku = fresh('LAST');
    await app.request('/products', json('POST', { sku, name: 'Start', price_cents: 1 }, adminHeaders));
    const mark = await outboxMark(db);
    await Promise.all(Array.from({ length: 15 }, (_, i) => app.request(`/products/${sku}`, json('PUT', { price_cents: 100 + i }, adminHeaders))));
    const events = await outbox(db, mark);
    expect(events).toHaveLength(15);
    const { rows } = await db.pool.query('SELECT price_cents FROM product.products WHERE sku = $1', [sku]);
    expect(events.at(-1)!.payload['price_cents']).toBe(rows[0].price_cents);
  });
});
