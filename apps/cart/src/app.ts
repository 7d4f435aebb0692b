import pg from 'pg';
import { statementRunner } from '@shop/db';
import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { createCartChangeFeed, DEFAULT_STREAM_LIMITS, type CartChangeFeed, type StreamLimits } from './db/cart-changes';
import { cartCustomers } from './db/read-models.queries';
import { registerCartRoutes } from './routes/cart.routes';

/** The cart app, and the feed its event streams follow (tests close it; draining closes it too). */
export interface CartApp extends HttpApp {
  changes: CartChangeFeed;
}

export interface CartAppOptions {
  /** Open event streams per customer and per instance (CART_STREAMS_PER_*). */
  streams?: StreamLimits;
}

/** The cart service. Carts: lines, checkout, and the checkout outcome. */
export function createApp(context: AppContext, options: CartAppOptions = {}): CartApp {
  const { db, logger, events } = context;
  const run = statementRunner(db.prisma, db.pool);
  const http = createServiceApp(context, {
    service: 'cart',
    description: 'Carts: lines, checkout, and the checkout outcome.',
    // Known = in the cart's read model of customers, kept from customer.upserted / customer.deleted.
    isKnownCustomer: (id) => cartCustomers.isKnownNow(run, id),
  });
  // Its own connection, outside the pool: LISTEN holds it for as long as streams are open.
  const changes = createCartChangeFeed({
    connect: () => new pg.Client({ ...db.pool.options, application_name: 'cart-changes' }),
    logger,
    limits: options.streams ?? DEFAULT_STREAM_LIMITS,
  });
  registerCartRoutes(http.app, { prisma: db.prisma, run, publish: events.publish, changes, logger });
  return {
    app: http.app,
    // Open streams would hold the server's drain until its timeout: close them as soon as draining starts.
    setDraining(draining) {
      http.setDraining(draining);
      changes.setDraining(draining);
    },
    changes,
  };
}
