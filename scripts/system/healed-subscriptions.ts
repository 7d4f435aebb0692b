// The subscriptions whose lost messages the recovery rules heal by asking again (DESIGN.md, "Recovery: nothing
// stays stuck"), so the fault injectors may drop messages there and still expect every invariant to hold:
// - a lost order-requested, stock-available or stock.rejected, or a cart that never hears its order.created,
//   leaves a checkout `pending`, and the requester (cart, or order for buy now) asks again;
// - an order.created lost on its way to inventory leaves the reservation open, and inventory publishes its
//   stock-available again, which order answers with that order.created again;
// - a lost reservation.expired is published again by inventory until the order's order.cancelled arrives, and
//   order answers a repeat with that order.cancelled again, so a lost order.cancelled of that order heals too.
// Lost anywhere else, a message is healed by nothing but a replayed dead letter: an order.created lost to
// notification alone means no e-mail (nobody is waiting for it); an order.cancelled lost after a customer's
// cancel keeps its units held; a lost stock.changed leaves the catalog stale until the SKU's next change; a
// lost customer.upserted leaves a read model without the customer.
import { subscriptionName } from '@shop/contracts';

export const HEALED_BY_ASKING_AGAIN: ReadonlySet<string> = new Set([
  subscriptionName('inventory', 'order-requested'),
  subscriptionName('order', 'stock-available'),
  subscriptionName('order', 'stock.rejected'),
  subscriptionName('cart', 'stock.rejected'),
  subscriptionName('cart', 'order.created'),
  subscriptionName('inventory', 'order.created'),
  subscriptionName('order', 'reservation.expired'),
  subscriptionName('inventory', 'order.cancelled'),
]);
