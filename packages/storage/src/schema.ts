import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// Timestamps are UTC with millisecond precision (docs/reference.md#history-and-time): timestamptz(3).
const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
const nowMs = sql`date_trunc('milliseconds', now())`;

/** PostgreSQL's 64-bit transaction id (`pg_current_xact_id()`), read as its decimal text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

export const pipelines = pgTable(
  'pipelines',
  {
    uuid: text('uuid').primaryKey(),
    id: text('id').notNull(),
    name: text('name').notNull(),
    body: jsonb('body').notNull(),
    visible: boolean('visible').notNull().default(true),
    createdAt: at('created_at').notNull().default(nowMs),
    updatedAt: at('updated_at').notNull().default(nowMs),
  },
  (t) => [index('pipelines_id_idx').on(t.id)],
);

export const jobs = pgTable(
  'jobs',
  {
    uuid: text('uuid').primaryKey(),
    pipelineUuid: text('pipeline_uuid')
      .notNull()
      .references(() => pipelines.uuid),
    state: text('state').notNull(),
    lastEvent: text('last_event').notNull(),
    tokenVersion: integer('token_version').notNull().default(1),
    archivePath: text('archive_path'),
    archiveSystem: text('archive_system'),
    archivePatterns: jsonb('archive_patterns').notNull().default([]),
    productPatterns: jsonb('product_patterns').notNull().default([]),
    session: text('session'),
    agent: text('agent'),
    task: text('task'),
    childOf: jsonb('child_of').notNull().default([]),
    // The original catalog's linkages: the pipeline that made the job, files and references it used.
    generatedBy: jsonb('generated_by').notNull().default([]),
    actedOn: jsonb('acted_on').notNull().default([]),
    actedUsing: jsonb('acted_using').notNull().default([]),
    data: jsonb('data').notNull(),
    // Who created the job (principal kind and id; null for jobs created before this was kept):
    // a re-create returns the token only to this principal or an admin.
    creatorKind: text('creator_kind'),
    creatorId: text('creator_id'),
    visible: boolean('visible').notNull().default(true),
    /** Number of history entries; the seq of the newest one. */
    version: integer('version').notNull().default(1),
    createdAt: at('created_at').notNull().default(nowMs),
    updatedAt: at('updated_at').notNull().default(nowMs),
    stateSince: at('state_since').notNull().default(nowMs),
  },
  (t) => [
    // Keyset pagination of listings: newest first, uuid breaks ties.
    index('jobs_updated_idx').on(t.updatedAt.desc(), t.uuid.desc()),
    index('jobs_state_updated_idx').on(t.state, t.updatedAt.desc(), t.uuid.desc()),
    index('jobs_pipeline_updated_idx').on(t.pipelineUuid, t.updatedAt.desc(), t.uuid.desc()),
  ],
);

export const jobEvents = pgTable(
  'job_events',
  {
    jobUuid: text('job_uuid')
      .notNull()
      .references(() => jobs.uuid, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    uuid: text('uuid').notNull(),
    name: text('name').notNull(),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    data: jsonb('data'),
    source: text('source').notNull(),
    idempotencyKey: text('idempotency_key'),
    /** What the keyed request asked (form, event, data), hashed: the same key with another request is refused. */
    requestFingerprint: text('request_fingerprint'),
    /** The response given to the first caller, returned again on a replay. */
    response: jsonb('response'),
    // Who sent the event (principal kind and id, never a credential); null for older rows.
    principalKind: text('principal_kind'),
    principalId: text('principal_id'),
    createdAt: at('created_at').notNull().default(nowMs),
    /**
     * The entry's place in the global event stream, with `xactId`: a sequence's number taken at
     * insert, and the inserting transaction's id. Both are column defaults, so every insert
     * fills them without saying so. Numbers are not commit order (a lower one can commit after a
     * higher one was read); the stream reads in (xact_id, position) order and only entries of
     * transactions older than every one still running (see stream.ts).
     */
    position: bigserial('position', { mode: 'number' }).notNull(),
    xactId: xid8('xact_id').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    // Every key holds the job uuid, so the table can be distributed by it (docs/architecture.md).
    primaryKey({ columns: [t.jobUuid, t.seq] }),
    uniqueIndex('job_events_job_key_idx').on(t.jobUuid, t.idempotencyKey),
    uniqueIndex('job_events_job_uuid_idx').on(t.jobUuid, t.uuid),
    // The global stream's order.
    index('job_events_stream_idx').on(t.xactId, t.position),
  ],
);

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  hash: text('hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  role: text('role').notNull(),
  label: text('label').notNull(),
  createdAt: at('created_at').notNull().default(nowMs),
  lastUsedAt: at('last_used_at'),
  revokedAt: at('revoked_at'),
  // Who created and who revoked the key (null for keys from before this was kept).
  createdByKind: text('created_by_kind'),
  createdById: text('created_by_id'),
  revokedByKind: text('revoked_by_kind'),
  revokedById: text('revoked_by_id'),
});

