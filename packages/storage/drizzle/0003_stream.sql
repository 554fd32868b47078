-- The global event stream's order: a position from a sequence and the inserting transaction's id,
-- both column defaults. Existing entries get positions in the order they were written (time, then
-- seq) and transaction id 0: all of them committed long ago.
ALTER TABLE "job_events" ADD COLUMN "position" bigint;--> statement-breakpoint
ALTER TABLE "job_events" ADD COLUMN "xact_id" "xid8";--> statement-breakpoint
UPDATE "job_events" e SET "position" = o.n, "xact_id" = '0'
  FROM (SELECT job_uuid, seq, row_number() OVER (ORDER BY created_at, seq, job_uuid) AS n FROM "job_events") o
  WHERE e.job_uuid = o.job_uuid AND e.seq = o.seq;--> statement-breakpoint
CREATE SEQUENCE "job_events_position_seq" AS bigint OWNED BY "job_events"."position";--> statement-breakpoint
SELECT setval('job_events_position_seq', coalesce((SELECT max("position") FROM "job_events"), 0) + 1, false);--> statement-breakpoint
ALTER TABLE "job_events" ALTER COLUMN "position" SET DEFAULT nextval('job_events_position_seq'), ALTER COLUMN "position" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "job_events" ALTER COLUMN "xact_id" SET DEFAULT pg_current_xact_id(), ALTER COLUMN "xact_id" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "job_events_stream_idx" ON "job_events" USING btree ("xact_id","position");
