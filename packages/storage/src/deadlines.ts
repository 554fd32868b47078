import type { JobUuid, State } from '@pipelinejobs/core';
import { type AppliedEvent, type ApplyEventHooks, applyEventIn } from './apply-event.js';
import type { Actor } from './documents.js';
import { iso } from './documents.js';
import { translated } from './errors.js';
import { overdueCondition } from './jobs.js';
import type { Database } from './open-database.js';
import { subscriptionWants } from './outbox.js';

/** A job whose fail deadline passed, claimed (row-locked) by this sweep. */
export interface DueJob {
  uuid: JobUuid;
  state: State;
  tokenVersion: number;
  budget: string;
  since: string;
  deadline: string;
}

export interface SweepOptions {
  /**
   * What is due is what ran out by the database's clock, the one that stamped every deadline (a
   * Manager whose clock is off fails no job early or late), moved on by this many milliseconds:
   * 0 but in tests, whose clock is ahead of the real one.
   */
  aheadMs: number;
  /** At most this many jobs per sweep (the rest wait for the next). */
  limit: number;
  /** Who writes the fail events (principal system). */
  actor: Actor;
  /** The event data of a job failed past its deadline; `now` is the sweep's, by the database's clock. */
  failData: (job: DueJob, now: Date) => Record<string, unknown>;
  /**
   * Told of each statement the sweep sends: `claim` always; when fail deadlines are due, `lock`
   * and one `transition` per job failed, in a transaction.
   */
  roundTrip?: (statement: 'claim' | 'lock' | 'transition') => void;
}

export interface SweepResult {
  /**
   * Jobs past a fail deadline: `applied` when failed now; neither it nor `error` when the state
   * machine refused; `error` when the transition failed (that job alone rolled back, to its
   * savepoint: the others of the batch are failed, and it is tried again at the next sweep).
   */
  failed: { uuid: JobUuid; state: State; applied: AppliedEvent | undefined; error?: unknown }[];
  /** Jobs past a notify-only deadline whose overdue notifications were queued now. */
  notified: { uuid: JobUuid; state: State }[];
  /** Whether any notification was queued (the dispatcher should look). */
  queued: boolean;
}

/** What the claim returns for each due job. */
interface ClaimRow {
  uuid: JobUuid;
  state: State;
  token_version: number;
  action: 'fail' | 'notify';
  budget: string;
  state_since: string;
  deadline_at: string;
  queued: boolean;
  /** The instant the statement decided by: the database's now, moved on by `aheadMs`. */
  swept_at: string;
}

/**
 * The claim, one statement run on its own (no transaction around it): due jobs (a deadline at or
 * before now, not yet notified), through the partial index on (deadline_notified, deadline_at),
 * locked FOR UPDATE SKIP LOCKED so that another Manager's sweep passes over them; those past a
 * notify-only deadline are marked notified and their `overdue` notifications queued (one per
 * subscription that wants it: its events filter naming `overdue`, or none) by the same
 * statement, which commits them; those past a fail deadline are returned, to be locked again by
 * LOCK_SQL in the transaction that fails them. With nothing due, the sweep is this statement alone.
 */
const CLAIM_SQL = `
  with due as (
    select uuid, state, token_version, deadline_action as action, state_since, deadline_at, version,
      pipeline_uuid, deadlines -> state ->> 'budget' as budget
    from jobs
    where deadline_at is not null and deadline_notified = false
      and deadline_at <= now() + $1::float8 * interval '1 millisecond' and visible
    order by deadline_at
    limit $2
    for update skip locked
  ), notified as (
    update jobs set deadline_notified = true
    from due where jobs.uuid = due.uuid and due.action = 'notify'
    returning due.*
  ), outbox as (
    insert into webhook_outbox (job_uuid, subscription_id, seq, kind, overdue)
    select n.uuid, s.id, n.version, 'overdue', jsonb_build_object('state', n.state, 'budget', n.budget,
      'deadline', to_char(n.deadline_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'since', to_char(n.state_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    from notified n
    join webhook_subscriptions s
      on ${subscriptionWants({ jobUuid: 'n.uuid', pipelineUuid: 'n.pipeline_uuid', to: 'n.state', name: "'overdue'" })}
    on conflict do nothing
    returning job_uuid
  )
  select uuid, state, token_version, action, budget, state_since, deadline_at,
    exists (select 1 from outbox o where o.job_uuid = due.uuid) as queued,
    now() + $1::float8 * interval '1 millisecond' as swept_at
  from due`;

