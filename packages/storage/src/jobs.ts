import {
  applyBudgets,
  type BudgetChanges,
  type Budgets,
  INITIAL_STATE,
  type JobUuid,
  jobUuid,
  type PipelineUuid,
  parseBudgets,
  parseInstant,
  parseJobUuid,
  randomTypedUuid,
  type State,
} from '@pipelinejobs/core';
import type { CreateJobRequest } from '@pipelinejobs/schemas';
import {
  type Actor,
  decodeCursor,
  encodeCursor,
  type HistoryEvent,
  type HistoryRow,
  historyEvent,
  type JobDocument,
  type JobRow,
  jobDocument,
} from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';
import { outboxInsert } from './outbox.js';
import { more, type Paged, withinBudget } from './page-budget.js';

/**
 * A job as created: the schema-checked request of POST /jobs with its UUIDs in lower case and its
 * pipeline UUID parsed (absent and `[]` for `child_of` give different identities, as in the
 * original: docs/reference.md#job-and-pipeline-identity).
 */
export type InsertJobInput = Omit<CreateJobRequest, 'pipeline_uuid'> & { pipeline_uuid: PipelineUuid };

export interface InsertJobOptions {
  /** Who creates the job: recorded on the job and its `create` history entry. */
  creator: Actor;
  /**
   * The identity computed by the caller from the exact view of the request's one parse (core's
   * parseJson keeps 1.0 apart from 1); by default it is computed from `input`.
   */
  uuid?: JobUuid;
  /** Overrides of the pipeline's time budgets (parsed by the caller; null removes one). */
  deadlines?: BudgetChanges;
}

const JOB_COLUMNS = `uuid, pipeline_uuid, state, last_event, token_version, archive_path, archive_system,
  archive_patterns, product_patterns, session, agent, task, child_of, generated_by, acted_on, acted_using,
  data, creator_kind, creator_id, visible, version,
  created_at, updated_at, state_since, deadlines, deadline_at, deadline_action, deadline_notified`;

/**
 * What a job's document weighs in a page (see withinBudget): every column that can be large,
 * its data and patterns, its lists of UUIDs and its free text, not its data alone.
 */
const JOB_BYTES = `(octet_length(data::text) + octet_length(archive_patterns::text)
  + octet_length(product_patterns::text) + octet_length(child_of::text)
  + octet_length(generated_by::text) + octet_length(acted_on::text) + octet_length(acted_using::text)
  + coalesce(octet_length(archive_path), 0) + coalesce(octet_length(archive_system), 0)
  + coalesce(octet_length(session), 0) + coalesce(octet_length(agent), 0)
  + coalesce(octet_length(task), 0) + coalesce(octet_length(creator_id), 0))`;

/** The same for a history entry: its data and who sent it. */
const EVENT_BYTES = `(coalesce(octet_length(data::text), 0) + coalesce(octet_length(principal_id), 0))`;

/**
 * Creates a job, or returns the existing job with the same identity (`created: false`) without
 * writing a second `create` history entry. The job row and its first history entry are inserted
 * by one statement, together or not at all. A job re-created after a force delete starts at the
 * token version after the deleted one's, so no token of the deleted job is ever valid again: the
 * insert reads that floor, and, in the same transaction, a second statement reads it again. The
 * second read matters when a force delete of the same job commits while the insert waits for it
 * (the insert then goes on with the snapshot it took before the delete's audit row existed); a
 * statement started after the insert sees that row, and the job is committed only at the right
 * version.
 */
