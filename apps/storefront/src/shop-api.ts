import { randomUUID } from 'node:crypto';
import type { Page } from '@shop/http/web';
import type { IdentityMode } from './identity';
import { identityHeaders } from './identity';
import { readAnswer, type ServiceClient } from './service-client';
import type { Shopper } from './session';

// The shapes the storefront reads: the services' JSON as DESIGN.md defines it (only the fields pages show).
export interface Product {
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  available: number | null;
}
export interface Line {
  product_sku: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
}
export interface Shortfall {
  product_sku: string;
  requested: number;
  available: number;
}
export interface Rejection {
  reason: string;
  details: Shortfall[];
}
export type CartStatus = 'open' | 'pending' | 'ordered' | 'stock-unavailable';
export interface Cart {
  cart_id: string | null;
  status: CartStatus;
  cart_locked: boolean;
  items: Line[];
  total_cents: number;
  currency: string | null;
  order_id: string | null;
  rejection: Rejection | null;
}
export interface ShippingAddress {
  name: string;
  line1: string;
  line2: string | null;
  city: string;
  postal_code: string;
  country: string;
}
export interface Order {
  order_id: string;
  status: 'confirmed' | 'cancelled';
  items: Line[];
  total_cents: number;
  currency: string;
  shipping_address: ShippingAddress | null;
  note: string | null;
  created_at: string;
  cancelled_at: string | null;
}
export interface Notification {
  notification_id: string;
  type: string;
  channel: string;
  status: string;
  subject: string;
  text: string;
  order_id: string | null;
  created_at: string;
}
export interface Customer {
  customer_id: string;
  name: string;
  email: string;
}
export interface PushSubscriptionBody {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** `GET /products`'s filters, as the product service names them. */
export interface CatalogQuery {
  q?: string;
  min_price_cents?: number;
  max_price_cents?: number;
  sort?: string;
  cursor?: string;
}

/**
 * The services' APIs as the storefront uses them: each call names its service, path and identity once, and
 * answers the resource or throws `ServiceProblem` (a refusal) or `ServiceUnreachable`.
 */
export function shopApi(client: ServiceClient, options: { mode: IdentityMode; adminToken?: string | undefined; supportToken?: string | undefined }) {
  const as = (shopper: Shopper) => identityHeaders(shopper, options.mode);
  const bearer = (token: string | undefined): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});
  return {
    async products(query: CatalogQuery): Promise<Page<Product>> {
      const params = new URLSearchParams({ limit: '24' });
      for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
      return readAnswer('product', await client('product', `/products?${params}`));
    },
    async product(sku: string): Promise<Product> {
      return readAnswer('product', await client('product', `/products/${encodeURIComponent(sku)}`));
    },
    async cart(shopper: Shopper): Promise<Cart> {
      return readAnswer('cart', await client('cart', '/cart', { headers: as(shopper) }));
    },
    async addToCart(shopper: Shopper, sku: string, quantity: number): Promise<Cart> {
      return readAnswer('cart', await client('cart', '/cart/items', { method: 'POST', headers: as(shopper), body: { product_sku: sku, quantity } }));
    },
    async removeFromCart(shopper: Shopper, sku: string): Promise<Cart> {
      return readAnswer('cart', await client('cart', `/cart/items/${encodeURIComponent(sku)}`, { method: 'DELETE', headers: as(shopper) }));
    },
    async checkout(shopper: Shopper): Promise<{ request_id: string }> {
      // A new key per click: a double submit is refused by the cart itself (409, the cart is pending).
      const headers = { ...as(shopper), 'Idempotency-Key': randomUUID() };
      return readAnswer('cart', await client('cart', '/cart/convert-to-order', { method: 'POST', headers, body: {} }));
    },
    /** The cart's server-sent events, as the cart service streams them; the caller reads and relays the body. */
    async cartEvents(shopper: Shopper, signal: AbortSignal): Promise<Response> {
      return client('cart', '/cart/events', { headers: { ...as(shopper), Accept: 'text/event-stream' }, signal, stream: true });
    },
    async orders(shopper: Shopper): Promise<Page<Order>> {
      return readAnswer('order', await client('order', '/orders?limit=50', { headers: as(shopper) }));
    },
    async order(shopper: Shopper, id: string): Promise<Order> {
      return readAnswer('order', await client('order', `/orders/${encodeURIComponent(id)}`, { headers: as(shopper) }));
    },
    async cancelOrder(shopper: Shopper, id: string): Promise<Order> {
      return readAnswer('order', await client('order', `/orders/${encodeURIComponent(id)}/cancel`, { method: 'POST', headers: as(shopper) }));
    },
    async updateOrder(shopper: Shopper, id: string, body: { shipping_address: ShippingAddress; note: string | null }): Promise<Order> {
      return readAnswer('order', await client('order', `/orders/${encodeURIComponent(id)}`, { method: 'PUT', headers: as(shopper), body }));
    },
    async notifications(shopper: Shopper): Promise<Page<Notification>> {
      return readAnswer('notification', await client('notification', '/notifications?limit=50', { headers: as(shopper) }));
    },
    async vapidPublicKey(): Promise<{ public_key: string }> {
      return readAnswer('push', await client('push', '/vapid-public-key'));
    },
    async subscribe(shopper: Shopper, body: PushSubscriptionBody): Promise<void> {
      await readAnswer('push', await client('push', '/subscriptions', { method: 'POST', headers: as(shopper), body }));
    },
    /** The shopper's own customer record: how sign-in checks that the customer exists (or the token is good). */
    async self(shopper: Shopper): Promise<Customer> {
      return readAnswer('customer', await client('customer', `/customers/${encodeURIComponent(shopper.customerId)}`, { headers: as(shopper) }));
    },
    /** The customers one may sign in as (header mode; the support token). */
    async customers(): Promise<Page<Customer>> {
      return readAnswer('customer', await client('customer', '/customers?limit=200', { headers: bearer(options.supportToken) }));
    },
    async createCustomer(body: { name: string; email: string }): Promise<Customer> {
      const headers = { ...bearer(options.adminToken), 'Idempotency-Key': randomUUID() };
      return readAnswer('customer', await client('customer', '/customers', { method: 'POST', headers, body }));
    },
  };
}

export type ShopApi = ReturnType<typeof shopApi>;
