import type { Hono } from 'hono';
import { z } from 'zod';
import { isStorableText } from '@shop/contracts';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import type { ProductView } from '../db/products.queries';
import {
  CreateProductBody,
  PRODUCT_SORTS,
  ProductResource,
  ProductSku,
  toProductResource,
  UpdateProductBody,
  type ProductSort,
} from '../domain/product';
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct, type ProductStore } from '../domain/products';

// Digits only: `z.coerce.number` would read an empty `min_price_cents=` as 0 instead of refusing it.
const priceFilter = (field: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, `${field} must be a non-negative integer`)
    .transform(Number)
    .pipe(z.int().max(2_147_483_647, `${field} is too large`))
    .optional();

const ListQuery = pageQuerySchema
  .extend({
    q: z
      .string()
      .trim()
      .max(200)
      .refine(isStorableText, { error: 'must not contain U+0000 or lone surrogates' })
      .optional()
      .transform((q) => (q ? q : undefined)),
    min_price_cents: priceFilter('min_price_cents'),
    max_price_cents: priceFilter('max_price_cents'),
    in_stock: z.enum(['true', 'false'], { error: 'in_stock must be true or false' }).optional(),
    sort: z.enum(PRODUCT_SORTS, { error: `sort must be one of ${PRODUCT_SORTS.join(', ')}` }).default('name'),
  })
  .refine((q) => q.min_price_cents === undefined || q.max_price_cents === undefined || q.min_price_cents <= q.max_price_cents, {
    error: 'max_price_cents must not be below min_price_cents',
    path: ['max_price_cents'],
  });

/** The sort value a cursor carries, per order. */
const CURSOR_VALUES: Record<ProductSort, z.ZodType<string | number>> = {
  name: z.string().refine(isStorableText),
  price: z.int().min(0).max(2_147_483_647),
  '-price': z.int().min(0).max(2_147_483_647),
  newest: z.iso.datetime(),
};
const SkuParams = z.object({ sku: ProductSku });
const ProductPage = z.object({ items: z.array(ProductResource), next_cursor: z.string().nullable() });

/**
 * Reads a cursor made for `sort`: it remembers the order it was made for, since another order's position
 * would skip or repeat products.
 */
function readCursor(cursor: string, sort: ProductSort): { value: string | number; sku: string } {
  const decoded = decodeCursor(cursor, z.object({ o: z.literal(sort), v: CURSOR_VALUES[sort], k: ProductSku }));
  if (!decoded) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list and sort' }]);
  return { value: decoded.v, sku: decoded.k };
}

function sortValue(row: ProductView, sort: ProductSort): string | number {
  if (sort === 'name') return row.name;
  if (sort === 'newest') return row.createdAt.toISOString();
  return row.priceCents;
}

/** Where a product is read back: its SKU, percent-encoded, since a SKU may hold any visible character. */
function locationOf(sku: string): string {
  return `/products/${encodeURIComponent(sku)}`;
}

const problems = {
  400: { description: 'Malformed request' },
  401: { description: 'Missing or unknown credentials' },
  403: { description: 'The token lacks the needed role' },
} as const;

/** `/products`: public reads, admin writes; every write publishes the entry through the outbox. */
export function registerProductRoutes(app: Hono<AppEnv>, store: ProductStore): void {
  const { prisma } = store;
  defineRoute(
    app,
    {
      method: 'get',
      path: '/products',
      summary: 'List, search, filter and sort the catalog (public)',
      tags: ['products'],
      query: ListQuery,
      responses: { 200: { description: 'A page of products', schema: ProductPage }, 422: { description: 'Bad query' } },
    },
    async (c, { query }) => {
      const rows = await listProducts(prisma, {
        limit: query.limit,
        order: query.sort,
        after: query.cursor === undefined ? undefined : readCursor(query.cursor, query.sort),
        text: query.q,
        minPriceCents: query.min_price_cents,
        maxPriceCents: query.max_price_cents,
        inStock: query.in_stock === undefined ? undefined : query.in_stock === 'true',
      });
      return c.json(toPage(rows, query.limit, toProductResource, (r) => ({ o: query.sort, v: sortValue(r, query.sort), k: r.sku })));
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/products',
      summary: 'Add a product to the catalog (admin)',
      tags: ['products'],
      access: { staff: ['admin'] },
      idempotent: true,
      body: CreateProductBody,
      responses: {
        201: { description: 'Created', schema: ProductResource },
        ...problems,
        409: { description: 'The SKU is already in the catalog' },
        422: { description: 'Invalid body' },
      },
    },
    async (c, { body }) => {
      const product = toProductResource(await createProduct(store, body));
      c.header('Location', locationOf(product.sku));
      return c.json(product, 201);
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/products/:sku',
      summary: 'Read a product (public)',
      tags: ['products'],
      params: SkuParams,
      responses: { 200: { description: 'The product', schema: ProductResource }, 404: { description: 'No such product' } },
    },
    async (c, { params }) => c.json(toProductResource(await getProduct(prisma, params.sku))),
  );

  defineRoute(
    app,
    {
      method: 'put',
      path: '/products/:sku',
      summary: 'Change a product (admin)',
      tags: ['products'],
      access: { staff: ['admin'] },
      params: SkuParams,
      body: UpdateProductBody,
      responses: {
        200: { description: 'Updated', schema: ProductResource },
        ...problems,
        404: { description: 'No such product' },
        422: { description: 'Invalid body' },
      },
    },
    async (c, { params, body }) => c.json(toProductResource(await updateProduct(store, params.sku, body))),
  );

  defineRoute(
    app,
    {
      method: 'delete',
      path: '/products/:sku',
      summary: 'Remove a product from the catalog (admin)',
      tags: ['products'],
      access: { staff: ['admin'] },
      params: SkuParams,
      responses: { 204: { description: 'Deleted' }, ...problems, 404: { description: 'No such product' } },
    },
    async (c, { params }) => {
      await deleteProduct(store, params.sku);
      return c.body(null, 204);
    },
  );
}
