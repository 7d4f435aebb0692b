-- Requesters ask again (DESIGN.md, "Recovery: nothing stays stuck"): a pending cart or buy-now request that has
-- heard no outcome publishes the same order-requested again, waiting twice as long after each re-ask. A cart
-- keeps the payload it first published, so a re-ask carries the checkout's lines and prices whatever the
-- catalog says by then; a buy-now request keeps its lines already. The partial indexes hold only what is pending.

-- AlterTable
ALTER TABLE "cart"."carts" ADD COLUMN     "asked_at" TIMESTAMPTZ(3),
ADD COLUMN     "order_request" JSONB,
ADD COLUMN     "reask_count" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "order"."buy_now_requests" ADD COLUMN     "asked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "reask_count" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "carts_reask_idx" ON "cart"."carts"("asked_at") WHERE (status = 'pending'::text);

-- CreateIndex
CREATE INDEX "buy_now_requests_reask_idx" ON "order"."buy_now_requests"("asked_at") WHERE (status = 'pending'::text);

-- Checkouts pending when this runs: asked when they last changed, their payload rebuilt from their lines (a
-- pending cart cannot be edited, and its lines keep the prices they were checked out with).
UPDATE "cart"."carts" c SET
  "asked_at" = c."updated_at",
  "order_request" = jsonb_build_object(
    'request_id', c."request_id",
    'source', 'cart',
    'cart_id', c."cart_id",
    'customer_id', c."customer_id",
    'items', COALESCE((SELECT jsonb_agg(jsonb_build_object('product_sku', i."product_sku", 'quantity', i."quantity", 'unit_price_cents', i."unit_price_cents")
                                 ORDER BY i."added_at", i."product_sku")
                       FROM "cart"."cart_items" i WHERE i."cart_id" = c."cart_id"), '[]'::jsonb),
    'currency', c."currency",
    'requested_at', to_char(c."updated_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
WHERE c."status" = 'pending' AND c."request_id" IS NOT NULL;

UPDATE "order"."buy_now_requests" SET "asked_at" = "created_at" WHERE "status" = 'pending';
