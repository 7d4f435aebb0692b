import pg from 'pg';
import { SEED_CUSTOMERS } from '../apps/customer/src/db/seed-data';

/** A small demo catalog with stock, so a fresh start has something to sell. */
export const DEMO_PRODUCTS = [
  { sku: 'TSHIRT-BLACK-M', name: 'T-shirt, black, M', description: 'Organic cotton tee.', priceCents: 1999, stock: 100 },
  { sku: 'HOODIE-GREY-L', name: 'Hoodie, grey, L', description: 'Heavyweight fleece hoodie.', priceCents: 4999, stock: 40 },
  { sku: 'MUG-LOGO', name: 'Logo mug', description: 'Stoneware, 350 ml.', priceCents: 1299, stock: 250 },
  { sku: 'CAP-NAVY', name: 'Cap, navy', description: 'Six-panel cotton cap.', priceCents: 2499, stock: 60 },
  { sku: 'STICKER-PACK', name: 'Sticker pack', description: 'Ten vinyl stickers.', priceCents: 499, stock: 1000 },
  { sku: 'LIMITED-SNEAKER', name: 'Limited sneaker', description: 'Flash-sale item: only ten made.', priceCents: 14999, stock: 10 },
] as const;

/**
 * Inserts the seeded customers and the demo catalog unless they are already there: a second start keeps
 * whatever the data became (an edited stock level is not reset).
 */
export async function seed(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const c of SEED_CUSTOMERS) {
      await client.query(
        'INSERT INTO customer.customers (customer_id, name, email) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [c.customerId, c.name, c.email],
      );
    }
    for (const p of DEMO_PRODUCTS) {
      await client.query(
        'INSERT INTO product.products (sku, name, description, price_cents) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [p.sku, p.name, p.description, p.priceCents],
      );
      await client.query('INSERT INTO inventory.stock (sku, available) VALUES ($1, $2) ON CONFLICT DO NOTHING', [p.sku, p.stock]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    await client.end();
  }
}
