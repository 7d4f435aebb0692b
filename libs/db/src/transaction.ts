import { AsyncLocalStorage } from 'node:async_hooks';
import type { Prisma, PrismaClient } from './client';

/** The client handed to code running inside a transaction. */
export type Tx = Prisma.TransactionClient;

export interface TransactionOptions {
  isolationLevel?: Prisma.TransactionIsolationLevel;
  /** Attempts for serialization failures and deadlocks, which PostgreSQL asks the client to retry. */
  maxAttempts?: number;
  timeoutMs?: number;
}

// 40001 serialization_failure, 40P01 deadlock_detected: the transaction was rolled back and is safe to rerun.
const RETRYABLE = new Set(['40001', '40P01']);

// Work to do inside a transaction of `inTransaction` once its callback has finished, before the commit.
const beforeCommit = new WeakMap<Tx, (() => Promise<void>)[]>();

/**
 * Has `hook` run inside `tx` after the transaction's callback finished and right before it commits (a
 * rollback skips it). False when `tx` did not come from `inTransaction`: then nobody would run the hook, and
 * the caller must do its work at once.
 */
export function onBeforeCommit(tx: Tx, hook: () => Promise<void>): boolean {
  const hooks = beforeCommit.get(tx);
  hooks?.push(hook);
  return hooks !== undefined;
}

interface Enclosing {
  prisma: PrismaClient;
  tx: Tx;
  isOpen: boolean;
}

// The transaction that `inTransaction` calls made inside `joiningTransactions` take part in.
const enclosing = new AsyncLocalStorage<Enclosing>();

/**
 * Runs `fn` so that every `inTransaction(prisma, …)` it makes, however deep, runs inside `tx` instead of opening
 * a transaction of its own: what `fn` writes commits or rolls back with whatever the caller writes in `tx`
 * (an idempotency key's stored answer). A retryable conflict then reruns the caller's transaction, `fn` included.
 * Once `fn` settles, calls that outlive it (work it started and did not await) open their own transactions again.
 */
export async function joiningTransactions<T>(prisma: PrismaClient, tx: Tx, fn: () => Promise<T>): Promise<T> {
  const scope: Enclosing = { prisma, tx, isOpen: true };
  try {
    return await enclosing.run(scope, fn);
  } finally {
    scope.isOpen = false;
  }
}

/** The open transaction of `joiningTransactions` for `prisma` that the caller runs inside, if any. */
export function enclosingTransaction(prisma: PrismaClient): Tx | undefined {
  const outer = enclosing.getStore();
  return outer?.isOpen && outer.prisma === prisma ? outer.tx : undefined;
}

/**
 * Runs `fn` in one database transaction, retrying it when PostgreSQL reports a retryable conflict. Hooks
 * registered with `onBeforeCommit` run after `fn`, in the same transaction. Inside `joiningTransactions` of the
 * same client, `fn` runs in that transaction instead (its retries and options are the enclosing one's).
 */
export async function inTransaction<T>(
  prisma: PrismaClient,
  fn: (tx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const outer = enclosing.getStore();
  if (outer?.isOpen && outer.prisma === prisma) return fn(outer.tx);
  const maxAttempts = options.maxAttempts ?? 5;
  const withHooks = async (tx: Tx): Promise<T> => {
    const hooks: (() => Promise<void>)[] = [];
    beforeCommit.set(tx, hooks);
    try {
      const result = await fn(tx);
      // A hook may register another (a flush that publishes): run until none is left.
      for (let hook = hooks.shift(); hook; hook = hooks.shift()) await hook();
      return result;
    } finally {
      beforeCommit.delete(tx);
    }
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(withHooks, {
        isolationLevel: options.isolationLevel,
        timeout: options.timeoutMs ?? 15_000,
        maxWait: 10_000,
      });
    } catch (err) {
      if (attempt >= maxAttempts || !isRetryable(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/** True for errors PostgreSQL marks as retryable, however deep the driver adapter wrapped them. */
export function isRetryable(err: unknown): boolean {
  return RETRYABLE.has(sqlState(err) ?? '');
}

/** The SQLSTATE of a database error, looking through Prisma's and the adapter's wrappers. */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    if (typeof e !== 'object') return undefined;
    const o = e as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } }; cause?: unknown };
    // Prisma's own codes (P2002…) also have five characters; SQLSTATEs never start with P.
    if (typeof o.code === 'string' && /^[0-9A-OQ-Z][0-9A-Z]{4}$/.test(o.code)) return o.code;
    const adapterCode = o.meta?.driverAdapterError?.cause?.originalCode ?? o.meta?.code;
    if (typeof adapterCode === 'string' && /^[0-9A-Z]{5}$/.test(adapterCode)) return adapterCode;
    e = o.cause;
  }
  return undefined;
}

/** True when a write broke a unique constraint (Prisma's P2002 or SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002') || sqlState(err) === '23505';
}
