import { cloudEvent } from '@google-cloud/functions-framework';
import { sendEmail } from './functions/send-email.function';

// Entry point of the `sendEmail` Cloud Function (--entry-point=sendEmail, Pub/Sub trigger on email.requested).
// Its configuration is read on the first event, so that loading the module reads none.
cloudEvent('sendEmail', sendEmail.handle);

/** Stops the relay and closes the database (instance shutdown, tests). */
export const closeSendEmail = sendEmail.close;
