import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The push service. Web Push subscriptions and delivered pushes. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'push', description: 'Web Push subscriptions and delivered pushes.' });
}
