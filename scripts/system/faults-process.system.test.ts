// Invariants 1–9 when a service process dies mid-sale: inventory, then order, then cart are killed with SIGKILL
// while 200 customers race for 40 units (cart and buy now), each restarted at once with the same settings.
// Whatever each had in flight (a batch of reservations, orders being created, checkouts being accepted) is
// recovered by redelivery and by the requesters asking again; the test waits until the system is quiet.
import { describe, expect, it } from 'vitest';
import type { ServiceName } from '@shop/contracts';
import { useTestDatabase } from '@shop/testing';
import { expectSaleInvariants, FAST_RECOVERY, flashSale, untilQuietAfterFault, useServiceProcesses } from './fault-kit';

const database = await useTestDatabase({ poolMax: 2 });
const stack = await useServiceProcesses(database.url, FAST_RECOVERY);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a flash sale while services are killed', () => {
  it('kill -9 of inventory, order and cart in turn, each restarted: nothing oversold, nothing pending, one e-mail per order', { timeout: 300_000 }, async () => {
    const killed: { service: ServiceName; downMs: number }[] = [];
    const outcomes = await flashSale(
      stack,
      { sku: 'FAULT-KILL', units: 40, customers: 200, buyNowEvery: 4, spreadMs: 8_000, deadline: Date.now() + 150_000 },
      async () => {
        for (const service of ['inventory', 'order', 'cart'] as const) {
          await sleep(1_000);
          const pid = stack.processes.pids[service];
          const down = Date.now();
          await stack.processes.kill(service);
          await stack.processes.restart(service);
          killed.push({ service, downMs: Date.now() - down });
          expect(stack.processes.pids[service]).not.toBe(pid);
        }
      },
    );
    expect(killed.map((k) => k.service)).toEqual(['inventory', 'order', 'cart']);
    // Invariant 8's bound once every service runs again: the TTL (60 s) plus grace (2 s) plus one retry period
    // (8 s), plus the 15 s pg-boss takes to retry a message the killed process held.
    await untilQuietAfterFault(stack, 90_000);
    await expectSaleInvariants(stack, 'FAULT-KILL', 40, outcomes);
  });
});