export async function insertJob(
  db: Database,
  input: InsertJobInput,
  options: InsertJobOptions,
): Promise<{ job: JobDocument; created: boolean; queued: boolean }> {
  const { creator } = options;
  const uuid =
    options.uuid ??
    jobUuid({ pipeline_uuid: input.pipeline_uuid, child_of: input.child_of, data: input.data });
  const eventUuid = randomTypedUuid('pipelinejob_event');
  const { sql } = db;
  const made = await translated(() =>
    sql.begin(async (sql) => {
      const [pipeline] = await sql<{ visible: boolean; deadlines: unknown }[]>`
      select visible, body -> 'deadlines' as deadlines from pipelines where uuid = ${input.pipeline_uuid}`;
      if (!pipeline?.visible) {
        throw new StorageError(
          'not_found',
          `Pipeline ${input.pipeline_uuid} is not registered: register it first (POST /pipelines, or \`pipelinejobs pipelines add\`)`,
          { pipeline_uuid: input.pipeline_uuid },
        );
      }
      const budgets = storedBudgets(applyBudgets(pipelineBudgets(pipeline.deadlines), options.deadlines));
      const rows = await sql<(JobRow & { queued: boolean })[]>`
      with job as (
        insert into jobs (uuid, pipeline_uuid, state, last_event, token_version, archive_path,
          archive_system, archive_patterns, product_patterns, session, agent, task, child_of,
          generated_by, acted_on, acted_using, data, creator_kind, creator_id,
          deadlines, deadline_at, deadline_action)
        values (${uuid}, ${input.pipeline_uuid}, ${INITIAL_STATE}, 'create',
          (select coalesce(max(token_version), 0) + 1 from job_audit
            where job_uuid = ${uuid} and action = 'force_delete'),
          ${input.archive_path ?? null},
          ${input.archive_system ?? null}, ${JSON.stringify(input.archive_patterns ?? [])}::jsonb,
          ${JSON.stringify(input.product_patterns ?? [])}::jsonb, ${input.session ?? null}, ${input.agent ?? null},
          ${input.task ?? null}, ${JSON.stringify(input.child_of ?? [])}::jsonb,
          ${JSON.stringify(input.generated_by ?? [input.pipeline_uuid])}::jsonb,
          ${JSON.stringify(input.acted_on ?? [])}::jsonb, ${JSON.stringify(input.acted_using ?? [])}::jsonb,
          ${JSON.stringify(input.data)}::jsonb, ${creator.kind}, ${creator.id},
          ${budgets}::jsonb,
          date_trunc('milliseconds', now())
            + (${budgets}::jsonb -> ${INITIAL_STATE} ->> 'ms')::bigint * interval '1 millisecond',
          ${budgets}::jsonb -> ${INITIAL_STATE} ->> 'action')
        on conflict (uuid) do nothing
        returning *
      ), event as (
        insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source,
          principal_kind, principal_id, created_at)
        select uuid, 1, ${eventUuid}, 'create', state, state, data, 'create', creator_kind, creator_id,
          created_at
        from job
        returning job_uuid, seq, name, to_state
      ), outbox as (${sql.unsafe(outboxInsert('event', '(select pipeline_uuid from job)'))})
      select ${sql.unsafe(JOB_COLUMNS)}, exists (select 1 from outbox) as queued from job`;
      const [inserted] = rows;
      // Read after the transaction, not inside it on another pooled connection: transactions
      // holding every connection while each waits for one more would wedge the pool (a burst
      // of creates of one job did).
      if (!inserted) return undefined;
      const [floored] = await sql<JobRow[]>`
      update jobs set token_version = floor.next
      from (select max(token_version) + 1 as next from job_audit
            where job_uuid = ${uuid} and action = 'force_delete') as floor
      where uuid = ${uuid} and floor.next > token_version
      returning ${sql.unsafe(JOB_COLUMNS.replaceAll(/\b(\w+)\b/g, 'jobs.$1'))}`;
      return { job: jobDocument(floored ?? inserted), created: true, queued: inserted.queued };
    }),
  );
  return made ?? { job: await selectJob(db, uuid), created: false, queued: false };
}

/**
 * A registered pipeline's budgets (its document was checked when it was registered), state by
 * state: one that today's rules refuse (a fail budget where the state machine cannot fail,
 * registered before that was refused) is left out alone, never taking the others with it.
 */
function pipelineBudgets(declared: unknown): Budgets {
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) return {};
  const kept: BudgetChanges = {};
  for (const [state, entry] of Object.entries(declared)) {
    const parsed = parseBudgets({ [state]: entry });
    if (parsed.ok) Object.assign(kept, parsed.value);
  }
  return applyBudgets({}, kept);
}

/** Budgets as the jobs row keeps them: JSON text, or null when there are none. */
function storedBudgets(budgets: Budgets): string | null {
  return Object.keys(budgets).length === 0 ? null : JSON.stringify(budgets);
}

