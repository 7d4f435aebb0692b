import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OrderRequestedV1 } from '@shop/contracts';
import { applyMigrations, dropDatabase, ensureDatabase, MIGRATIONS_DIR, withClient, withDatabase } from '@shop/db';

// The migration that adds the re-ask schedule also schedules the checkouts already pending when it runs.
const REASK_MIGRATION = '20261205180000_checkout_reask';

const adminUrl = () => inject('pgAdminUrl');
let url: string;
let name: string;
let before: string;

beforeAll(async () => {
  name = `${inject('pgRunPrefix')}_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(adminUrl(), name);
  url = withDatabase(adminUrl(), name);
  before = await mkdtemp(join(tmpdir(), 'migrations-before-reask-'));
  for (const entry of await readdir(MIGRATIONS_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name >= REASK_MIGRATION) continue;
    await cp(join(MIGRATIONS_DIR, entry.name), join(before, entry.name), { recursive: true });
  }
  await applyMigrations(url, { dir: before });
});

afterAll(async () => {
  await rm(before, { recursive: true, force: true });
  await dropDatabase(adminUrl(), name);
});

describe(`migration ${REASK_MIGRATION} on checkouts pending when it runs`, () => {
  it('gives a pending cart its order-requested, rebuilt from its lines in order, asked when it last changed; others none', async () => {
    const customer = randomUUID();
    const [pending, open, requestId] = [randomUUID(), randomUUID(), randomUUID()];
    const buyNow = randomUUID();
    await withClient(url, async (c) => {
      await c.query(
        `INSERT INTO cart.carts (cart_id, customer_id, status, cart_locked, currency, request_id, updated_at) VALUES
           ($1, $3, 'pending', true, 'EUR', $4, '2026-12-01T10:00:00.123Z'), ($2, $3, 'open', false, 'EUR', NULL, now())`,
        [pending, open, customer, requestId],
      );
      await c.query(
        `INSERT INTO cart.cart_items (cart_id, product_sku, name, quantity, unit_price_cents, added_at) VALUES
           ($1, 'MUG-01', 'Mug', 1, 1250, '2026-12-01T09:00:00Z'), ($1, 'TEE-RED', 'Tee', 2, 1999, '2026-12-01T08:00:00Z'),
           ($2, 'TEE-RED', 'Tee', 1, 1999, now())`,
        [pending, open],
      );
      await c.query(
        `INSERT INTO "order".buy_now_requests (request_id, customer_id, status, items, currency, created_at, updated_at)
         VALUES ($1, $2, 'pending', '[]', 'EUR', '2026-12-01T11:00:00.456Z', now())`,
        [buyNow, customer],
      );
    });

    await applyMigrations(url);

    await withClient(url, async (c) => {
      const { rows } = await c.query(`SELECT cart_id, order_request, asked_at, reask_count FROM cart.carts WHERE customer_id = $1 ORDER BY status`, [customer]);
      expect(rows).toEqual([
        { cart_id: open, order_request: null, asked_at: null, reask_count: 0 },
        {
          cart_id: pending,
          order_request: {
            request_id: requestId,
            source: 'cart',
            cart_id: pending,
            customer_id: customer,
            items: [
              { product_sku: 'TEE-RED', quantity: 2, unit_price_cents: 1999 },
              { product_sku: 'MUG-01', quantity: 1, unit_price_cents: 1250 },
            ],
            currency: 'EUR',
            requested_at: '2026-12-01T10:00:00.123Z',
          },
          asked_at: new Date('2026-12-01T10:00:00.123Z'),
          reask_count: 0,
        },
      ]);
      expect(OrderRequestedV1.safeParse(rows[1].order_request).success).toBe(true);
      const requests = await c.query(`SELECT asked_at, reask_count FROM "order".buy_now_requests WHERE request_id = $1`, [buyNow]);
      expect(requests.rows).toEqual([{ asked_at: new Date('2026-12-01T11:00:00.456Z'), reask_count: 0 }]);
    });
  });
});
