-- Journeys (DESIGN.md "Seeing inside"): GET /admin/events?correlation_id=… lists what a service published and
-- consumed for one checkout. The correlation id is in every message's attributes; these columns make it
-- findable through an index.
-- outbox.correlation_id: copied from attributes->>'correlation_id' by the writers (libs/events outbox.ts), in
--   the same INSERT; rows written before this migration are filled below.
-- processed_messages.correlation_id / occurred_at: written by the consumer's existing INSERT, so a consumed
--   event shows when it happened without the producer's outbox (which retention empties after 24 hours).
--   Rows from before this migration have neither: they never show in a journey.

-- AlterTable
ALTER TABLE "cart"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "cart"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "cart"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "cart"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "cart"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "customer"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "customer"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "customer"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "customer"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "customer"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "email"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "email"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "email"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "email"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "email"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "inventory"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "inventory"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "inventory"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "inventory"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "inventory"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "notification"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "notification"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "notification"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "notification"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "notification"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "order"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "order"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "order"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "order"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "order"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "product"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "product"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "product"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "product"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "product"."processed_messages"("correlation_id");

-- AlterTable
ALTER TABLE "push"."outbox" ADD COLUMN     "correlation_id" TEXT;

UPDATE "push"."outbox" SET "correlation_id" = "attributes"->>'correlation_id' WHERE "correlation_id" IS NULL;

-- CreateIndex
CREATE INDEX "outbox_correlation_id_idx" ON "push"."outbox"("correlation_id");

-- AlterTable
ALTER TABLE "push"."processed_messages" ADD COLUMN     "correlation_id" TEXT,
ADD COLUMN     "occurred_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "processed_messages_correlation_id_idx" ON "push"."processed_messages"("correlation_id");
