import { transition } from '@pipelinejobs/core';
import type { Sql } from 'postgres';

export interface HistoryRow {
  job_uuid: string;
  seq: number;
  uuid: string;
  name: string;
  from_state: string;
  to_state: string;
  idempotency_key: string | null;
}

export interface JobRow {
  uuid: string;
  state: string;
  last_event: string;
  version: number;
}

export interface HistoryReport {
  jobs: number;
  events: number;
  /** Every history entry by its event uuid (how many times it appears: must be 1). */
  byUuid: Map<string, HistoryRow[]>;
  /** By idempotency key, for events sent with one. */
  byKey: Map<string, HistoryRow[]>;
  /** Each job's history, in seq order. */
  histories: Map<string, HistoryRow[]>;
  jobsByUuid: Map<string, JobRow>;
  /** What is wrong, one line per finding (capped): empty when every invariant holds. */
  problems: string[];
}

/**
 * Reads jobs and their histories straight from the database and checks the invariants every
 * job must keep, whatever happened to the Managers: seq gapless from 1, version == number of
 * entries, the first entry is `create` in CREATED, each entry starts where the previous one
 * ended and is a legal move of the state machine (core's transition()), the job's state and
 * last_event are those of its newest entry, and no event uuid appears twice.
 */
export async function checkHistories(sql: Sql, jobUuids?: readonly string[]): Promise<HistoryReport> {
  const filter = jobUuids === undefined ? sql`` : sql`where uuid in ${sql(jobUuids as string[])}`;
  const eventFilter = jobUuids === undefined ? sql`` : sql`where job_uuid in ${sql(jobUuids as string[])}`;
  const jobs = await sql<JobRow[]>`select uuid, state, last_event, version from jobs ${filter}`;
  const rows = await sql<HistoryRow[]>`
    select job_uuid, seq, uuid, name, from_state, to_state, idempotency_key
    from job_events ${eventFilter} order by job_uuid, seq`;
  const problems: string[] = [];
  const problem = (line: string) => {
    if (problems.length < 50) problems.push(line);
  };
  const byUuid = new Map<string, HistoryRow[]>();
  const byKey = new Map<string, HistoryRow[]>();
  const histories = new Map<string, HistoryRow[]>();
  for (const row of rows) {
    byUuid.set(row.uuid, [...(byUuid.get(row.uuid) ?? []), row]);
    if (row.idempotency_key !== null) {
      const key = `${row.job_uuid}/${row.idempotency_key}`;
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
    let history = histories.get(row.job_uuid);
    if (!history) {
      history = [];
      histories.set(row.job_uuid, history);
    }
    history.push(row);
  }
  for (const [uuid, found] of byUuid) {
    if (found.length > 1) problem(`event ${uuid} appears ${found.length} times`);
  }
  const jobsByUuid = new Map(jobs.map((job) => [job.uuid, job]));
  for (const job of jobs) {
    const history = histories.get(job.uuid) ?? [];
    const where = `job ${job.uuid}`;
    if (history.length !== job.version) {
      problem(`${where}: version ${job.version} but ${history.length} history entries`);
    }
    history.forEach((row, i) => {
      if (row.seq !== i + 1) problem(`${where}: entry ${i + 1} has seq ${row.seq} (gap or duplicate)`);
      if (i === 0) {
        if (row.name !== 'create' || row.from_state !== 'CREATED' || row.to_state !== 'CREATED') {
          problem(`${where}: first entry is ${row.name} ${row.from_state}->${row.to_state}, not create`);
        }
        return;
      }
      const previous = history[i - 1] as HistoryRow;
      if (row.from_state !== previous.to_state) {
        problem(
          `${where}: seq ${row.seq} starts in ${row.from_state} but seq ${previous.seq} ended in ${previous.to_state}`,
        );
      }
      const legal = transition(row.from_state, row.name);
      if (!legal.ok || legal.to !== row.to_state) {
        problem(
          `${where}: seq ${row.seq} ${row.name} ${row.from_state}->${row.to_state} is not a legal move`,
        );
      }
    });
    const last = history.at(-1);
    if (last && (last.to_state !== job.state || last.name !== job.last_event)) {
      problem(
        `${where}: state ${job.state}/${job.last_event} but newest entry ${last.name} -> ${last.to_state}`,
      );
    }
  }
  for (const jobUuid of histories.keys()) {
    if (!jobsByUuid.has(jobUuid)) problem(`history entries of a job that does not exist: ${jobUuid}`);
  }
  return { jobs: jobs.length, events: rows.length, byUuid, byKey, histories, jobsByUuid, problems };
}
