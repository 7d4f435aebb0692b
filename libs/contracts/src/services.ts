/**
 * The eight services of DESIGN.md's service table. `localPort` is the port each listens on when run on a
 * laptop; on Cloud Run every service listens on `$PORT` instead.
 */
export const SERVICES = {
  order: { name: 'order', localPort: 3000 },
  product: { name: 'product', localPort: 3001 },
  inventory: { name: 'inventory', localPort: 3002 },
  notification: { name: 'notification', localPort: 3003 },
  email: { name: 'email', localPort: 3004 },
  cart: { name: 'cart', localPort: 3005 },
  customer: { name: 'customer', localPort: 3006 },
  push: { name: 'push', localPort: 3007 },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Every service name, in the order of DESIGN.md's table. */
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export function isServiceName(value: unknown): value is ServiceName {
  return typeof value === 'string' && Object.hasOwn(SERVICES, value);
}
