import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { countReservationsByStatus } from './db/reservation-counts.queries';
import { registerInventoryRoutes } from './routes/inventory.routes';

/** The inventory service. Stock levels and reservations: reserves all lines of a checkout or none. */
export function createApp(context: AppContext): HttpApp {
  const http = createServiceApp(context, { service: 'inventory', description: 'Stock levels and reservations: reserves all lines of a checkout or none.' });
  registerInventoryRoutes(http.app, { prisma: context.db.prisma, publish: context.events.publish });
  // Counted only when metrics are collected (GET /metrics, an export), never on the checkout path.
  context.events.metrics.observeGauge('reservations', async () =>
    Object.entries(await countReservationsByStatus(context.db.prisma)).map(([status, value]) => ({ value, labels: { status } })),
  );
  return http;
}
