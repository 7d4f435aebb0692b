-- Notification: notifications, their delivery history, the read model of customers, idempotency keys.

-- CreateTable
CREATE TABLE "notification"."notifications" (
    "notification_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "html" TEXT,
    "url" TEXT,
    "recipient" TEXT,
    "requested_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "order_id" UUID,
    "details" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("notification_id")
);

-- CreateTable
CREATE TABLE "notification"."notification_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "notification_id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "attempt" INTEGER,
    "error" TEXT,
    "event_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification"."customers" (
    "customer_id" UUID NOT NULL,
    "name" TEXT,
    "email" TEXT,
    "deleted_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "notification"."idempotency_keys" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status_code" INTEGER,
    "headers" JSONB,
    "body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope","key")
);

-- CreateIndex
CREATE INDEX "notifications_customer_id_idx" ON "notification"."notifications"("customer_id", "created_at", "notification_id");

-- CreateIndex
CREATE INDEX "notifications_created_at_idx" ON "notification"."notifications"("created_at", "notification_id");

-- CreateIndex
CREATE INDEX "notifications_status_idx" ON "notification"."notifications"("status", "created_at");

-- CreateIndex
CREATE INDEX "notifications_order_id_idx" ON "notification"."notifications"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "notification_deliveries_event_id_key" ON "notification"."notification_deliveries"("event_id");

-- CreateIndex
CREATE INDEX "notification_deliveries_notification_id_idx" ON "notification"."notification_deliveries"("notification_id", "occurred_at");
