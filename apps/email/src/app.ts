import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { registerMessageRoutes } from './routes/messages.routes';
import type { Mailbox } from './smtp/mail-catcher';

export interface EmailAppOptions {
  /** The embedded catcher's messages, when it runs (no SMTP_URL). */
  mailbox?: Mailbox;
}

/** The email service: sends e-mail over SMTP and keeps the sent-mail log. */
export function createApp(context: AppContext, options: EmailAppOptions = {}): HttpApp {
  const http = createServiceApp(context, { service: 'email', description: 'Sends e-mail over SMTP and keeps the sent-mail log.' });
  registerMessageRoutes(http.app, { prisma: context.db.prisma, mailbox: options.mailbox });
  return http;
}