async function jobRow(db: Database, uuid: JobUuid): Promise<JobRow | undefined> {
  const [row] = await translated(
    () => db.sql<JobRow[]>`select ${db.sql.unsafe(JOB_COLUMNS)} from jobs where uuid = ${uuid}`,
  );
  return row;
}

/** A visible job; `not_found` when there is none, `gone` when it was deleted. */
export async function selectJob(db: Database, uuid: JobUuid): Promise<JobDocument> {
  const row = await jobRow(db, uuid);
  if (!row) throw new StorageError('not_found', `No job ${uuid} exists`, { uuid });
  if (!row.visible) throw new StorageError('gone', `Job ${uuid} was deleted`, { uuid });
  return jobDocument(row);
}

export interface SelectJobsOptions {
  state?: State;
  /** Only jobs past the deadline of their state, by the database's clock (see overdueCondition). */
  overdue?: { aheadMs?: number };
  pipelineUuid?: PipelineUuid;
  /** Only jobs updated at or after this time. */
  updatedSince?: Date;
  /** Checked by the caller against the listing's bounds. */
  limit: number;
  /** The most bytes of job data a page holds (at least one job is always returned). */
  maxBytes: number;
  /** Where the previous page ended (its `next`, parsed with `parseJobCursor`). */
  cursor?: JobCursor;
}

declare const cursorBrand: unique symbol;
/** Where a page of jobs ended: the last job's update time and uuid. Made only by `parseJobCursor`. */
export type JobCursor = readonly [updated: string, uuid: JobUuid] & { readonly [cursorBrand]: true };

/** A `next` cursor this server issued, or undefined for anything else. */
export function parseJobCursor(text: string): JobCursor | undefined {
  return decodeCursor(
    text,
    (v: unknown): v is JobCursor =>
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      parseInstant(v[0]) !== undefined &&
      parseJobUuid(v[1]) === v[1],
  );
}

/**
 * Past its deadline by the database's clock, the one that stamped the deadline (the time the job
 * entered its state plus its budget), moved on by `aheadMs` (0 but in tests, whose clock is ahead of
 * the real one); written so that the partial index on (deadline_notified, deadline_at) serves it:
 * both values of the flag, each a range of deadlines.
 */
export function overdueCondition(sql: Database['sql'], aheadMs = 0) {
  // A fail deadline marked notified is one the sweep could not act on (the state machine
  // refused): not overdue, or it would be counted for ever.
  return sql`deadline_at is not null and deadline_notified = any(array[false, true])
    and deadline_at <= now() + ${aheadMs}::float8 * interval '1 millisecond'
    and not (deadline_notified and deadline_action = 'fail')`;
}

/** Visible jobs, most recently updated first, with keyset pagination. */
export async function selectJobs(
  db: Database,
  options: SelectJobsOptions,
): Promise<{ items: JobDocument[]; next: string | null }> {
  const { sql } = db;
  const { limit, cursor } = options;
  const rows = await translated(
    () => sql<(JobRow & Paged)[]>`
      ${withinBudget(
        sql,
        sql`
        select ${sql.unsafe(JOB_COLUMNS)}, ${sql.unsafe(JOB_BYTES)} as bytes from jobs
        where visible
          ${options.state ? sql`and state = ${options.state}` : sql``}
          ${options.pipelineUuid ? sql`and pipeline_uuid = ${options.pipelineUuid}` : sql``}
          ${options.updatedSince ? sql`and updated_at >= ${options.updatedSince.toISOString()}::timestamptz` : sql``}
          ${options.overdue ? sql`and ${overdueCondition(sql, options.overdue.aheadMs)}` : sql``}
          ${cursor ? sql`and (updated_at, uuid) < (${cursor[0]}::timestamptz, ${cursor[1]})` : sql``}
        -- NULLS LAST as in the indexes (drizzle writes them so), or the planner sorts instead.
        order by updated_at desc nulls last, uuid desc nulls last
        limit ${limit + 1}`,
        sql`updated_at desc nulls last, uuid desc nulls last`,
        options.maxBytes,
      )}`,
  );
  const items = rows.slice(0, limit).map(jobDocument);
  const last = items.at(-1);
  return { items, next: more(rows, items) && last ? encodeCursor([last.updated, last.uuid]) : null };
}

