import { subscriptionsOf } from '@shop/contracts';
import { createDeliveryFunction } from '@shop/service';
import { emailFunctionConfigSchema } from '../config';
import { mailerFor } from '../delivery/mail-delivery';
import { emailRequestedHandler } from '../events/email-requested.handler';
import { createSmtpSender } from '../smtp/smtp-sender';

const SPEC = subscriptionsOf('email').find((s) => s.topic === 'email.requested')!;

/**
 * The `sendEmail` CloudEvent function (Pub/Sub-triggered on `email.requested`): the service's own path in one
 * call, with the same handler and mailer as the service. It returns (Pub/Sub acknowledges) once the e-mail is
 * sent or failed for good, and throws while SMTP refuses it for now, so that Pub/Sub delivers the event again.
 * SMTP_URL is required: a function has no mail catcher to fall back on.
 */
export const sendEmail = createDeliveryFunction({
  service: 'email',
  subscription: SPEC,
  configSchema: emailFunctionConfigSchema,
  handler: (config) => emailRequestedHandler({ from: config.SMTP_FROM }),
  deliverer: ({ config, ...deps }) => mailerFor(config, { ...deps, sender: createSmtpSender(config.SMTP_URL, { timeoutMs: config.SMTP_TIMEOUT_MS, allowPlaintext: config.SMTP_ALLOW_PLAINTEXT }) }),
  noun: 'e-mail',
});
