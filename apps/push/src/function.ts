import { cloudEvent } from '@google-cloud/functions-framework';
import { loadConfig } from '@shop/config';
import { pushFunctionConfigSchema } from './config';
import { createPushFunctionRuntime, sendPushFunction } from './functions/send-push.function';

let runtime: ReturnType<typeof createPushFunctionRuntime> | undefined;

// Entry point of the `sendPush` Cloud Function (--entry-point=sendPush, Pub/Sub trigger on push.requested).
// The runtime is built on the first event, so that loading the module reads no configuration.
cloudEvent('sendPush', sendPushFunction(() => (runtime ??= createPushFunctionRuntime(loadConfig(pushFunctionConfigSchema)))));

/** Stops the relay and closes the database (instance shutdown, tests). */
export async function closeSendPush(): Promise<void> {
  const current = runtime;
  runtime = undefined;
  await current?.relay.stop();
  await current?.db.close();
}
