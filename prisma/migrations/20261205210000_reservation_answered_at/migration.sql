-- When inventory last published its answer to a request: a burst of copies of the same question (a requester
-- that asked again while its earlier question still waited in a long queue) is answered once per half retry
-- period instead of once per copy, so a backlog does not multiply itself downstream.

-- AlterTable
ALTER TABLE "inventory"."reservations" ADD COLUMN     "answered_at" TIMESTAMPTZ(3);