export const nonces = pgTable('nonces', {
  id: uuid('id').primaryKey().defaultRandom(),
  hash: text('hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  role: text('role').notNull(),
  label: text('label').notNull().default(''),
  /** null: unlimited uses. */
  maxUses: integer('max_uses'),
  uses: bigint('uses', { mode: 'number' }).notNull().default(0),
  expiresAt: at('expires_at'),
  /** null: any job. */
  jobUuid: text('job_uuid'),
  createdAt: at('created_at').notNull().default(nowMs),
  revokedAt: at('revoked_at'),
  // Who created and who revoked the nonce (null for nonces from before this was kept).
  createdByKind: text('created_by_kind'),
  createdById: text('created_by_id'),
  revokedByKind: text('revoked_by_kind'),
  revokedById: text('revoked_by_id'),
});

/**
 * Admin actions on jobs that are not events (delete, force delete, token rotation): who, when,
 * and what. No foreign key, so a force-deleted job's record outlives it; the last token version
 * of a force-deleted job is kept here so that a job re-created with the same identity never
 * makes an old token valid again.
 */
export const jobAudit = pgTable(
  'job_audit',
  {
    jobUuid: text('job_uuid').notNull(),
    id: bigserial('id', { mode: 'number' }).notNull(),
    action: text('action').notNull(),
    principalKind: text('principal_kind').notNull(),
    principalId: text('principal_id').notNull(),
    /** The job's token version when the action ran. */
    tokenVersion: integer('token_version').notNull(),
    createdAt: at('created_at').notNull().default(nowMs),
  },
  (t) => [primaryKey({ columns: [t.jobUuid, t.id] })],
);

/**
 * Settings every process on the database must agree on, recorded by the first one to start:
 * fingerprints of the server secret and the admin token key, and the admin token lifetime.
 */
export const serverSettings = pgTable('server_settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  /** Who set it on purpose (`pipelinejobs settings adopt`); null when the first process did. */
  setByKind: text('set_by_kind'),
  setById: text('set_by_id'),
  createdAt: at('created_at').notNull().default(nowMs),
});

/**
 * Outbound notification subscriptions: where to deliver, which transitions (each filter null:
 * any), and the signing secret, encrypted with a key derived from the server secret (a dump of
 * the database alone cannot sign). During a rotation the previous secret stays valid, and is
 * signed with too, until `previous_secret_until`. Not job-scoped: `filter_job_uuid` is a filter.
 */
export const webhookSubscriptions = pgTable('webhook_subscriptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  filterPipelineUuid: text('filter_pipeline_uuid'),
  filterJobUuid: text('filter_job_uuid'),
  filterStates: text('filter_states').array(),
  filterEvents: text('filter_events').array(),
  enabled: boolean('enabled').notNull().default(true),
  /** Why it was disabled (by whom, a 410, failing too long); null while enabled. */
  disabledReason: text('disabled_reason'),
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousSecretUntil: at('previous_secret_until'),
  /** The first failed attempt since the last success: a subscription failing too long is disabled. */
  failingSince: at('failing_since'),
  createdByKind: text('created_by_kind').notNull(),
  createdById: text('created_by_id').notNull(),
  createdAt: at('created_at').notNull().default(nowMs),
  updatedAt: at('updated_at').notNull().default(nowMs),
});

/**
 * The transactional outbox: one row per (job, subscription, history entry) to deliver, written by
 * the statement that writes the history entry, so neither exists without the other. A job's rows
 * for one subscription are delivered in seq order: a row is claimed only when no earlier one of
 * the same job and subscription is pending. `leased_until` is a claim by a dispatcher; when it
 * passes (the dispatcher died) another one takes the row again.
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    jobUuid: text('job_uuid').notNull(),
    // No foreign key to the subscription: every event's statement would take a share lock on
    // the one subscription row (a MultiXact under concurrency, costly on the hot path).
    // deleteSubscription removes its rows; a claim joins the subscription, so a row left by a
    // race with the delete is never sent.
    subscriptionId: uuid('subscription_id').notNull(),
    seq: integer('seq').notNull(),
    /** pending, delivered, or failed (given up after the last retry). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull().default(nowMs),
    leasedUntil: at('leased_until'),
    createdAt: at('created_at').notNull().default(nowMs),
    doneAt: at('done_at'),
  },
  (t) => [
    primaryKey({ columns: [t.jobUuid, t.subscriptionId, t.seq] }),
    // The history entry it describes; a force delete of the job removes both.
    foreignKey({ columns: [t.jobUuid, t.seq], foreignColumns: [jobEvents.jobUuid, jobEvents.seq] }).onDelete(
      'cascade',
    ),
    index('webhook_outbox_pending_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);

/** Every delivery attempt (the delivery log): kept after the job is force-deleted. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    jobUuid: text('job_uuid').notNull(),
    id: bigserial('id', { mode: 'number' }).notNull(),
    /** No foreign key, as for the outbox: deleteSubscription removes the log. */
    subscriptionId: uuid('subscription_id').notNull(),
    seq: integer('seq').notNull(),
    /** The webhook-id header: the history entry's uuid, the same on every attempt. */
    webhookId: text('webhook_id').notNull(),
    attemptedAt: at('attempted_at').notNull().default(nowMs),
    /** The receiver's status, null when none came (refused, timed out, unreachable). */
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    /** delivered, retry (another attempt is scheduled), or failed (given up). */
    outcome: text('outcome').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.jobUuid, t.id] }),
    index('webhook_attempts_subscription_idx').on(t.subscriptionId, t.id),
  ],
);
