import type { JobUuid, PipelineUuid } from '@pipelinejobs/core';
import { type HistoryEvent, type HistoryRow, historyEvent } from './documents.js';
import { translated } from './errors.js';
import type { Database } from './open-database.js';

/**
 * A place in the global event stream: the inserting transaction's id and the entry's position.
 * The stream is in (xact, position) order, and holds only entries of transactions that ended
 * before every transaction still running began (`xact_id < pg_snapshot_xmin(...)`): a
 * transaction still running has a higher id than any entry delivered, so it cannot commit an
 * entry behind the reader. Positions alone are not commit order: a transaction can take a lower
 * one and commit after a higher one was read.
 */
export interface StreamCursor {
  /** xid8, as decimal text. */
  readonly xact: string;
  readonly position: number;
}

/** Before every entry. */
const STREAM_START: StreamCursor = { xact: '0', position: 0 };

/** -1, 0 or 1 as `a` is before, at or after `b`. */
export function compareCursors(a: StreamCursor, b: StreamCursor): number {
  const ax = BigInt(a.xact);
  const bx = BigInt(b.xact);
  if (ax !== bx) return ax < bx ? -1 : 1;
  return Math.sign(a.position - b.position);
}

/** An entry of the global stream: where it is, its job, and the history entry. */
export interface StreamEntry {
  readonly cursor: StreamCursor;
  readonly jobUuid: JobUuid;
  readonly pipelineUuid: PipelineUuid;
  readonly event: HistoryEvent;
}

/** Which entries a reader wants; each filter that is set must match. */
export interface StreamFilter {
  readonly jobUuid?: JobUuid | undefined;
  readonly pipelineUuid?: PipelineUuid | undefined;
  /** The state the event led to. */
  readonly states?: readonly string[] | undefined;
  readonly events?: readonly string[] | undefined;
}

const SETTLED = 'e.xact_id < pg_snapshot_xmin(pg_current_snapshot())';

/**
 * The newest settled place: every entry at or before it is committed and will never be joined by
 * another; every entry committed later is after it. Where a stream that starts now begins.
 */
export async function streamHorizon(db: Database): Promise<StreamCursor> {
  const { sql } = db;
  const [row] = await translated(
    () => sql<{ xact: string; position: string }[]>`
      select e.xact_id::text as xact, e.position::text as position from job_events e
      where ${sql.unsafe(SETTLED)}
      order by e.xact_id desc, e.position desc limit 1`,
  );
  return row ? { xact: row.xact, position: Number(row.position) } : STREAM_START;
}

interface StreamRow extends HistoryRow {
  xact: string;
  position: string;
  job_uuid: JobUuid;
  pipeline_uuid: PipelineUuid;
}

/**
 * Settled entries after `after` (and at most `upTo`, when given), in stream order, at most
 * `limit`, those the filter wants. One statement, on the index of (xact_id, position).
 */
export async function selectStreamEntries(
  db: Database,
  options: {
    after: StreamCursor;
    upTo?: StreamCursor;
    filter?: StreamFilter;
    limit: number;
    /** Only entries of jobs not deleted (a replay: what reading each job's history would give). */
    visibleJobs?: boolean;
  },
): Promise<StreamEntry[]> {
  const { sql } = db;
  const { after, upTo, filter = {}, limit } = options;
  const rows = await translated(
    () => sql<StreamRow[]>`
      select e.xact_id::text as xact, e.position::text as position, e.job_uuid, j.pipeline_uuid,
        e.uuid, e.seq, e.name, e.from_state, e.to_state, e.data, e.source, e.principal_kind,
        e.principal_id, e.created_at
      from job_events e join jobs j on j.uuid = e.job_uuid
      where (e.xact_id, e.position) > (${after.xact}::xid8, ${after.position}::bigint)
        and ${sql.unsafe(SETTLED)}
        ${upTo ? sql`and (e.xact_id, e.position) <= (${upTo.xact}::xid8, ${upTo.position}::bigint)` : sql``}
        ${options.visibleJobs ? sql`and j.visible` : sql``}
        ${filter.jobUuid ? sql`and e.job_uuid = ${filter.jobUuid}` : sql``}
        ${filter.pipelineUuid ? sql`and j.pipeline_uuid = ${filter.pipelineUuid}` : sql``}
        ${filter.states ? sql`and e.to_state = any(${[...filter.states]})` : sql``}
        ${filter.events ? sql`and e.name = any(${[...filter.events]})` : sql``}
      order by e.xact_id, e.position
      limit ${limit}`,
  );
  return rows.map((row) => ({
    cursor: { xact: row.xact, position: Number(row.position) },
    jobUuid: row.job_uuid,
    pipelineUuid: row.pipeline_uuid,
    event: historyEvent(row),
  }));
}

