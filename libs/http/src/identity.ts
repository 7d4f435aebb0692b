import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, IdentityConfig } from './context';
import { DomainError, fail } from './errors';
import type { IdTokenVerifier } from './jwt-identity';

export type StaffRole = 'admin' | 'support';

/** The caller, as identity middleware established it. */
export type Principal = { kind: 'customer'; customerId: string } | { kind: 'staff'; role: StaffRole };

/**
 * Who may use a route. `customer`: a known customer, named by `X-Customer-Id` (header mode) or by a verified
 * ID token (jwt mode). `staff`: the roles whose bearer token is accepted (admin may always do what support
 * may). Both: staff if a staff token is sent, else customer.
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

function bearerOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

function staffRoleOf(identity: IdentityConfig, token: string | undefined): StaffRole | undefined {
  if (token && tokenEquals(token, identity.adminToken)) return 'admin';
  if (token && tokenEquals(token, identity.supportToken)) return 'support';
  return undefined;
}

function staffRole(c: Context<AppEnv>, header: string): StaffRole {
  const role = staffRoleOf(c.get('identity'), bearerOf(header));
  if (!role) throw fail.unauthorized('The bearer token is missing, malformed or unknown.');
  return role;
}

async function customer(c: Context<AppEnv>): Promise<Principal> {
  const id = c.req.header('X-Customer-Id');
  if (!id) throw fail.unauthorized('The X-Customer-Id header is required.');
  if (!UUID.test(id.trim())) {
    throw new DomainError('bad_request', 'X-Customer-Id must be a UUID.', { errors: [{ field: 'X-Customer-Id', message: 'must be a UUID' }] });
  }
  return knownCustomer(c, id.trim().toLowerCase());
}

async function knownCustomer(c: Context<AppEnv>, customerId: string): Promise<Principal> {
  if (!(await c.get('identity').isKnownCustomer(customerId))) throw fail.unauthorized('Unknown customer.');
  return { kind: 'customer', customerId };
}

/** The customer a verified ID token names (jwt mode). */
async function customerByToken(c: Context<AppEnv>, verify: IdTokenVerifier): Promise<Principal> {
  const token = bearerOf(c.req.header('Authorization'));
  if (!token) throw fail.unauthorized('A bearer ID token is required.');
  let customerId: string;
  try {
    customerId = await verify(token);
  } catch (err) {
    // Clients see a 503; operators need to know why.
    if (err instanceof DomainError && err.kind === 'unavailable') c.get('logger').warn({ err: err.cause }, 'ID token keys unavailable');
    throw err;
  }
  return knownCustomer(c, customerId);
}

function allows(role: StaffRole, roles: StaffRole[]): boolean {
  return roles.includes(role) || (role === 'admin' && roles.includes('support'));
}

/** Establishes the caller before anything reads the body: DESIGN.md checks identity first. */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async function requireAccessMiddleware(c, next) {
    const authorization = c.req.header('Authorization');
    const staffRoles = access.staff ?? [];
    // jwt mode, on a route customers may use: X-Customer-Id is never read; a bearer is staff's or an ID token.
    const verifyIdToken = access.customer ? c.get('identity').verifyIdToken : undefined;
    const isStaffCall = verifyIdToken ? staffRoleOf(c.get('identity'), bearerOf(authorization)) !== undefined : authorization || !access.customer;
    let principal: Principal;
    if (staffRoles.length && isStaffCall) {
      if (!authorization) throw fail.unauthorized('A bearer token is required.');
      const role = staffRole(c, authorization);
      if (!allows(role, staffRoles)) throw fail.forbidden(`The ${role} token may not do this.`);
      principal = { kind: 'staff', role };
    } else if (access.customer) {
      principal = verifyIdToken ? await customerByToken(c, verifyIdToken) : await customer(c);
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
