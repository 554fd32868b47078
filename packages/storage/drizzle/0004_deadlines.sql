ALTER TABLE "jobs" ADD COLUMN "deadlines" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "deadline_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "deadline_action" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "deadline_notified" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD COLUMN "kind" text DEFAULT 'transition' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD COLUMN "overdue" jsonb;--> statement-breakpoint
ALTER TABLE "webhook_outbox" DROP CONSTRAINT "webhook_outbox_job_uuid_subscription_id_seq_pk";--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD CONSTRAINT "webhook_outbox_job_uuid_subscription_id_seq_kind_pk" PRIMARY KEY("job_uuid","subscription_id","seq","kind");--> statement-breakpoint
CREATE INDEX "jobs_deadline_idx" ON "jobs" USING btree ("deadline_notified","deadline_at") WHERE deadline_at is not null;
