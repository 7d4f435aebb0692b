// Multi-line checkouts racing single-line ones over the same SKUs, through the whole system: invariant 2 (all
// or nothing) and invariant 1 (no oversell) under contention, and no deadlock between requests, releases and
// commits that take the same SKUs in opposite line orders.
import { describe, expect, it } from 'vitest';
import { ADMIN } from './system';
import { asCustomer, expectJson, post, put, stockedProduct, useSystem } from './system-kit';
import {
  allOrders,
  createCustomers,
  expectNoFailedDeliveries,
  expectSettled,
  expectStockLedger,
  mapLimited,
  stockOf,
  type OrderView,
} from './race-kit';

// Inventory takes one request per transaction here, up to 8 at once (one per ordering key): the requests contend
// for the SKUs' row locks as they would across instances, instead of queueing inside one batch.
const system = await useSystem({ inventoryBatchSize: 1, logLevel: 'error' });
const A = 'DUO-A';
const B = 'DUO-B';
const STOCK = 30;
/** Well inside the tests' timeout, so a system that never settles fails with what is still pending. */
const QUIET_WITHIN_MS = 30_000;
const INITIAL = new Map([
  [A, STOCK],
  [B, STOCK],
]);
await stockedProduct(system, A, STOCK, 1000);
await stockedProduct(system, B, STOCK, 2500);

type Line = [sku: string, quantity: number];
/** What one customer asks for, in line order, and how: through the cart or buy now. */
interface Plan {
  customer: string;
  via: 'cart' | 'buy-now';
  lines: Line[];
}

interface Outcome {
  plan: Plan;
  confirmedOrder?: OrderView;
  rejection?: { reason: string; details: { product_sku: string; requested: number; available: number }[] };
}

/** Sends every plan at once (carts filled first, then all checkouts and buy-nows in flight together). */
async function race(plans: Plan[]): Promise<Outcome[]> {
  const carts = plans.filter((p) => p.via === 'cart');
  // Lines are added one after the other: the cart keeps their order, and so does its order-requested.
  await mapLimited(carts, 25, async (plan) => {
    for (const [sku, quantity] of plan.lines) {
      await expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(plan.customer))), 200);
    }
  });
  const accepted = await Promise.all(
    plans.map(async (plan) =>
      plan.via === 'cart'
        ? expectJson<{ request_id: string }>(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(plan.customer))), 202)
        : expectJson<{ request_id: string }>(
            system.request('order', '/orders', post({ items: plan.lines.map(([product_sku, quantity]) => ({ product_sku, quantity })) }, asCustomer(plan.customer))),
            202,
          ),
    ),
  );
  await system.quiesce(QUIET_WITHIN_MS);
  const orders = new Map((await allOrders(system)).map((o) => [o.request_id, o]));
  return mapLimited(plans, 25, async (plan, i) => {
    const requestId = accepted[i]!.request_id;
    type State = { status: string; order_id: string | null; rejection: Outcome['rejection'] | null };
    const state =
      plan.via === 'cart'
        ? await expectJson<State>(system.request('cart', '/cart', { headers: asCustomer(plan.customer) }), 200)
        : await expectJson<State>(system.request('order', `/orders/requests/${requestId}`, { headers: asCustomer(plan.customer) }), 200);
    const order = orders.get(requestId);
    // Exactly one outcome each: the order of this request, or a rejection and no order at all.
    expect({ status: state.status, order_id: state.order_id }, `${plan.via} of ${plan.customer}`).toEqual(
      order
        ? { status: plan.via === 'cart' ? 'ordered' : 'confirmed', order_id: order.order_id }
        : { status: plan.via === 'cart' ? 'stock-unavailable' : 'rejected', order_id: null },
    );
    return order ? { plan, confirmedOrder: order } : { plan, rejection: state.rejection! };
  });
}

/**
 * All or nothing, per request: a confirmed order has exactly the lines asked for; a rejection names only lines
 * asked for, each short of stock at the time, and took nothing (the ledger below and `expectSettled`).
 */
