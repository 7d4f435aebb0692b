-- Reservations expire (DESIGN.md, "Recovery: nothing stays stuck"). `expires_at` is set on every reservation
-- that holds units; `currency` and `rejection` keep the whole decision, so a repeated request for the same
-- request_id is answered with it again. The sweeper reads only open reservations by expiry: a partial index
-- holds just those, so an idle sweep is one index probe however many reservations history keeps.

-- AlterTable
ALTER TABLE "inventory"."reservations" ADD COLUMN     "currency" CHAR(3),
ADD COLUMN     "expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "rejection" JSONB;

-- Reservations made before this release get the default lifetime from when they were made (a repeat of one
-- is answered with it).
UPDATE "inventory"."reservations" SET "expires_at" = "created_at" + interval '900 seconds' WHERE "status" <> 'rejected';

-- CreateIndex
CREATE INDEX "reservations_open_expiry_idx" ON "inventory"."reservations"("expires_at") WHERE (status = 'reserved'::text);
