import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The inventory service. Stock levels and reservations: reserves all lines of a checkout or none. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'inventory', description: 'Stock levels and reservations: reserves all lines of a checkout or none.' });
}
