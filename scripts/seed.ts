import { createDatabase, type Database } from '@shop/db';
import { createPublisher } from '@shop/events';
import { DomainError } from '@shop/http';
import { createCustomer } from '../apps/customer/src/domain/customers';
import { SEED_CUSTOMERS } from '../apps/customer/src/db/seed-data';
import { createStock } from '../apps/inventory/src/domain/stock';
import { createProduct } from '../apps/product/src/domain/products';

/** A small demo catalog with stock, so a fresh start has something to sell. */
export const DEMO_PRODUCTS = [
  { sku: 'TSHIRT-BLACK-M', name: 'T-shirt, black, M', description: 'Organic cotton tee.', priceCents: 1999, stock: 100 },
  { sku: 'HOODIE-GREY-L', name: 'Hoodie, grey, L', description: 'Heavyweight fleece hoodie.', priceCents: 4999, stock: 40 },
  { sku: 'MUG-LOGO', name: 'Logo mug', description: 'Stoneware, 350 ml.', priceCents: 1299, stock: 250 },
  { sku: 'CAP-NAVY', name: 'Cap, navy', description: 'Six-panel cotton cap.', priceCents: 2499, stock: 60 },
  { sku: 'STICKER-PACK', name: 'Sticker pack', description: 'Ten vinyl stickers.', priceCents: 499, stock: 1000 },
  { sku: 'LIMITED-SNEAKER', name: 'Limited sneaker', description: 'Flash-sale item: only ten made.', priceCents: 14999, stock: 10 },
] as const;

/** A seed row that is already there (409) is kept as the data left it: a second start resets nothing. */
async function unlessPresent(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'conflict') return;
    throw err;
  }
}

/**
 * Seeds the five customers and the demo catalog with stock through each service's own use cases, so every
 * row is committed with its event in the outbox (customer.upserted, product.upserted, stock.changed): the
 * services' read models (cart, order, notification, push, product's availability, inventory's catalog)
 * learn them as they would in production, once the relays run.
 */
export async function seed(databaseUrl: string): Promise<void> {
  const db: Database = createDatabase(databaseUrl, { poolMax: 2, applicationName: 'seed' });
  const storeOf = (service: 'customer' | 'product' | 'inventory') => ({ prisma: db.prisma, publish: createPublisher({ schema: service, producer: service }) });
  const [customers, products, stock] = [storeOf('customer'), storeOf('product'), storeOf('inventory')];
  try {
    for (const c of SEED_CUSTOMERS) {
      await unlessPresent(() => createCustomer(customers, { customerId: c.customerId, name: c.name, email: c.email }));
    }
    for (const p of DEMO_PRODUCTS) {
      const product = { sku: p.sku, name: p.name, description: p.description, price_cents: p.priceCents, currency: 'EUR', active: true };
      await unlessPresent(() => createProduct(products, product));
      await unlessPresent(() => createStock(stock, { sku: p.sku, available: p.stock }));
    }
  } finally {
    await db.close();
  }
}
