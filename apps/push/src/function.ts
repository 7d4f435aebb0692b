import { cloudEvent } from '@google-cloud/functions-framework';
import { sendPush } from './functions/send-push.function';

// Entry point of the `sendPush` Cloud Function (--entry-point=sendPush, Pub/Sub trigger on push.requested).
// Its configuration is read on the first event, so that loading the module reads none.
cloudEvent('sendPush', sendPush.handle);

/** Stops the relay and closes the database (instance shutdown, tests). */
export const closeSendPush = sendPush.close;
