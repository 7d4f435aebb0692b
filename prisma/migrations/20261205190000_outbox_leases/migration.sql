-- The relay leases outbox rows instead of holding a transaction open while it publishes (issue 12).
-- leased_until: no relay takes the row before then (a claim's lease, or the backoff after a refusal);
-- set_aside_at: the transport refused the row OUTBOX_MAX_ATTEMPTS times; it waits for an admin's replay.
-- outbox_held_idx holds only the unpublished rows ever claimed (in flight, backing off, set aside): the
-- claim looks there for an earlier row of the same ordering key that holds the later ones back.

-- AlterTable
ALTER TABLE "cart"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "cart"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "customer"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "customer"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "email"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "email"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "inventory"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "inventory"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "notification"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "notification"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "order"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "order"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "product"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "product"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));

-- AlterTable
ALTER TABLE "push"."outbox" ADD COLUMN     "leased_until" TIMESTAMPTZ(3),
ADD COLUMN     "set_aside_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_held_idx" ON "push"."outbox"("ordering_key", "id") WHERE ((published_at IS NULL) AND (leased_until IS NOT NULL));
