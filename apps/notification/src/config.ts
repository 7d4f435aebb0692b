import { serviceEnvSchema } from '@shop/config';
import { SERVICES, type ServiceName } from '@shop/contracts';
import { eventsEnvSchema } from '@shop/events';
import { z } from 'zod';

/** The services whose URLs the console's journeys need: every other one (it answers for notification itself). */
type OtherService = Exclude<ServiceName, 'notification'>;
const OTHER_SERVICES = Object.values(SERVICES).filter((s): s is (typeof SERVICES)[OtherService] => s.name !== 'notification');

/** The variable that gives the console another service's base URL: `ORDER_SERVICE_URL`, `CART_SERVICE_URL`, … */
function serviceUrlVariable<S extends OtherService>(service: S): `${Uppercase<S>}_SERVICE_URL` {
  return `${service.toUpperCase() as Uppercase<S>}_SERVICE_URL`;
}

type ServiceUrlsShape = { [S in OtherService as `${Uppercase<S>}_SERVICE_URL`]: z.ZodDefault<z.ZodURL> };

// Each defaults to the service's local port (DESIGN.md's service table), as `npm start` runs them.
const serviceUrlsEnvSchema = z.object(
  Object.fromEntries(
    OTHER_SERVICES.map((s) => [serviceUrlVariable(s.name), z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).default(`http://127.0.0.1:${s.localPort}`)]),
  ) as ServiceUrlsShape,
);

/** The base URLs of the other services, by name, from the loaded configuration. */
export function serviceUrlsOf(config: z.infer<typeof serviceUrlsEnvSchema>): Partial<Record<ServiceName, string>> {
  return Object.fromEntries(OTHER_SERVICES.map((s) => [s.name, config[serviceUrlVariable(s.name)]]));
}

/** The notification service's own variables. */
const consoleEnvSchema = z.object({
  /** How long a support console session lasts, in seconds (default 8 hours). */
  CONSOLE_SESSION_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 60 * 60).default(8 * 60 * 60),
});

/** The notification service's environment: the common service variables (local port 3003), the event backbone's, the console's and the other services' URLs. */
export const notificationConfigSchema = serviceEnvSchema(3003).and(eventsEnvSchema).and(consoleEnvSchema).and(serviceUrlsEnvSchema);
export type NotificationConfig = z.infer<typeof notificationConfigSchema>;
