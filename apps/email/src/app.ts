import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The email service. Sends e-mail over SMTP and logs what was sent. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'email', description: 'Sends e-mail over SMTP and logs what was sent.' });
}
