// Helpers the system tests share: a started system over this file's own database, seeded through the
// services' own use cases, and small HTTP helpers speaking DESIGN.md's contract.
import { afterAll, expect } from 'vitest';
import type { ServiceName } from '@shop/contracts';
import { useTestDatabase } from '@shop/testing';
import { seed } from '../seed';
import { ADMIN, startSystem, type System, type SystemOptions } from './system';

export const JOHN = '550e8400-e29b-41d4-a716-446655440000';
export const JANE = '550e8400-e29b-41d4-a716-446655440001';

export const asCustomer = (id: string) => ({ 'X-Customer-Id': id });

export function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function put(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The whole system on a fresh database of this file's, seeded and quiet; stopped after the file. */
export async function useSystem(options: Omit<SystemOptions, 'databaseUrl'> = {}): Promise<System> {
  const db = await useTestDatabase({ poolMax: 4 });
  await seed(db.url);
  const system = await startSystem({ databaseUrl: db.url, ...options });
  afterAll(() => system.stop());
  await system.quiesce();
  return system;
}

/** A JSON answer with the expected status (the body shows in the failure when it is not). */
export async function expectJson<T = Record<string, unknown>>(res: Promise<Response> | Response, status: number): Promise<T> {
  const response = await res;
  const body = await response.text();
  expect({ status: response.status, body }).toMatchObject({ status });
  return (body ? JSON.parse(body) : undefined) as T;
}

/** Creates a product with stock through the admin API and waits until cart and product know it. */
export async function stockedProduct(system: System, sku: string, available: number, priceCents = 1000): Promise<void> {
  await expectJson(system.request('product', '/products', post({ sku, name: `Product ${sku}`, price_cents: priceCents }, ADMIN)), 201);
  await expectJson(system.request('inventory', '/inventory', post({ sku, available }, ADMIN)), 201);
  await system.quiesce();
}

/** Polls `read` until `done` holds for what it returns. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type { ServiceName, System };
