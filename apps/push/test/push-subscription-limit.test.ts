import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { testAppContext } from '@shop/service/test';
import { createApp } from '../src/app';
import { MAX_SUBSCRIPTIONS_PER_CUSTOMER } from '../src/domain/subscriptions';
import { fakeBrowser, knowCustomers } from './push-test-kit';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 12 });
  app = createApp(testAppContext('push', db)).app;
});

interface Subscribed {
  endpoint: string;
  subscription_id: string;
  updated_at: string;
}

async function newCustomer(): Promise<string> {
  const id = randomUUID();
  await knowCustomers(db, id);
  return id;
}

const endpoint = () => `https://fcm.googleapis.com/fcm/send/${randomUUID()}`;

async function subscribe(customerId: string, at = endpoint()): Promise<Subscribed> {
  const res = await app.request('/subscriptions', json('POST', { endpoint: at, expirationTime: null, keys: fakeBrowser().keys }, { 'X-Customer-Id': customerId }));
  expect(res.status).toBe(201);
  return (await res.json()) as Subscribed;
}

async function endpointsOf(customerId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ endpoint: string }>('SELECT endpoint FROM push.subscriptions WHERE customer_id = $1 ORDER BY endpoint', [customerId]);
  return rows.map((r) => r.endpoint);
}

describe('a customer\'s push subscriptions', () => {
  it('are at most 10: the 11th browser unsubscribes the least recently subscribed one', async () => {
    expect(MAX_SUBSCRIPTIONS_PER_CUSTOMER).toBe(10);
    const customer = await newCustomer();
    const browsers: string[] = [];
    for (let i = 0; i < 10; i++) browsers.push((await subscribe(customer)).endpoint);
    expect(await endpointsOf(customer)).toEqual([...browsers].sort());

    const eleventh = (await subscribe(customer)).endpoint;
    expect(await endpointsOf(customer)).toEqual([...browsers.slice(1), eleventh].sort());
  });

  it('count a browser subscribed again once, and refresh it: it is then the newest, not the next to go', async () => {
    const customer = await newCustomer();
    const browsers: string[] = [];
    for (let i = 0; i < 10; i++) browsers.push((await subscribe(customer)).endpoint);
    await subscribe(customer, browsers[0]);
    expect(await endpointsOf(customer)).toEqual([...browsers].sort());

    const eleventh = (await subscribe(customer)).endpoint;
    expect(await endpointsOf(customer)).toEqual([browsers[0]!, ...browsers.slice(2), eleventh].sort());
  });

  it('leave other customers\' subscriptions alone, also when a browser changes hands', async () => {
    const [customer, neighbour] = [await newCustomer(), await newCustomer()];
    const theirs: string[] = [];
    for (let i = 0; i < 3; i++) theirs.push((await subscribe(neighbour)).endpoint);
    for (let i = 0; i < 10; i++) await subscribe(customer);
    // The neighbour signs in on one of the customer's browsers: it moves, and nothing else of theirs goes.
    const shared = (await endpointsOf(customer))[0]!;
    await subscribe(neighbour, shared);
    expect(await endpointsOf(neighbour)).toEqual([...theirs, shared].sort());
    expect(await endpointsOf(customer)).toHaveLength(9);
    for (let i = 0; i < 12; i++) await subscribe(customer);
    expect(await endpointsOf(neighbour)).toEqual([...theirs, shared].sort());
  });

  it('are exactly the 10 newest after 30 concurrent subscribes of one customer', async () => {
    const customer = await newCustomer();
    const answers = await Promise.all(Array.from({ length: 30 }, () => subscribe(customer)));
    const kept = await endpointsOf(customer);
    expect(kept).toHaveLength(10);
    // Newest by the time each was stamped under the customer's lock: every kept one is at least as new as every removed one.
    const stamp = new Map(answers.map((a) => [a.endpoint, Date.parse(a.updated_at)]));
    const removed = answers.map((a) => a.endpoint).filter((e) => !kept.includes(e));
    expect(removed).toHaveLength(20);
    expect(Math.min(...kept.map((e) => stamp.get(e)!))).toBeGreaterThanOrEqual(Math.max(...removed.map((e) => stamp.get(e)!)));
  });
});
