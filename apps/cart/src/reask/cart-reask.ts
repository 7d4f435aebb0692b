import type { CheckoutRetryEnv } from '@shop/config';
import type { Database } from '@shop/db';
import type { PublishFn } from '@shop/events';
import type { Logger } from '@shop/observability';
import { createCheckoutReasker, startCheckoutReasking, type CheckoutReasker, type CheckoutReaskerOptions } from '@shop/service';
import { CART_CHECKOUTS, CHECKOUT_REQUESTS_CHANNEL, storedCheckoutRequests } from '../db/checkout-requests.queries';

export interface CartReaskDeps {
  db: Database;
  publish: PublishFn;
  logger: Logger;
}

function optionsFor(settings: CheckoutRetryEnv, deps: CartReaskDeps): CheckoutReaskerOptions {
  return {
    name: 'cart-reask',
    prisma: deps.db.prisma,
    publish: deps.publish,
    logger: deps.logger,
    table: CART_CHECKOUTS,
    backoff: { afterSeconds: settings.CHECKOUT_RETRY_AFTER_SECONDS, maxSeconds: settings.CHECKOUT_RETRY_MAX_SECONDS },
    requestsOf: storedCheckoutRequests,
  };
}

/** The cart's re-asker: a `pending` cart that heard no outcome publishes its checkout's order-requested again. */
export function createCartReasker(settings: CheckoutRetryEnv, deps: CartReaskDeps, options: { batchSize?: number } = {}): CheckoutReasker {
  return createCheckoutReasker({ ...optionsFor(settings, deps), ...options });
}

/** The cart's background re-ask loop (see `startCheckoutReasking`); returns what stops it. */
export function startCartReasking(settings: CheckoutRetryEnv, deps: CartReaskDeps & { databaseUrl: string }): () => Promise<void> {
  return startCheckoutReasking({ ...optionsFor(settings, deps), databaseUrl: deps.databaseUrl, channel: CHECKOUT_REQUESTS_CHANNEL });
}
