// event_delivery_lag_seconds on the embedded transport: the age of the oldest message a subscription has not
// acknowledged, read from pg-boss's job table.
import { afterAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { testLogger, useTestDatabase } from '@shop/testing';
import { createPgBossTransport, type IncomingMessage, type Transport } from '../src';

const db = await useTestDatabase();
const transports: Transport[] = [];
afterAll(() => Promise.all(transports.map((t) => t.close())));

function transport(): Transport {
  const created = createPgBossTransport({ databaseUrl: db.url, topology: SUBSCRIPTIONS, logger: testLogger() });
  transports.push(created);
  return created;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the pg-boss transport's deliveryLag", () => {
  it('answers 0 for every subscription before the transport started, without starting it', async () => {
    const idle = transport();
    expect(await idle.deliveryLag!(['product.stock.changed'])).toEqual(new Map([['product.stock.changed', 0]]));
  });

  it('gives the age of the oldest unacknowledged message per subscription, and 0 once it is acknowledged', async () => {
    const embedded = transport();
    await embedded.publish([{ id: '1', topic: 'stock.changed', eventId: 'e-lag', orderingKey: 'SKU-LAG', attributes: { event_id: 'e-lag' }, data: '{}' }]);
    await new Promise((r) => setTimeout(r, 1_200));
    const waiting = await embedded.deliveryLag!(['product.stock.changed', 'inventory.order-requested']);
    expect(waiting.get('product.stock.changed')).toBeGreaterThanOrEqual(1.2);
    expect(waiting.get('product.stock.changed')).toBeLessThan(30);
    // Nothing was published to it: nothing waits.
    expect(waiting.get('inventory.order-requested')).toBe(0);

    const spec = SUBSCRIPTIONS.find((s) => s.name === 'product.stock.changed')!;
    await embedded.subscribe(spec, async (messages: IncomingMessage[]) => messages.map(() => ({ status: 'ack' as const })));
    await until(async () => (await embedded.deliveryLag!(['product.stock.changed'])).get('product.stock.changed') === 0);
  });
});
