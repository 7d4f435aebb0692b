import { defineReasker } from '@shop/service';
import { CART_CHECKOUTS, CHECKOUT_REQUESTS_CHANNEL, storedCheckoutRequests } from '../db/checkout-requests.queries';

const cartReasker = defineReasker({
  name: 'cart-reask',
  table: CART_CHECKOUTS,
  requestsOf: storedCheckoutRequests,
  channel: CHECKOUT_REQUESTS_CHANNEL,
});

/** The cart's re-asker: a `pending` cart that heard no outcome publishes its checkout's order-requested again. */
export const createCartReasker = cartReasker.create;

/** The cart's background re-ask loop (see `startCheckoutReasking`); returns what stops it. */
export const startCartReasking = cartReasker.start;
