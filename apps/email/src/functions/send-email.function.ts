import type { CloudEvent } from '@google-cloud/functions-framework';
import { decodeEnvelope, subscriptionsOf } from '@shop/contracts';
import { createDatabase, type Database } from '@shop/db';
import { createConsumer, createPublisher, createTransport, startRelay, type Consumer, type Relay } from '@shop/events';
import { createLogger, type Logger } from '@shop/observability';
import type { EmailFunctionConfig } from '../config';
import { mailerFor } from '../delivery/mail-delivery';
import type { Mailer } from '../delivery/mailer';
import { emailRequestedHandler } from '../events/email-requested.handler';
import { createSmtpSender } from '../smtp/smtp-sender';
import { messageOfCloudEvent } from './pubsub-cloud-event';

const SPEC = subscriptionsOf('email').find((s) => s.topic === 'email.requested')!;

/** What the function runs on: the same consumer, handler and mailer as the service, and an outbox relay. */
export interface EmailFunctionRuntime {
  consumer: Consumer;
  mailer: Mailer;
  logger: Logger;
  /** Publishes the outbox now, waiting at most a few seconds; what is left goes out with a later call. */
  flush(): Promise<void>;
}

/**
 * Builds the runtime once per function instance, from the function's configuration: a small pool, the
 * transport `EVENT_TRANSPORT` names (Pub/Sub in the cloud), and a relay for `email.delivered`/`email.failed`.
 */
export function createEmailFunctionRuntime(config: EmailFunctionConfig): EmailFunctionRuntime & { db: Database; relay: Relay } {
  const logger = createLogger({ service: 'email', version: config.SERVICE_VERSION, level: config.LOG_LEVEL, projectId: config.GOOGLE_CLOUD_PROJECT });
  const db = createDatabase(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, applicationName: 'email-function', onError: (err) => logger.warn({ err }, 'database connection error') });
  const publish = createPublisher({ schema: 'email', producer: 'email' });
  const consumer = createConsumer({ db, schema: 'email', publish, logger });
  consumer.register(SPEC, emailRequestedHandler({ from: config.SMTP_FROM }));
  const mailer = mailerFor(config, { db, publish, sender: createSmtpSender(config.SMTP_URL, { timeoutMs: config.SMTP_TIMEOUT_MS }), logger });
  const transport = createTransport(config, { databaseUrl: config.DATABASE_URL, logger });
  const relay = startRelay({ databaseUrl: config.DATABASE_URL, pool: db.pool, schema: 'email', transport, logger });
  return {
    consumer,
    mailer,
    logger,
    db,
    relay,
    async flush() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([relay.idle(), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
    },
  };
}

/**
 * The `sendEmail` CloudEvent function (Pub/Sub-triggered on `email.requested`): the service's own path in one
 * call. The consumer records the message (idempotently, by event and by notification), the mailer attempts
 * it at once, and the outbox is flushed. It returns (Pub/Sub acknowledges) once the e-mail is finished, sent
 * or failed, or the event is dead-lettered; while a temporary failure leaves it pending it throws, so Pub/Sub
 * delivers the event again with its backoff, and the attempt count kept in the database decides when to give up.
 */
export function sendEmailFunction(runtime: () => EmailFunctionRuntime | Promise<EmailFunctionRuntime>) {
  return async function sendEmail(event: CloudEvent<unknown>): Promise<void> {
    const { consumer, mailer, logger, flush } = await runtime();
    const read = messageOfCloudEvent(event.data);
    if (!read.ok) {
      // The same bytes fail the same way every time: keep them for an admin, and acknowledge.
      await consumer.deadLetters.record({ subscription: SPEC.name, message: read.message, reason: 'undecodable', error: read.detail, attempts: 1 });
      logger.error({ detail: read.detail, cloud_event_id: event.id }, 'undeliverable CloudEvent dead-lettered');
      return;
    }
    const [outcome] = await consumer.deliver(SPEC.name, [read.message]);
    if (outcome?.status === 'retry') throw new Error(`email.requested not handled yet: ${outcome.error}`);
    if (outcome?.status !== 'ack') return;
    const decoded = decodeEnvelope(read.message.attributes, read.message.data);
    if (!decoded.ok || decoded.envelope.attributes.event_type !== 'email.requested') return;
    const notificationId = (decoded.envelope.payload as { notification_id: string }).notification_id;
    const state = await mailer.attemptNow(notificationId);
    await flush();
    if (state === 'pending' || state === 'in-flight') {
      throw new Error(`the e-mail of notification ${notificationId} is not delivered yet (${state}); Pub/Sub will deliver the event again`);
    }
  };
}
