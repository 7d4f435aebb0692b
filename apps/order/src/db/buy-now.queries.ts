import type { PrismaClient, Tx } from '@shop/db';
import { Prisma } from '@shop/db';

type Client = PrismaClient | Tx;

/** A buy-now request as Prisma returns it; `items` holds the lines as requested, with names and prices. */
export interface BuyNowRequestRow {
  requestId: string;
  customerId: string;
  status: string;
  items: Prisma.JsonValue;
  currency: string;
  orderId: string | null;
  rejection: Prisma.JsonValue | null;
  createdAt: Date;
  updatedAt: Date;
}

export function findBuyNowRequest(db: Client, requestId: string): Promise<BuyNowRequestRow | null> {
  return db.buyNowRequest.findUnique({ where: { requestId } });
}

/** The NOTIFY channel that tells the re-ask loop a buy-now request was recorded (delivered at commit). */
export const BUY_NOW_REQUESTS_CHANNEL = 'order_buy_now_requests';

/** Records a pending request; its re-ask schedule starts now (`asked_at`'s default), and the re-ask loop is told at commit. */
export async function insertBuyNowRequest(
  tx: Tx,
  data: { requestId: string; customerId: string; items: Prisma.InputJsonValue; currency: string },
): Promise<BuyNowRequestRow> {
  const request = await tx.buyNowRequest.create({ data: { ...data, status: 'pending' } });
  await tx.$executeRaw`SELECT pg_notify(${BUY_NOW_REQUESTS_CHANNEL}, '')`;
  return request;
}

/**
 * Settles a pending request; a request already settled keeps its outcome. When this call settled it, the
 * seconds since the request was accepted (for checkout_duration_seconds); otherwise undefined.
 */
export async function settleBuyNowRequest(
  tx: Tx,
  requestId: string,
  outcome: { status: 'confirmed'; orderId: string } | { status: 'rejected'; rejection: Prisma.InputJsonValue },
): Promise<number | undefined> {
  const orderId = outcome.status === 'confirmed' ? outcome.orderId : null;
  const rejection = outcome.status === 'rejected' ? JSON.stringify(outcome.rejection) : null;
  const rows = await tx.$queryRaw<{ seconds: number }[]>`
    UPDATE "order".buy_now_requests
       SET status = ${outcome.status}, order_id = COALESCE(${orderId}::uuid, order_id), rejection = COALESCE(${rejection}::jsonb, rejection), updated_at = now()
     WHERE request_id = ${requestId}::uuid AND status = 'pending'
    RETURNING EXTRACT(EPOCH FROM now() - created_at)::float8 AS seconds`;
  return rows[0]?.seconds;
}