export interface SelectHistoryOptions {
  /** The last seq of the previous page; 0 for the first. */
  after: number;
  /** Checked by the caller against the listing's bounds. */
  limit: number;
  /** The most bytes of event data a page holds (at least one event is always returned). */
  maxBytes: number;
}

/** A job's history, oldest first, by seq, with keyset pagination on seq. */
export async function selectHistory(
  db: Database,
  uuid: JobUuid,
  page: SelectHistoryOptions,
): Promise<{ items: HistoryEvent[]; next: number | null }> {
  await selectJob(db, uuid);
  const { sql } = db;
  const { limit } = page;
  const rows = await translated(
    () => sql<(HistoryRow & Paged)[]>`
      ${withinBudget(
        sql,
        sql`
        select uuid, seq, name, from_state, to_state, data, source, principal_kind, principal_id,
          created_at, ${sql.unsafe(EVENT_BYTES)} as bytes
        from job_events
        where job_uuid = ${uuid} and seq > ${page.after}
        order by seq
        limit ${limit + 1}`,
        sql`seq`,
        page.maxBytes,
      )}`,
  );
  const items = rows.slice(0, limit).map(historyEvent);
  return { items, next: more(rows, items) ? (items.at(-1)?.seq ?? null) : null };
}

/** The admin actions on a job that are not events, as recorded in job_audit. */
export type JobAuditAction = 'delete' | 'force_delete' | 'rotate_token' | 'set_deadlines';

/**
 * Deletes a job: soft (hidden: refused by events with `gone`, left out of listings) or, with
 * `force`, hard (the job and its history are removed). Either way one statement also records who
 * did it in job_audit, which has no foreign key and outlives a force-deleted job.
 */
export async function markJobDeleted(
  db: Database,
  uuid: JobUuid,
  options: {
    force?: boolean;
    actor: Actor;
    /**
     * A cancel: only while no event but its create was applied and the job token is still at the
     * version the caller's token was checked against (a rotation committed in between must not
     * let the old token delete the job); else `conflict`.
     */
    unstarted?: { tokenVersion: number };
  },
) {
  const { sql } = db;
  const { actor } = options;
  const action: JobAuditAction = options.force ? 'force_delete' : 'delete';
  const rows = await translated(() =>
    options.force
      ? sql`
        with deleted as (
          delete from jobs where uuid = ${uuid}
            ${options.unstarted ? sql`and visible and version = 1 and token_version = ${options.unstarted.tokenVersion}` : sql``}
          returning uuid, token_version
        ),
        audit as (
          insert into job_audit (job_uuid, action, principal_kind, principal_id, token_version)
          select uuid, ${action}, ${actor.kind}, ${actor.id}, token_version from deleted
        )
        select uuid from deleted`
      : sql`
        with hidden as (
          update jobs set visible = false, updated_at = date_trunc('milliseconds', now()),
            deadline_at = null, deadline_action = null
          where uuid = ${uuid} and visible returning uuid, token_version
        ), audit as (
          insert into job_audit (job_uuid, action, principal_kind, principal_id, token_version)
          select uuid, ${action}, ${actor.kind}, ${actor.id}, token_version from hidden
        )
        select uuid from hidden`,
  );
  if (rows.length === 0) {
    const row = await jobRow(db, uuid);
    if (!row) throw new StorageError('not_found', `No job ${uuid} exists`, { uuid });
    if (!row.visible || !options.unstarted) {
      throw new StorageError('gone', `Job ${uuid} was already deleted`, { uuid });
    }
    if (row.token_version !== options.unstarted.tokenVersion) {
      throw new StorageError(
        'conflict',
        `Job ${uuid}'s token was rotated while it was being cancelled: the token sent no longer cancels it`,
        { uuid },
      );
    }
    throw new StorageError(
      'conflict',
      `Job ${uuid} has had events besides its create (it is ${row.state}, version ${row.version}): it cannot be cancelled; send a fail event instead`,
      { uuid, state: row.state },
    );
  }
  return { uuid, deleted: options.force ? ('hard' as const) : ('soft' as const) };
}

/**
 * Bumps the job's token version, which invalidates its current job token, and records who did
 * it, in one statement.
 */
