import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';
import { DomainError, fail } from './errors';

export type StaffRole = 'admin' | 'support';

/** The caller, as identity middleware established it. */
export type Principal = { kind: 'customer'; customerId: string } | { kind: 'staff'; role: StaffRole };

/**
 * Who may use a route. `customer`: an `X-Customer-Id` of a known customer. `staff`: the roles whose bearer
 * token is accepted (admin may always do what support may). Both: staff token if one is sent, else customer.
 */
export interface Access {
  customer?: boolean;
  staff?: StaffRole[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenEquals(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Constant time, so response timing does not reveal how much of a token was right.
  return a.length === b.length && timingSafeEqual(a, b);
}

function staffRole(c: Context<AppEnv>, header: string): StaffRole {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const { adminToken, supportToken } = c.get('identity');
  if (match?.[1] && tokenEquals(match[1], adminToken)) return 'admin';
  if (match?.[1] && tokenEquals(match[1], supportToken)) return 'support';
  throw fail.unauthorized('The bearer token is missing, malformed or unknown.');
}

async function customer(c: Context<AppEnv>): Promise<Principal> {
  const id = c.req.header('X-Customer-Id');
  if (!id) throw fail.unauthorized('The X-Customer-Id header is required.');
  if (!UUID.test(id.trim())) {
    throw new DomainError('bad_request', 'X-Customer-Id must be a UUID.', { errors: [{ field: 'X-Customer-Id', message: 'must be a UUID' }] });
  }
  const customerId = id.trim().toLowerCase();
  if (!(await c.get('identity').isKnownCustomer(customerId))) throw fail.unauthorized('Unknown customer.');
  return { kind: 'customer', customerId };
}

function allows(role: StaffRole, roles: StaffRole[]): boolean {
  return roles.includes(role) || (role === 'admin' && roles.includes('support'));
}

/** Establishes the caller before anything reads the body: DESIGN.md checks identity first. */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async function requireAccessMiddleware(c, next) {
    const authorization = c.req.header('Authorization');
    const staffRoles = access.staff ?? [];
    let principal: Principal;
    if (staffRoles.length && (authorization || !access.customer)) {
      if (!authorization) throw fail.unauthorized('A bearer token is required.');
      const role = staffRole(c, authorization);
      if (!allows(role, staffRoles)) throw fail.forbidden(`The ${role} token may not do this.`);
      principal = { kind: 'staff', role };
    } else if (access.customer) {
      principal = await customer(c);
    } else {
      throw new Error('requireAccess needs customer or staff access');
    }
    c.set('principal', principal);
    await next();
  };
}

/** The caller's customer id, or undefined for staff. */
export function customerIdOf(principal: Principal): string | undefined {
  return principal.kind === 'customer' ? principal.customerId : undefined;
}
