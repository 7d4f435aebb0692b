import { customerReadModel, productReadModel, type RunStatement, type Statement } from '@shop/db';

/** The cart's customers, kept the way every service keeps them; the name and address are kept but not used. */
export const cartCustomers = customerReadModel({ schema: 'cart', keepsContact: true });

/** The cart's copy of the catalog: new lines are priced from it, and only active entries may be added. */
export const cartProducts = productReadModel({ schema: 'cart' });

const CUSTOMER_IS_KNOWN: Statement = {
  name: 'cart_customer_is_known',
  text: 'SELECT EXISTS (SELECT 1 FROM cart.customers WHERE customer_id = $1::uuid AND deleted_at IS NULL) AS known',
};

/**
 * True for a customer `customer.upserted` introduced and no later `customer.deleted` removed (a tombstone).
 * Asked on every customer request: one prepared statement on the pool, no ORM in between.
 */
export async function customerIsKnownNow(run: RunStatement, customerId: string): Promise<boolean> {
  const [row] = await run<{ known: boolean }>(CUSTOMER_IS_KNOWN, [customerId]);
  return row?.known === true;
}
