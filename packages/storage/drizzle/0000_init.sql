CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"hash" text NOT NULL,
	"prefix" text NOT NULL,
	"role" text NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "job_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_uuid" text NOT NULL,
	"seq" integer NOT NULL,
	"uuid" text NOT NULL,
	"name" text NOT NULL,
	"from_state" text NOT NULL,
	"to_state" text NOT NULL,
	"data" jsonb,
	"source" text NOT NULL,
	"idempotency_key" text,
	"response" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"uuid" text PRIMARY KEY NOT NULL,
	"pipeline_uuid" text NOT NULL,
	"state" text NOT NULL,
	"last_event" text NOT NULL,
	"token_version" integer DEFAULT 1 NOT NULL,
	"archive_path" text,
	"archive_system" text,
	"archive_patterns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"product_patterns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"session" text,
	"agent" text,
	"task" text,
	"child_of" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"generated_by" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"acted_on" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"acted_using" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"data" jsonb NOT NULL,
	"visible" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"state_since" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nonces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"hash" text NOT NULL,
	"prefix" text NOT NULL,
	"role" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"max_uses" integer,
	"uses" bigint DEFAULT 0 NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"job_uuid" text,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "nonces_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "pipelines" (
	"uuid" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"body" jsonb NOT NULL,
	"visible" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL
);
--> statement-breakpoint
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_uuid_jobs_uuid_fk" FOREIGN KEY ("job_uuid") REFERENCES "public"."jobs"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_pipeline_uuid_pipelines_uuid_fk" FOREIGN KEY ("pipeline_uuid") REFERENCES "public"."pipelines"("uuid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "job_events_job_seq_idx" ON "job_events" USING btree ("job_uuid","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "job_events_job_key_idx" ON "job_events" USING btree ("job_uuid","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "job_events_uuid_idx" ON "job_events" USING btree ("uuid");--> statement-breakpoint
CREATE INDEX "jobs_updated_idx" ON "jobs" USING btree ("updated_at" DESC NULLS LAST,"uuid" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "jobs_state_updated_idx" ON "jobs" USING btree ("state","updated_at" DESC NULLS LAST,"uuid" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "jobs_pipeline_updated_idx" ON "jobs" USING btree ("pipeline_uuid","updated_at" DESC NULLS LAST,"uuid" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "pipelines_id_idx" ON "pipelines" USING btree ("id");