import { inTransaction, isUniqueViolation, type PrismaClient, type Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { fail } from '@shop/contracts';
import {
  deleteProductRow,
  findProductView,
  insertProduct,
  listProductViews,
  updateProductRow,
  type ProductListOptions,
  type ProductRow,
  type ProductView,
} from '../db/products.queries';
import type { CreateProductBody, UpdateProductBody } from './product';

/** What the catalog use cases need: the database and the outbox. */
export interface ProductStore {
  prisma: PrismaClient;
  publish: PublishFn;
}

function notFound(sku: string) {
  return fail.notFound(`Product ${sku} does not exist.`);
}

/** Inventory, cart and order learn the catalog from this event, committed with the change itself. */
function publishUpserted(store: ProductStore, tx: Tx, row: ProductRow): Promise<string> {
  return store.publish(
    tx,
    'product.upserted',
    { sku: row.sku, name: row.name, description: row.description, price_cents: row.priceCents, currency: row.currency, active: row.active },
    { correlationId: row.sku },
  );
}

/** Re-reads a product inside the transaction that wrote it, with its availability. */
async function viewOf(tx: Tx, sku: string): Promise<ProductView> {
  const view = await findProductView(tx, sku);
  if (!view) throw new Error(`product ${sku} vanished inside its own transaction`);
  return view;
}

/**
 * Adds a product to the catalog and publishes `product.upserted` in the same transaction.
 * A SKU already in the catalog is a `conflict`.
 */
export async function createProduct(store: ProductStore, input: CreateProductBody): Promise<ProductView> {
  try {
    return await inTransaction(store.prisma, async (tx) => {
      const row = await insertProduct(tx, {
        sku: input.sku,
        name: input.name,
        description: input.description,
        priceCents: input.price_cents,
        currency: input.currency,
        active: input.active,
      });
      await publishUpserted(store, tx, row);
      return viewOf(tx, row.sku);
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw fail.conflict(`A product with SKU ${input.sku} already exists.`, { errors: [{ field: 'sku', message: 'already in the catalog' }] });
    }
    throw err;
  }
}

export async function getProduct(prisma: PrismaClient, sku: string): Promise<ProductView> {
  const view = await findProductView(prisma, sku);
  if (!view) throw notFound(sku);
  return view;
}

/** Changes the given fields and publishes the whole entry as `product.upserted`. */
export async function updateProduct(store: ProductStore, sku: string, input: UpdateProductBody): Promise<ProductView> {
  if (input.sku !== undefined && input.sku !== sku) {
    throw fail.validation('A product keeps its SKU; the body names another one.', [{ field: 'sku', message: `must be ${sku} or left out` }]);
  }
  return inTransaction(store.prisma, async (tx) => {
    const row = await updateProductRow(tx, sku, {
      name: input.name,
      description: input.description,
      priceCents: input.price_cents,
      currency: input.currency,
      active: input.active,
    });
    if (!row) throw notFound(sku);
    await publishUpserted(store, tx, row);
    return viewOf(tx, sku);
  });
}

/** Removes a product and publishes `product.deleted`; checkouts of it are then rejected as `unknown_product`. */
export async function deleteProduct(store: ProductStore, sku: string): Promise<void> {
  await inTransaction(store.prisma, async (tx) => {
    if (!(await deleteProductRow(tx, sku))) throw notFound(sku);
    await store.publish(tx, 'product.deleted', { sku }, { correlationId: sku });
  });
}

export function listProducts(prisma: PrismaClient, options: ProductListOptions): Promise<ProductView[]> {
  return listProductViews(prisma, options);
}
