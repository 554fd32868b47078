import type { PipelineUuid, State } from '@pipelinejobs/core';
import { translated } from './errors.js';
import { overdueCondition } from './jobs.js';
import type { Database } from './open-database.js';

/**
 * About how many history rows there are: PostgreSQL's running count of live rows in job_events
 * (kept by its statistics as rows are written and removed), read without scanning the table,
 * which a count(*) of millions of rows would.
 */
export async function estimateHistoryRows(db: Database): Promise<number> {
  const [row] = await translated(
    () => db.sql<{ n: string | null }[]>`
      select n_live_tup::text as n from pg_stat_user_tables
      where relid = to_regclass('job_events')`,
  );
  return Number(row?.n ?? 0);
}

/** The filters of a listing that a count takes (its cursor and page size aside). */
export interface JobCountFilters {
  state?: State;
  pipelineUuid?: PipelineUuid;
  updatedSince?: Date;
  overdue?: { aheadMs?: number };
}

function countedJobs(sql: Database['sql'], filters: JobCountFilters) {
  return sql`from jobs
      where visible
        ${filters.state ? sql`and state = ${filters.state}` : sql``}
        ${filters.pipelineUuid ? sql`and pipeline_uuid = ${filters.pipelineUuid}` : sql``}
        ${filters.updatedSince ? sql`and updated_at >= ${filters.updatedSince.toISOString()}::timestamptz` : sql``}
        ${filters.overdue ? sql`and ${overdueCondition(sql, filters.overdue.aheadMs)}` : sql``}`;
}

/** How many visible jobs a listing with these filters has in all (the CLI's progress line). */
export async function countJobs(db: Database, filters: JobCountFilters): Promise<number> {
  const { sql } = db;
  const [row] = await translated(
    () => sql<{ n: number }[]>`select count(*)::int as n ${countedJobs(sql, filters)}`,
  );
  return row?.n ?? 0;
}

/**
 * How many visible jobs a listing with these filters has in each state (its own state filter
 * aside; states without a job are absent), in one statement; with no filter, all of them (the
 * jobs-by-state gauge).
 */
export async function countJobsPerState(
  db: Database,
  filters: Omit<JobCountFilters, 'state'> = {},
): Promise<Partial<Record<State, number>>> {
  const { sql } = db;
  const rows = await translated(
    () => sql<{ state: State; n: number }[]>`
      select state, count(*)::int as n ${countedJobs(sql, filters)} group by state`,
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}
