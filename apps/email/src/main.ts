import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { emailConfigSchema } from './config';
import { startMailDelivery } from './delivery/mail-delivery';
import { emailRequestedHandler } from './events/email-requested.handler';
import { createMailbox } from './smtp/mail-catcher';

const config = loadConfig(emailConfigSchema);
// Without SMTP_URL, mail goes to the embedded catcher and stays readable at GET /messages/:id/raw.
const mailbox = config.SMTP_URL ? undefined : createMailbox();

await runService({
  service: 'email',
  config,
  handlers: () => [emailRequestedHandler({ from: config.SMTP_FROM })],
  createApp: (context) => createApp(context, { mailbox }),
  startBackground: (context) =>
    startMailDelivery(config, { db: context.db, databaseUrl: config.DATABASE_URL, publish: context.events.publish, logger: context.logger, mailbox }),
});
