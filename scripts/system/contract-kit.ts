// DESIGN.md's HTTP contract as the contract system test checks it: the resources' shapes written from the
// design (not imported from the apps, so an app that drifts from the design fails here), problem documents,
// and a fingerprint of everything the five audited services store, to show that a refused request wrote nothing.
import { expect } from 'vitest';
import { z } from 'zod';
import type { System } from './system';

const uuid = z.uuid();
const datetime = z.iso.datetime();
const cents = z.int().nonnegative();
const currency = z.string().regex(/^[A-Z]{3}$/);

/** `GET /products/:sku` and each item of `GET /products`: the catalog entry and inventory's `available`. */
export const ProductShape = z.looseObject({
  sku: z.string().min(1),
  name: z.string(),
  description: z.string(),
  price_cents: cents,
  currency,
  active: z.boolean(),
  available: z.int().nullable(),
  created_at: datetime,
  updated_at: datetime,
});

export const StockShape = z.looseObject({ sku: z.string().min(1), available: z.int().nonnegative(), reserved: z.int().nonnegative(), updated_at: datetime });

const RejectionShape = z.looseObject({
  reason: z.enum(['insufficient_stock', 'unknown_product']),
  details: z.array(z.looseObject({ product_sku: z.string(), requested: z.int().positive(), available: z.int().nonnegative() })),
});

const LineShape = z.looseObject({ product_sku: z.string(), name: z.string(), quantity: z.int().positive(), unit_price_cents: cents });

export const CartShape = z.looseObject({
  cart_id: uuid,
  customer_id: uuid,
  status: z.enum(['open', 'pending', 'ordered', 'stock-unavailable']),
  cart_locked: z.boolean(),
  items: z.array(LineShape),
  total_cents: cents,
  currency,
  order_id: uuid.nullable(),
  rejection: RejectionShape.nullable(),
});

const AddressShape = z.looseObject({
  name: z.string(),
  line1: z.string(),
  line2: z.string().nullable(),
  city: z.string(),
  postal_code: z.string(),
  country: z.string(),
});

export const OrderShape = z.looseObject({
  order_id: uuid,
  customer_id: uuid,
  cart_id: uuid.nullable(),
  status: z.enum(['confirmed', 'cancelled']),
  items: z.array(LineShape).min(1),
  total_cents: cents,
  currency,
  shipping_address: AddressShape.nullable(),
  note: z.string().nullable(),
  created_at: datetime,
});

export const BuyNowRequestShape = z.looseObject({
  request_id: uuid,
  status: z.enum(['pending', 'confirmed', 'rejected']),
  order_id: uuid.nullable(),
  rejection: RejectionShape.nullable(),
});

export const CustomerShape = z.looseObject({ customer_id: uuid, name: z.string(), email: z.string(), created_at: datetime, updated_at: datetime });

export const CheckoutAcceptedShape = z.looseObject({ cart_id: uuid, request_id: uuid, status: z.literal('pending') });
export const BuyNowAcceptedShape = z.looseObject({ request_id: uuid, status: z.literal('pending') });

export const pageOf = <S extends z.ZodType>(item: S) => z.strictObject({ items: z.array(item), next_cursor: z.string().min(1).nullable() });

/** Every member name, at any depth, is snake_case. */
function expectSnakeCase(value: unknown, path = '$'): void {
  if (Array.isArray(value)) return value.forEach((v, i) => expectSnakeCase(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    expect(key, `${path}.${key} is not snake_case`).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    expectSnakeCase(v, `${path}.${key}`);
  }
}

/** The body has every field of `shape` with its type (the issues show in the failure), all snake_case. */
export function expectShape<S extends z.ZodType>(shape: S, body: unknown): z.infer<S> {
  const result = shape.safeParse(body);
  expect(result.success ? [] : result.error.issues, JSON.stringify(body)).toEqual([]);
  expectSnakeCase(body);
  return result.data as z.infer<S>;
}

/** A JSON answer: the status, `application/json`, the parsed body (shown in the failure when it is wrong). */
export async function expectJsonAnswer<T = Record<string, unknown>>(res: Response | Promise<Response>, status: number): Promise<T> {
  const response = await res;
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  expect(response.headers.get('Content-Type') ?? '').toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

/**
 * An RFC 9457 problem document with `status`: `application/problem+json`, `type, title, status, detail`;
 * with `fieldErrors`, a non-empty `errors[]` (field problems).
 */
export async function expectProblem(res: Response | Promise<Response>, status: number, options: { fieldErrors?: boolean } = {}): Promise<ProblemBody> {
  const response = await res;
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  expect(response.headers.get('Content-Type') ?? '').toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as ProblemBody;
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  expect(body.type.length).toBeGreaterThan(0);
  if (options.fieldErrors) {
    expect(body.errors, 'errors[] lists the field problems').toEqual(
      expect.arrayContaining([expect.objectContaining({ field: expect.any(String), message: expect.any(String) })]),
    );
  }
  return body;
}

// Outbox rows are fingerprinted by identity only: the relay stamps published_at on rows already there.
const STORED: Record<string, string> = {
  'customer.customers': 't::text',
  'customer.outbox': 't.event_id::text',
  'customer.idempotency_keys': 't.scope || t.key || coalesce(t.status_code, 0)',
  'product.products': 't::text',
  'product.outbox': 't.event_id::text',
  'product.idempotency_keys': 't.scope || t.key || coalesce(t.status_code, 0)',
  'inventory.stock': 't::text',
  'inventory.reservations': 't::text',
  'inventory.outbox': 't.event_id::text',
  'cart.carts': 't::text',
  'cart.cart_items': 't::text',
  'cart.outbox': 't.event_id::text',
  'cart.idempotency_keys': 't.scope || t.key || coalesce(t.status_code, 0)',
  'order.orders': 't::text',
  'order.order_lines': 't::text',
  'order.buy_now_requests': 't::text',
  'order.outbox': 't.event_id::text',
  'order.idempotency_keys': 't.scope || t.key || coalesce(t.status_code, 0)',
};

/** A fingerprint of every row the five audited services store (what a request could have written). */
export async function storedState(system: System): Promise<Record<string, string>> {
  const union = Object.entries(STORED)
    .map(([table, row]) => {
      const [schema, name] = table.split('.');
      return `SELECT '${table}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(${row}, ',' ORDER BY ${row})), '') AS f FROM "${schema}"."${name}" t`;
    })
    .join(' UNION ALL ');
  const { rows } = await system.db.pool.query<{ t: string; f: string }>(union);
  return Object.fromEntries(rows.map((r) => [r.t, r.f]));
}

/** Runs refused requests on a quiet system and checks that nothing the services store changed. */
export async function expectNothingWritten(system: System, requests: () => Promise<void>): Promise<void> {
  await system.quiesce();
  const before = await storedState(system);
  await requests();
  await system.quiesce();
  expect(await storedState(system)).toEqual(before);
}

/** What a replayed answer must repeat. */
export async function answerOf(res: Response | Promise<Response>): Promise<{ status: number; location: string | null; body: unknown }> {
  const response = await res;
  return { status: response.status, location: response.headers.get('Location'), body: JSON.parse(await response.text()) as unknown };
}

/** A request with a raw body (malformed JSON, an empty body). */
export function raw(method: string, body: string, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json', ...headers }, body };
}
