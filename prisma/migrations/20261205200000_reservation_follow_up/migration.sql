-- inventory follows up its own answers (DESIGN.md, "Recovery: nothing stays stuck"): an open reservation whose
-- order.created has not arrived publishes its stock-available again, with backoff, until it is committed,
-- released or expired, so an order.created lost on its way to inventory is sent again by order ("the same
-- answer to a repeated question") before the sweeper would expire units that were sold. An expired
-- reservation refused to a late order publishes reservation.expired again until that order's order.cancelled
-- arrives. `asked_at` is set exactly while inventory waits; the partial index holds only those rows.

-- AlterTable
ALTER TABLE "inventory"."reservations" ADD COLUMN     "asked_at" TIMESTAMPTZ(3),
ADD COLUMN     "reask_count" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "reservations_follow_up_idx" ON "inventory"."reservations"("asked_at") WHERE (asked_at IS NOT NULL);

-- Reservations open when this runs wait from when they were made; refused ones are asked once more (an order
-- already cancelled answers with its order.cancelled again, which ends the wait).
UPDATE "inventory"."reservations" SET "asked_at" = "created_at" WHERE "status" = 'reserved';
UPDATE "inventory"."reservations" SET "asked_at" = "updated_at" WHERE "status" = 'expired' AND "order_id" IS NOT NULL;
