import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A product row as Prisma returns it. */
export interface ProductRow {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A product with the availability inventory last published for it (`null` while none has arrived). */
export interface ProductView extends ProductRow {
  available: number | null;
}

/** How `GET /products` orders: a column, its direction, and how a cursor value is cast back to it. */
export type ProductOrder = 'name' | 'price' | '-price' | 'newest';

const ORDERS: Record<ProductOrder, { column: string; descending: boolean; cast: string }> = {
  name: { column: 'p.name', descending: false, cast: 'text' },
  price: { column: 'p.price_cents', descending: false, cast: 'integer' },
  '-price': { column: 'p.price_cents', descending: true, cast: 'integer' },
  newest: { column: 'p.created_at', descending: true, cast: 'timestamptz' },
};

export interface ProductListOptions {
  limit: number;
  order: ProductOrder;
  /** The last item of the previous page: its sort value (a name, a price, an ISO timestamp) and SKU. */
  after?: { value: string | number; sku: string };
  /** Case-insensitive substring of the name or the description. */
  text?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
  /** true: available > 0; false: 0 or not known yet. */
  inStock?: boolean;
}

const VIEW_COLUMNS = `p.sku, p.name, p.description, p.price_cents AS "priceCents", p.currency, p.active,
  a.available, p.created_at AS "createdAt", p.updated_at AS "updatedAt"`;

/** `%`, `_` and `\` are LIKE's own characters: a search for "50%" means those three characters. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function findProductView(db: Client, sku: string): Promise<ProductView | null> {
  const rows = await db.$queryRawUnsafe<ProductView[]>(
    `SELECT ${VIEW_COLUMNS} FROM product.products p LEFT JOIN product.availability a ON a.sku = p.sku WHERE p.sku = $1`,
    sku,
  );
  return rows[0] ?? null;
}

/**
 * One page of the catalog, keyset-paged on (sort column, sku) so pages neither skip nor repeat while
 * products are added; fetches `limit + 1` rows to know whether more follow.
 */
export function listProductViews(db: Client, options: ProductListOptions): Promise<ProductView[]> {
  const order = ORDERS[options.order];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [];
  if (options.text !== undefined) {
    const pattern = param(likePattern(options.text));
    where.push(`(p.name ILIKE ${pattern} ESCAPE '\\' OR p.description ILIKE ${pattern} ESCAPE '\\')`);
  }
  if (options.minPriceCents !== undefined) where.push(`p.price_cents >= ${param(options.minPriceCents)}`);
  if (options.maxPriceCents !== undefined) where.push(`p.price_cents <= ${param(options.maxPriceCents)}`);
  if (options.inStock === true) where.push('a.available > 0');
  if (options.inStock === false) where.push('COALESCE(a.available, 0) = 0');
  if (options.after) {
    const comparison = order.descending ? '<' : '>';
    where.push(`(${order.column}, p.sku) ${comparison} (${param(options.after.value)}::${order.cast}, ${param(options.after.sku)})`);
  }
  const direction = order.descending ? 'DESC' : 'ASC';
  return db.$queryRawUnsafe<ProductView[]>(
    `SELECT ${VIEW_COLUMNS} FROM product.products p LEFT JOIN product.availability a ON a.sku = p.sku
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${order.column} ${direction}, p.sku ${direction}
     LIMIT ${param(options.limit + 1)}`,
    ...params,
  );
}

/** Inserts a product; a SKU already in the catalog is a unique violation for the caller to map. */
export function insertProduct(
  db: Client,
  data: { sku: string; name: string; description: string; priceCents: number; currency: string; active: boolean },
): Promise<ProductRow> {
  return db.product.create({ data });
}

/** Updates the given fields and `updated_at`; `null` when there is no such product. */
export async function updateProductRow(
  db: Client,
  sku: string,
  data: { name?: string; description?: string; priceCents?: number; currency?: string; active?: boolean },
): Promise<ProductRow | null> {
  const rows = await db.product.updateManyAndReturn({ where: { sku }, data: { ...data, updatedAt: new Date() } });
  return rows[0] ?? null;
}

export async function deleteProductRow(db: Client, sku: string): Promise<boolean> {
  return (await db.product.deleteMany({ where: { sku } })).count > 0;
}