/**
 * The jobs of a claim that are still past their fail deadline, locked for the transaction that
 * fails them (SKIP LOCKED: one another sweep holds is its to fail). A job another sweep failed
 * since, or that left the state, is no longer due: FOR UPDATE checks the row as it is now.
 */
const LOCK_SQL = `
  select uuid, state, token_version, 'fail' as action, deadlines -> state ->> 'budget' as budget,
    state_since, deadline_at, false as queued, now() + $2::float8 * interval '1 millisecond' as swept_at
  from jobs
  where uuid = any($1::text[]) and deadline_at is not null and deadline_notified = false
    and deadline_at <= now() + $2::float8 * interval '1 millisecond' and deadline_action = 'fail' and visible
  order by deadline_at
  for update skip locked`;

/** The claim's text, for a test to EXPLAIN: `$1` aheadMs, `$2` the limit. */
export const DEADLINE_CLAIM_SQL = CLAIM_SQL;

/**
 * One sweep: the claim (CLAIM_SQL) queues what notify-only deadlines owe; then, when fail
 * deadlines are due, one transaction locks those jobs again (LOCK_SQL) and fails each with the
 * same transition statement as every event (source `deadline`; its history, outbox and state
 * machine the same) while it holds the row lock. With nothing due it is one statement, one round
 * trip, on the partial index. A job that left the state meanwhile is not failed (its deadline
 * changed with its state); one another sweep holds is skipped, and once that sweep committed the
 * job is no longer due, so two Managers sweeping fail a job once.
 */
export async function sweepDeadlines(db: Database, options: SweepOptions): Promise<SweepResult> {
  const { aheadMs } = options;
  return translated(async () => {
    options.roundTrip?.('claim');
    const rows = await db.sql.unsafe<ClaimRow[]>(CLAIM_SQL, [aheadMs, options.limit], { prepare: true });
    const result: SweepResult = { failed: [], notified: [], queued: false };
    const failing: JobUuid[] = [];
    for (const row of rows) {
      if (row.queued) result.queued = true;
      if (row.action === 'notify') result.notified.push({ uuid: row.uuid, state: row.state });
      else failing.push(row.uuid);
    }
    if (failing.length === 0) return result;
    await db.sql.begin(async (tx) => {
      options.roundTrip?.('lock');
      const locked = await tx.unsafe<ClaimRow[]>(LOCK_SQL, [failing, aheadMs], { prepare: true });
      for (const row of locked) {
        const due: DueJob = {
          uuid: row.uuid,
          state: row.state,
          tokenVersion: row.token_version,
          budget: row.budget,
          since: iso(row.state_since),
          deadline: iso(row.deadline_at),
        };
        const hooks: ApplyEventHooks = { roundTrip: () => options.roundTrip?.('transition') };
        let applied: AppliedEvent | undefined;
        try {
          applied = await tx.savepoint((sp) =>
            applyEventIn(
              sp,
              {
                jobUuid: row.uuid,
                name: 'fail',
                data: options.failData(due, new Date(row.swept_at)),
                source: 'deadline',
                actor: options.actor,
              },
              row.token_version,
              hooks,
            ),
          );
        } catch (error) {
          result.failed.push({ uuid: row.uuid, state: row.state, applied: undefined, error });
          continue;
        }
        // Refused by the state machine (a fail budget kept from before such budgets were
        // refused): marked as dealt with, so the sweeps do not claim it again and again. A job
        // failed now is not (its deadline is the new state's), whether or not it queued anything.
        if (applied === undefined)
          await tx`update jobs set deadline_notified = true where uuid = ${row.uuid}`;
        else if (applied.queued) result.queued = true;
        result.failed.push({ uuid: row.uuid, state: row.state, applied });
      }
    });
    return result;
  });
}

/**
 * Jobs past the deadline of their state by the database's clock moved on by `aheadMs` (see
 * overdueCondition), by state (states without one are absent).
 */
export async function countOverdueByState(
  db: Database,
  aheadMs = 0,
): Promise<Partial<Record<State, number>>> {
  const { sql } = db;
  const rows = await translated(
    () => sql<{ state: State; n: number }[]>`
      select state, count(*)::int as n from jobs
      where ${overdueCondition(sql, aheadMs)} and visible
      group by state`,
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}
