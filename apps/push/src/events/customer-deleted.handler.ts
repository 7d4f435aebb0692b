import { defineHandler } from '@shop/events';
import { deleteCustomer } from '../db/customers.queries';

/**
 * `customer.deleted`: the customer is no longer known, and none of its browsers is pushed to again. Kept as a
 * tombstone, so an older `customer.upserted` handled after it cannot make the customer known again.
 */
export function customerDeletedHandler() {
  return defineHandler<'customer.deleted'>({
    topic: 'customer.deleted',
    handle: (tx, event) => deleteCustomer(tx, event.payload.customer_id, event.attributes.occurred_at),
  });
}
