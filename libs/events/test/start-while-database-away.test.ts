// A service restarted just before a PostgreSQL outage starts its transport while the database is away: the
// embedded transport must wait for it and then work, not fail for good (the chaos benchmark found a cart
// process that died of it). Its own cluster, stopped for a few seconds.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { applyMigrations, ensureDatabase, withDatabase } from '@shop/db';
import { startEmbeddedPostgres, testLogger } from '@shop/testing';
import { createPgBossTransport, type IncomingMessage } from '../src';

const server = await startEmbeddedPostgres({ dataDir: join(tmpdir(), `shop-away-${randomBytes(4).toString('hex')}`), persistent: false, durable: false });
afterAll(() => server.stop());
const url = withDatabase(server.url, 'shop');
await ensureDatabase(server.url, 'shop');
await applyMigrations(url);

describe('the embedded transport started while PostgreSQL is away', () => {
  it('waits for the database, then subscribes and delivers', { timeout: 90_000 }, async () => {
    const restarted = server.restart(6_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const transport = createPgBossTransport({ databaseUrl: url, topology: SUBSCRIPTIONS, logger: testLogger() });
    try {
      const spec = SUBSCRIPTIONS.find((s) => s.name === 'product.stock.changed')!;
      const received: string[] = [];
      // Both wait for the start that began while the database was down.
      const subscribed = transport.subscribe(spec, async (messages: IncomingMessage[]) => {
        received.push(...messages.map((m) => m.attributes['event_id']!));
        return messages.map(() => ({ status: 'ack' as const }));
      });
      await restarted;
      await subscribed;
      await transport.publish([{ id: '1', topic: 'stock.changed', eventId: 'e-1', orderingKey: 'SKU-AWAY', attributes: { event_id: 'e-1' }, data: '{}' }]);
      const deadline = Date.now() + 20_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(received).toEqual(['e-1']);
    } finally {
      await transport.close();
    }
  });
});