function expectAllOrNothing(outcomes: Outcome[]): void {
  for (const { plan, confirmedOrder, rejection } of outcomes) {
    const asked = Object.fromEntries(plan.lines);
    if (confirmedOrder) {
      expect(Object.fromEntries(confirmedOrder.items.map((l) => [l.product_sku, l.quantity])), `order of ${plan.customer}`).toEqual(asked);
    } else {
      expect(rejection!.reason).toBe('insufficient_stock');
      expect(rejection!.details.length).toBeGreaterThan(0);
      for (const detail of rejection!.details) {
        expect(detail.requested).toBe(asked[detail.product_sku]);
        expect(detail.available).toBeLessThan(detail.requested);
      }
    }
  }
}

const quantity = (i: number) => 1 + (i % 3);

describe('multi-line orders racing single-line orders over the same SKUs', () => {
  it('confirms each multi-line request whole or not at all, and sells exactly what orders hold', { timeout: 60_000 }, async () => {
    const customers = await createCustomers(system, 100, 'Duo');
    // 40 want A and B (half of them B first), 30 only A, 30 only B; through the cart or buy now alternately.
    const plans: Plan[] = customers.map((customer, i) => {
      const via = i % 2 === 0 ? 'cart' : 'buy-now';
      if (i < 40) return { customer, via, lines: i % 4 < 2 ? [[A, quantity(i)], [B, quantity(i + 1)]] : [[B, quantity(i)], [A, quantity(i + 1)]] };
      if (i < 70) return { customer, via, lines: [[A, quantity(i)]] };
      return { customer, via, lines: [[B, quantity(i)]] };
    });

    const outcomes = await race(plans);

    expectAllOrNothing(outcomes);
    const confirmed = outcomes.filter((o) => o.confirmedOrder);
    const multiLine = outcomes.filter((o) => o.plan.lines.length === 2);
    // The race was real: stock ran short, and both whole multi-line orders and rejected ones happened.
    expect(confirmed.length).toBeLessThan(outcomes.length);
    expect(multiLine.some((o) => o.confirmedOrder)).toBe(true);
    expect(multiLine.some((o) => o.rejection)).toBe(true);
    for (const sku of [A, B]) {
      const sold = confirmed.flatMap((o) => o.confirmedOrder!.items).filter((l) => l.product_sku === sku).reduce((n, l) => n + l.quantity, 0);
      expect(await stockOf(system, sku)).toMatchObject({ available: STOCK - sold, reserved: 0 });
    }
    await expectStockLedger(system, INITIAL);
    await expectSettled(system);
    await expectNoFailedDeliveries(system);
  });

  it('finishes every request when A+B and B+A race each other and the release of cancelled orders', { timeout: 60_000 }, async () => {
    const restocked = 40;
    for (const sku of [A, B]) {
      await expectJson(system.request('inventory', `/inventory/${sku}`, put({ available: restocked }, ADMIN)), 200);
    }
    await system.quiesce();
    const previous = (await allOrders(system)).filter((o) => o.status === 'confirmed');
    const customers = await createCustomers(system, 80, 'Crossed');
    const plans: Plan[] = customers.map((customer, i) => ({
      customer,
      via: 'buy-now',
      lines: i % 2 === 0 ? [[A, 1], [B, 1]] : [[B, 1], [A, 1]],
    }));

    // Every earlier order is cancelled while the crossed requests reserve: releases take both SKUs' locks too.
    const [outcomes] = await Promise.all([
      race(plans),
      mapLimited(previous, 8, (order) => expectJson(system.request('order', `/orders/${order.order_id}/cancel`, post({}, ADMIN)), 200)),
    ]);
    await system.quiesce(QUIET_WITHIN_MS);

    expectAllOrNothing(outcomes);
    expect(outcomes.filter((o) => o.confirmedOrder).length).toBeGreaterThanOrEqual(restocked);
    const cancelled = (await allOrders(system)).filter((o) => o.status === 'cancelled');
    expect(cancelled.map((o) => o.order_id).sort()).toEqual(previous.map((o) => o.order_id).sort());
    // Units stocked: the first test's 30 each, then set to 40 each while nothing was reserved; the earlier orders
    // were sold out of the first 30, so the PUT added 40 − what was left.
    const stocked = new Map<string, number>();
    for (const sku of [A, B]) {
      const soldBefore = previous.flatMap((o) => o.items).filter((l) => l.product_sku === sku).reduce((n, l) => n + l.quantity, 0);
      stocked.set(sku, soldBefore + restocked);
    }
    await expectStockLedger(system, stocked);
    await expectSettled(system);
    await expectNoFailedDeliveries(system);
  });
});
