import type { Hono } from 'hono';
import { z } from 'zod';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import { CreateCustomerBody, CustomerResource, toCustomerResource, UpdateCustomerBody } from '../domain/customer';
import { createCustomer, deleteCustomer, getCustomer, listCustomers, updateCustomer, type CustomerStore } from '../domain/customers';

// Any 8-4-4-4-12 hex id, as X-Customer-Id accepts: a stricter check here would 404 a customer who can sign in.
const IdParams = z.object({ id: z.guid() });
const ListQuery = pageQuerySchema.extend({ email: z.string().trim().toLowerCase().optional() });
const Cursor = z.object({ c: z.iso.datetime(), id: z.guid() });
const CustomerPage = z.object({ items: z.array(CustomerResource), next_cursor: z.string().nullable() });

const problems = {
  400: { description: 'Malformed request' },
  401: { description: 'Missing or unknown credentials' },
  403: { description: 'The token lacks the needed role' },
} as const;

/** `/customers`: admin writes, support reads across customers, a customer reads itself. */
export function registerCustomerRoutes(app: Hono<AppEnv>, store: CustomerStore): void {
  const { prisma } = store;
  defineRoute(
    app,
    {
      method: 'get',
      path: '/customers',
      summary: 'List customers (support or admin)',
      tags: ['customers'],
      access: { staff: ['support'] },
      query: ListQuery,
      responses: { 200: { description: 'A page of customers', schema: CustomerPage }, ...problems, 422: { description: 'Bad query' } },
    },
    async (c, { query }) => {
      const after = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !after) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await listCustomers(prisma, {
        limit: query.limit,
        email: query.email,
        after: after && { createdAt: new Date(after.c), customerId: after.id },
      });
      return c.json(toPage(rows, query.limit, toCustomerResource, (r) => ({ c: r.createdAt.toISOString(), id: r.customerId })));
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/customers',
      summary: 'Create a customer (admin)',
      tags: ['customers'],
      access: { staff: ['admin'] },
      idempotent: true,
      body: CreateCustomerBody,
      responses: { 201: { description: 'Created', schema: CustomerResource }, ...problems, 409: { description: 'E-mail in use' }, 422: { description: 'Invalid body' } },
    },
    async (c, { body }) => {
      const customer = toCustomerResource(await createCustomer(store, body));
      c.header('Location', `/customers/${customer.customer_id}`);
      return c.json(customer, 201);
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/customers/:id',
      summary: 'Read a customer (the customer itself, support or admin)',
      tags: ['customers'],
      access: { customer: true, staff: ['support'] },
      params: IdParams,
      responses: { 200: { description: 'The customer', schema: CustomerResource }, ...problems, 404: { description: 'No such customer' } },
    },
    async (c, { params }) => {
      const principal = c.get('principal');
      // Another customer's record does not exist as far as this caller knows: 404, not 403.
      if (principal.kind === 'customer' && principal.customerId !== params.id.toLowerCase()) {
        throw fail.notFound(`Customer ${params.id} does not exist.`);
      }
      return c.json(toCustomerResource(await getCustomer(prisma, params.id)));
    },
  );

  defineRoute(
    app,
    {
      method: 'put',
      path: '/customers/:id',
      summary: 'Update a customer (admin)',
      tags: ['customers'],
      access: { staff: ['admin'] },
      params: IdParams,
      body: UpdateCustomerBody,
      responses: {
        200: { description: 'Updated', schema: CustomerResource },
        ...problems,
        404: { description: 'No such customer' },
        409: { description: 'E-mail in use' },
        422: { description: 'Invalid body' },
      },
    },
    async (c, { params, body }) => c.json(toCustomerResource(await updateCustomer(store, params.id, body))),
  );

  defineRoute(
    app,
    {
      method: 'delete',
      path: '/customers/:id',
      summary: 'Delete a customer (admin)',
      tags: ['customers'],
      access: { staff: ['admin'] },
      params: IdParams,
      responses: { 204: { description: 'Deleted' }, ...problems, 404: { description: 'No such customer' } },
    },
    async (c, { params }) => {
      await deleteCustomer(store, params.id);
      return c.body(null, 204);
    },
  );
}
