// PostgreSQL error classes that mean "not now" rather than "never": the server is shutting down, starting up,
// out of connection slots, or the connection broke (SQLSTATE classes 08 and 57P, and 53300).
const UNAVAILABLE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300']);
// Socket errors of a server that is not there (yet), and Prisma's own codes for the same.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'P1001', 'P1002', 'P1017', 'P2024']);
// What node-postgres says when its pool cannot connect in time or the server went away (no code on these), and
// a failed connect to a Unix socket whose file is gone while the server is down (`connect ENOENT /tmp/.s.PGSQL.5432`).
const UNAVAILABLE_MESSAGES = /timeout exceeded when trying to connect|connect (ENOENT|ECONNREFUSED) |Connection terminated|connection terminated unexpectedly|Client has encountered a connection error|Can't reach database server|Timed out fetching a new connection/i;

/** How long a client should wait before asking again while the database is away, in seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

// Prisma's driver adapters name the same conditions by kind.
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

type MaybeWrapped = {
  code?: unknown;
  originalCode?: unknown;
  kind?: unknown;
  meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown; kind?: unknown } } };
};

function codesOf(err: object): unknown[] {
  const e = err as MaybeWrapped;
  const adapter = e.meta?.driverAdapterError?.cause;
  return [e.code, e.originalCode, e.kind, e.meta?.code, adapter?.originalCode, adapter?.code, adapter?.kind];
}

/**
 * True when `err` (or an error it wraps, through `cause` or Prisma's driver-adapter metadata) says the
 * database could not be reached or dropped the connection: a passing condition, answered `503` with
 * `Retry-After` so that clients and load balancers try again, instead of a `500` that reads as a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let current = err, depth = 0; current && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    for (const code of codesOf(current)) {
      if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_CODES.has(code) || UNAVAILABLE_ADAPTER_KINDS.has(code))) return true;
    }
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  }
  return false;
}
