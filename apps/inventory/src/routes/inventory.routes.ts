import type { Hono } from 'hono';
import { z } from 'zod';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import { CreateStockBody, StockResource, StockSku, toStockResource, UpdateStockBody } from '../domain/stock-level';
import { createStock, deleteStock, getStock, listStock, setStockLevel, type StockStore } from '../domain/stock';

const SkuParams = z.object({ sku: StockSku });
const Cursor = z.object({ k: StockSku });
const StockPage = z.object({ items: z.array(StockResource), next_cursor: z.string().nullable() });

/** Where a stock record is read back: its SKU, percent-encoded, since a SKU may hold any visible character. */
function locationOf(sku: string): string {
  return `/inventory/${encodeURIComponent(sku)}`;
}

const problems = {
  400: { description: 'Malformed request' },
  401: { description: 'Missing or unknown credentials' },
  403: { description: 'The token lacks the needed role' },
} as const;

/** `/inventory`: stock levels; support and admin read, admin writes. Every change publishes stock.changed. */
export function registerInventoryRoutes(app: Hono<AppEnv>, store: StockStore): void {
  const { prisma } = store;
  defineRoute(
    app,
    {
      method: 'get',
      path: '/inventory',
      summary: 'List stock levels (support or admin)',
      tags: ['inventory'],
      access: { staff: ['support'] },
      query: pageQuerySchema,
      responses: { 200: { description: 'A page of stock records, by SKU', schema: StockPage }, ...problems, 422: { description: 'Bad query' } },
    },
    async (c, { query }) => {
      const after = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !after) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await listStock(prisma, { limit: query.limit, afterSku: after?.k });
      return c.json(toPage(rows, query.limit, toStockResource, (r) => ({ k: r.sku })));
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/inventory',
      summary: 'Create the stock record of a SKU (admin)',
      tags: ['inventory'],
      access: { staff: ['admin'] },
      body: CreateStockBody,
      responses: {
        201: { description: 'Created', schema: StockResource },
        ...problems,
        409: { description: 'The SKU already has a stock record' },
        422: { description: 'Invalid body' },
      },
    },
    async (c, { body }) => {
      const stock = toStockResource(await createStock(store, body));
      c.header('Location', locationOf(stock.sku));
      return c.json(stock, 201);
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/inventory/:sku',
      summary: 'Read the stock of a SKU (support or admin)',
      tags: ['inventory'],
      access: { staff: ['support'] },
      params: SkuParams,
      responses: { 200: { description: 'The stock record', schema: StockResource }, ...problems, 404: { description: 'No stock record' } },
    },
    async (c, { params }) => c.json(toStockResource(await getStock(prisma, params.sku))),
  );

  defineRoute(
    app,
    {
      method: 'put',
      path: '/inventory/:sku',
      summary: 'Set the units of a SKU that can be sold (admin)',
      tags: ['inventory'],
      access: { staff: ['admin'] },
      params: SkuParams,
      body: UpdateStockBody,
      responses: {
        200: { description: 'Updated', schema: StockResource },
        ...problems,
        404: { description: 'No stock record' },
        422: { description: 'Invalid body (a negative level, another SKU)' },
      },
    },
    async (c, { params, body }) => {
      if (body.sku !== undefined && body.sku !== params.sku) {
        throw fail.validation('A stock record keeps its SKU; the body names another one.', [{ field: 'sku', message: `must be ${params.sku} or left out` }]);
      }
      return c.json(toStockResource(await setStockLevel(store, params.sku, body.available)));
    },
  );

  defineRoute(
    app,
    {
      method: 'delete',
      path: '/inventory/:sku',
      summary: 'Delete the stock record of a SKU (admin); refused while reservations hold it',
      tags: ['inventory'],
      access: { staff: ['admin'] },
      params: SkuParams,
      responses: {
        204: { description: 'Deleted' },
        ...problems,
        404: { description: 'No stock record' },
        409: { description: 'Open reservations hold units of the SKU' },
      },
    },
    async (c, { params }) => {
      await deleteStock(store, params.sku);
      return c.body(null, 204);
    },
  );
}