/**
 * A job's entries after seq `after`, in seq order, at most `limit` (whatever the job's
 * visibility). With `createUuid`, none unless the job's create entry is that one (the job was not
 * removed and created again with the same uuid).
 */
export async function selectJobEntries(
  db: Database,
  jobUuid: JobUuid,
  options: { after: number; limit: number; createUuid?: string },
): Promise<HistoryEvent[]> {
  const { sql } = db;
  const rows = await translated(
    () => sql<HistoryRow[]>`
      select uuid, seq, name, from_state, to_state, data, source, principal_kind, principal_id, created_at
      from job_events where job_uuid = ${jobUuid} and seq > ${options.after}
        ${
          options.createUuid === undefined
            ? sql``
            : sql`and exists (select 1 from job_events c
                where c.job_uuid = ${jobUuid} and c.seq = 1 and c.uuid = ${options.createUuid})`
        }
      order by seq limit ${options.limit}`,
  );
  return rows.map(historyEvent);
}

/**
 * Of these jobs, each named by its uuid and the uuid of its `create` entry, those deleted
 * (hidden) or removed, and those removed and created again (the same job uuid, another create).
 */
export async function selectEndedJobs(
  db: Database,
  jobs: readonly { uuid: JobUuid; createUuid: string }[],
): Promise<JobUuid[]> {
  if (jobs.length === 0) return [];
  const { sql } = db;
  const rows = await translated(
    () => sql<{ uuid: JobUuid }[]>`
      select u.uuid from unnest(${jobs.map((j) => j.uuid) as string[]}::text[],
        ${jobs.map((j) => j.createUuid)}::text[]) as u(uuid, create_uuid)
      where not exists (
        select 1 from jobs j join job_events e on e.job_uuid = j.uuid and e.seq = 1
        where j.uuid = u.uuid and j.visible and e.uuid = u.create_uuid)`,
  );
  return rows.map((row) => row.uuid);
}

/** Of these jobs, each with the seq of the last entry a stream has of it, those with later entries. */
export async function selectJobsWithEntriesAfter(
  db: Database,
  jobs: readonly { uuid: JobUuid; after: number }[],
): Promise<JobUuid[]> {
  if (jobs.length === 0) return [];
  const { sql } = db;
  const rows = await translated(
    () => sql<{ uuid: JobUuid }[]>`
      select u.uuid from unnest(${jobs.map((j) => j.uuid) as string[]}::text[],
        ${jobs.map((j) => j.after)}::int[]) as u(uuid, after)
      where exists (select 1 from job_events e where e.job_uuid = u.uuid and e.seq > u.after)`,
  );
  return rows.map((row) => row.uuid);
}

/**
 * Of these credentials, those no longer valid: API keys revoked (or gone), nonces revoked,
 * expired or gone. An open stream of one of them ends.
 */
export async function selectInvalidCredentials(
  db: Database,
  credentials: { apiKeys: readonly string[]; nonces: readonly string[] },
): Promise<{ apiKeys: string[]; nonces: string[] }> {
  const { sql } = db;
  const { apiKeys, nonces } = credentials;
  if (apiKeys.length === 0 && nonces.length === 0) return { apiKeys: [], nonces: [] };
  const rows = await translated(
    () => sql<{ kind: 'api_key' | 'nonce'; id: string }[]>`
      select 'api_key' as kind, u.id from unnest(${[...apiKeys]}::text[]) as u(id)
      where not exists (select 1 from api_keys k where k.id::text = u.id and k.revoked_at is null)
      union all
      select 'nonce' as kind, u.id from unnest(${[...nonces]}::text[]) as u(id)
      where not exists (select 1 from nonces n where n.id::text = u.id and n.revoked_at is null
        and (n.expires_at is null or n.expires_at > now()))`,
  );
  return {
    apiKeys: rows.filter((r) => r.kind === 'api_key').map((r) => r.id),
    nonces: rows.filter((r) => r.kind === 'nonce').map((r) => r.id),
  };
}

/**
 * Whether a global stream's place can be one it gave out: its transaction ended before every
 * transaction still running began. A place past that is not one this database ever delivered.
 */
export async function isSettledCursor(db: Database, cursor: StreamCursor): Promise<boolean> {
  const { sql } = db;
  const [row] = await translated(
    () => sql<{ settled: boolean }[]>`
      select ${cursor.xact}::xid8 < pg_snapshot_xmin(pg_current_snapshot()) as settled`,
  );
  return row?.settled === true;
}
