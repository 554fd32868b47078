CREATE TABLE "webhook_attempts" (
	"job_uuid" text NOT NULL,
	"id" bigserial NOT NULL,
	"subscription_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"webhook_id" text NOT NULL,
	"attempted_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	CONSTRAINT "webhook_attempts_job_uuid_id_pk" PRIMARY KEY("job_uuid","id")
);
--> statement-breakpoint
CREATE TABLE "webhook_outbox" (
	"job_uuid" text NOT NULL,
	"subscription_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"leased_until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"done_at" timestamp (3) with time zone,
	CONSTRAINT "webhook_outbox_job_uuid_subscription_id_seq_pk" PRIMARY KEY("job_uuid","subscription_id","seq")
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"filter_pipeline_uuid" text,
	"filter_job_uuid" text,
	"filter_states" text[],
	"filter_events" text[],
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_until" timestamp (3) with time zone,
	"failing_since" timestamp (3) with time zone,
	"created_by_kind" text NOT NULL,
	"created_by_id" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD CONSTRAINT "webhook_outbox_job_uuid_seq_job_events_job_uuid_seq_fk" FOREIGN KEY ("job_uuid","seq") REFERENCES "public"."job_events"("job_uuid","seq") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_attempts_subscription_idx" ON "webhook_attempts" USING btree ("subscription_id","id");--> statement-breakpoint
CREATE INDEX "webhook_outbox_pending_idx" ON "webhook_outbox" USING btree ("next_attempt_at") WHERE status = 'pending';