export async function bumpTokenVersion(db: Database, uuid: JobUuid, actor: Actor): Promise<JobDocument> {
  const { sql } = db;
  const [row] = await translated(
    () => sql<JobRow[]>`
      with rotated as (
        update jobs set token_version = token_version + 1 where uuid = ${uuid} and visible
        returning ${sql.unsafe(JOB_COLUMNS)}
      ), audit as (
        insert into job_audit (job_uuid, action, principal_kind, principal_id, token_version)
        select uuid, 'rotate_token', ${actor.kind}, ${actor.id}, token_version from rotated
      )
      select * from rotated`,
  );
  if (row) return jobDocument(row);
  await selectJob(db, uuid);
  throw new StorageError('not_found', `No job ${uuid} exists`, { uuid });
}

export interface JobAuditEntry {
  /** The entry's place in the audit log; a page's `next` is the last one's, given back as `after`. */
  id: number;
  job_uuid: string;
  action: JobAuditAction;
  principal: Actor;
  token_version: number;
  date: string;
}

export interface SelectAuditOptions {
  /** The last id of the previous page; 0 for the first. */
  after: number;
  /** Checked by the caller against the listing's bounds. */
  limit: number;
}

/** A job's admin actions, oldest first, a page at a time (keyset on id); kept after a force delete. */
export async function selectJobAudit(
  db: Database,
  uuid: JobUuid,
  page: SelectAuditOptions,
): Promise<{ items: JobAuditEntry[]; next: number | null }> {
  const rows = await translated(
    () => db.sql<
      {
        id: string;
        job_uuid: string;
        action: JobAuditAction;
        principal_kind: string;
        principal_id: string;
        token_version: number;
        created_at: string;
      }[]
    >`
      select id, job_uuid, action, principal_kind, principal_id, token_version, created_at
      from job_audit where job_uuid = ${uuid} and id > ${page.after}
      order by id limit ${page.limit + 1}`,
  );
  const items = rows.slice(0, page.limit).map((row) => ({
    id: Number(row.id),
    job_uuid: row.job_uuid,
    action: row.action,
    principal: { kind: row.principal_kind, id: row.principal_id },
    token_version: row.token_version,
    date: new Date(row.created_at).toISOString(),
  }));
  return { items, next: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * Replaces a job's time budgets and, in the same statement, the deadline of the state it is in
 * (from when it entered it: a budget already used up makes the job due at the next sweep), and
 * records who did it in job_audit. A notify-only deadline already notified stays notified, whatever
 * its new time: one overdue notification per entry into the state (the sweep's outbox row is keyed
 * by the job's latest history entry, so a second one would be dropped, or sent only when some
 * event had come in between).
 */
export async function updateJobDeadlines(
  db: Database,
  uuid: JobUuid,
  budgets: Budgets,
  actor: Actor,
): Promise<JobDocument> {
  const { sql } = db;
  const stored = storedBudgets(budgets);
  const [row] = await translated(
    () => sql<JobRow[]>`
      with next as (
        select uuid, ${stored}::jsonb as deadlines,
          state_since + (${stored}::jsonb -> state ->> 'ms')::bigint * interval '1 millisecond' as deadline_at,
          ${stored}::jsonb -> state ->> 'action' as deadline_action
        from jobs where uuid = ${uuid} and visible
        for update
      ), changed as (
        update jobs set deadlines = next.deadlines, deadline_at = next.deadline_at,
          deadline_action = next.deadline_action,
          deadline_notified = coalesce(jobs.deadline_notified and next.deadline_action = 'notify', false),
          updated_at = greatest(date_trunc('milliseconds', now()), jobs.updated_at)
        from next where jobs.uuid = next.uuid
        returning ${sql.unsafe(JOB_COLUMNS.replaceAll(/\b(\w+)\b/g, 'jobs.$1'))}
      ), audit as (
        insert into job_audit (job_uuid, action, principal_kind, principal_id, token_version)
        select uuid, 'set_deadlines', ${actor.kind}, ${actor.id}, token_version from changed
      )
      select * from changed`,
  );
  if (row) return jobDocument(row);
  await selectJob(db, uuid);
  throw new StorageError('not_found', `No job ${uuid} exists`, { uuid });
}
