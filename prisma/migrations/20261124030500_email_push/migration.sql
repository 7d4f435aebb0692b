-- Email: the sent-mail log. Push: subscriptions, pushed notifications and their deliveries, the customers read
-- model, and the locally generated VAPID key pair.

-- CreateTable
CREATE TABLE "email"."messages" (
    "notification_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "html" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "smtp_response" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),

    CONSTRAINT "messages_pkey" PRIMARY KEY ("notification_id")
);

-- CreateTable
CREATE TABLE "push"."customers" (
    "customer_id" UUID NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "push"."subscriptions" (
    "subscription_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("subscription_id")
);

-- CreateTable
CREATE TABLE "push"."notifications" (
    "notification_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "url" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("notification_id")
);

-- CreateTable
CREATE TABLE "push"."deliveries" (
    "notification_id" UUID NOT NULL,
    "endpoint" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "attempt" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("notification_id","endpoint")
);

-- CreateTable
CREATE TABLE "push"."vapid_keys" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "public_key" TEXT NOT NULL,
    "private_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vapid_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "messages_due_idx" ON "email"."messages"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "messages_created_at_idx" ON "email"."messages"("created_at", "notification_id");

-- CreateIndex
CREATE INDEX "messages_customer_id_idx" ON "email"."messages"("customer_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_endpoint_key" ON "push"."subscriptions"("endpoint");

-- CreateIndex
CREATE INDEX "subscriptions_customer_id_idx" ON "push"."subscriptions"("customer_id");

-- CreateIndex
CREATE INDEX "notifications_due_idx" ON "push"."notifications"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "notifications_customer_id_idx" ON "push"."notifications"("customer_id", "created_at", "notification_id");

-- AddForeignKey
ALTER TABLE "push"."deliveries" ADD CONSTRAINT "deliveries_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "push"."notifications"("notification_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The key pair is one row: a second generated pair would orphan every subscription made against the first.
ALTER TABLE "push"."vapid_keys" ADD CONSTRAINT "vapid_keys_single_row" CHECK ("id" = 1);
