import { cloudEvent } from '@google-cloud/functions-framework';
import { loadConfig } from '@shop/config';
import { emailFunctionConfigSchema } from './config';
import { createEmailFunctionRuntime, sendEmailFunction } from './functions/send-email.function';

let runtime: ReturnType<typeof createEmailFunctionRuntime> | undefined;

// Entry point of the `sendEmail` Cloud Function (--entry-point=sendEmail, Pub/Sub trigger on email.requested).
// The runtime is built on the first event, so that loading the module reads no configuration.
cloudEvent('sendEmail', sendEmailFunction(() => (runtime ??= createEmailFunctionRuntime(loadConfig(emailFunctionConfigSchema)))));

/** Stops the relay and closes the database (instance shutdown, tests). */
export async function closeSendEmail(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  await current?.relay.stop();
  await current?.db.close();
}
