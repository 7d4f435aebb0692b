import type { Hono } from 'hono';
import { z } from 'zod';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type Access, type AppEnv } from '@shop/http';
import {
  BuyNowAccepted,
  BuyNowBody,
  BuyNowRequestResource,
  ORDER_STATUSES,
  OrderPage,
  OrderResource,
  toBuyNowRequestResource,
  toOrderResource,
  UpdateOrderBody,
} from '../domain/order';
import { cancelOrder, getBuyNowRequest, getOrder, listOrders, requestBuyNow, updateOrder, type OrderStore } from '../domain/orders';

// Any 8-4-4-4-12 hex id, as X-Customer-Id accepts; a malformed id names nothing (404), as everywhere.
const IdParams = z.object({ id: z.guid() });
const RequestParams = z.object({ request_id: z.guid() });
const ListQuery = pageQuerySchema.extend({
  customer_id: z.guid('must be a UUID').transform((v) => v.toLowerCase()).optional(),
  status: z.enum(ORDER_STATUSES, 'must be confirmed or cancelled').optional(),
});
const Cursor = z.object({ c: z.iso.datetime(), id: z.guid() });

const problems = {
  400: { description: 'Malformed request, or an X-Customer-Id that is not a UUID' },
  401: { description: 'Missing or unknown customer or token' },
} as const;

/** Who may change an order: the customer who owns it, or admin (support reads only). */
const ownerOrAdmin: Access = { customer: true, staff: ['admin'] };
/** Who may read one: the customer who owns it, or support (admin included). */
const ownerOrSupport: Access = { customer: true, staff: ['support'] };

/** `/orders`: a customer's own orders and buy-now requests; support reads all; the owner or admin changes them. */
export function registerOrderRoutes(app: Hono<AppEnv>, store: OrderStore): void {
  const { prisma } = store;

  defineRoute(
    app,
    {
      method: 'get',
      path: '/orders',
      summary: 'List orders, newest first (a customer: its own; support or admin: all, filtered)',
      tags: ['orders'],
      access: ownerOrSupport,
      query: ListQuery,
      responses: { 200: { description: 'A page of orders', schema: OrderPage }, ...problems, 403: { description: 'The token lacks the needed role' }, 422: { description: 'Bad query' } },
    },
    async (c, { query }) => {
      const after = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !after) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await listOrders(prisma, c.get('principal'), {
        limit: query.limit,
        customerId: query.customer_id,
        status: query.status,
        after: after && { createdAt: new Date(after.c), orderId: after.id.toLowerCase() },
      });
      return c.json(toPage(rows, query.limit, toOrderResource, (r) => ({ c: r.createdAt.toISOString(), id: r.orderId })));
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/orders',
      summary: 'Buy now: request an order of these products without a cart',
      tags: ['orders'],
      access: { customer: true },
      idempotent: true,
      body: BuyNowBody,
      responses: {
        202: { description: 'Accepted; follow the outcome at the Location', schema: BuyNowAccepted },
        ...problems,
        422: { description: 'Invalid body, a product not in the catalog, or an Idempotency-Key used with another body' },
      },
    },
    async (c, { body }) => {
      const principal = c.get('principal');
      if (principal.kind !== 'customer') throw new Error('buy now is for customers');
      const request = await requestBuyNow(store, principal.customerId, body);
      c.header('Location', `/orders/requests/${request.requestId}`);
      return c.json({ request_id: request.requestId, status: 'pending' as const }, 202);
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/orders/requests/:request_id',
      summary: 'Follow a buy-now request: pending, confirmed (with the order id) or rejected (with why)',
      tags: ['orders'],
      access: ownerOrSupport,
      params: RequestParams,
      responses: { 200: { description: 'The request', schema: BuyNowRequestResource }, ...problems, 404: { description: 'No such request' } },
    },
    async (c, { params }) => c.json(toBuyNowRequestResource(await getBuyNowRequest(prisma, c.get('principal'), params.request_id.toLowerCase()))),
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/orders/:id',
      summary: 'Read an order (its customer, support or admin)',
      tags: ['orders'],
      access: ownerOrSupport,
      params: IdParams,
      responses: { 200: { description: 'The order', schema: OrderResource }, ...problems, 404: { description: 'No such order' } },
    },
    async (c, { params }) => c.json(toOrderResource(await getOrder(prisma, c.get('principal'), params.id.toLowerCase()))),
  );

  defineRoute(
    app,
    {
      method: 'put',
      path: '/orders/:id',
      summary: 'Set the shipping address and note (its customer or admin), while not cancelled',
      tags: ['orders'],
      access: ownerOrAdmin,
      params: IdParams,
      body: UpdateOrderBody,
      responses: {
        200: { description: 'The order', schema: OrderResource },
        ...problems,
        403: { description: 'The token lacks the needed role' },
        404: { description: 'No such order' },
        409: { description: 'The order is cancelled' },
        422: { description: 'Invalid body' },
      },
    },
    async (c, { params, body }) => c.json(toOrderResource(await updateOrder(store, c.get('principal'), params.id.toLowerCase(), body))),
  );

  const cancelResponses = { ...problems, 403: { description: 'The token lacks the needed role' }, 404: { description: 'No such order' } };

  defineRoute(
    app,
    {
      method: 'post',
      path: '/orders/:id/cancel',
      summary: 'Cancel an order (its customer or admin); repeating it changes nothing',
      tags: ['orders'],
      access: ownerOrAdmin,
      params: IdParams,
      responses: {
        200: { description: 'The cancelled order', schema: OrderResource },
        ...cancelResponses,
        400: { description: 'A body was sent that is not JSON (none is needed), or an X-Customer-Id that is not a UUID' },
      },
    },
    async (c, { params }) => c.json(toOrderResource(await cancelOrder(store, c.get('principal'), params.id.toLowerCase()))),
  );

  defineRoute(
    app,
    {
      method: 'delete',
      path: '/orders/:id',
      summary: 'Cancel an order, as POST /orders/:id/cancel does',
      tags: ['orders'],
      access: ownerOrAdmin,
      params: IdParams,
      responses: { 204: { description: 'Cancelled' }, ...cancelResponses },
    },
    async (c, { params }) => {
      await cancelOrder(store, c.get('principal'), params.id.toLowerCase());
      return c.body(null, 204);
    },
  );
}
