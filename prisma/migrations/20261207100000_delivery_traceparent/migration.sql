-- The trace of the request that asked for a message (the W3C traceparent of the consumer that recorded it):
-- the delivery loop sends it later, outside that consumer, and continues the trace with it (DESIGN.md
-- "Seeing inside": one checkout is one trace, down to the e-mail or push sent). NULL for rows from before.

-- AlterTable
ALTER TABLE "email"."messages" ADD COLUMN "traceparent" TEXT;

-- AlterTable
ALTER TABLE "push"."notifications" ADD COLUMN "traceparent" TEXT;
