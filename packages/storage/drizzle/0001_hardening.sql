CREATE TABLE "job_audit" (
	"job_uuid" text NOT NULL,
	"id" bigserial NOT NULL,
	"action" text NOT NULL,
	"principal_kind" text NOT NULL,
	"principal_id" text NOT NULL,
	"token_version" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	CONSTRAINT "job_audit_job_uuid_id_pk" PRIMARY KEY("job_uuid","id")
);
--> statement-breakpoint
CREATE TABLE "server_settings" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"set_by_kind" text,
	"set_by_id" text,
	"created_at" timestamp (3) with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL
);
--> statement-breakpoint
DROP INDEX "job_events_job_seq_idx";--> statement-breakpoint
DROP INDEX "job_events_uuid_idx";--> statement-breakpoint
ALTER TABLE "job_events" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_uuid_seq_pk" PRIMARY KEY("job_uuid","seq");--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "created_by_kind" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "created_by_id" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "revoked_by_kind" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "revoked_by_id" text;--> statement-breakpoint
ALTER TABLE "job_events" ADD COLUMN "request_fingerprint" text;--> statement-breakpoint
ALTER TABLE "job_events" ADD COLUMN "principal_kind" text;--> statement-breakpoint
ALTER TABLE "job_events" ADD COLUMN "principal_id" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "creator_kind" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "creator_id" text;--> statement-breakpoint
ALTER TABLE "nonces" ADD COLUMN "created_by_kind" text;--> statement-breakpoint
ALTER TABLE "nonces" ADD COLUMN "created_by_id" text;--> statement-breakpoint
ALTER TABLE "nonces" ADD COLUMN "revoked_by_kind" text;--> statement-breakpoint
ALTER TABLE "nonces" ADD COLUMN "revoked_by_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "job_events_job_uuid_idx" ON "job_events" USING btree ("job_uuid","uuid");