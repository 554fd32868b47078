import {
  type EventName,
  type JobUuid,
  type MessageEventName,
  randomTypedUuid,
  type State,
  transition,
} from '@pipelinejobs/core';
import type postgres from 'postgres';
import type { Actor, EventOutcome, EventSource } from './documents.js';
import { isDriverError, StorageError, translateError } from './errors.js';
import type { Database } from './open-database.js';
import { outboxInsert } from './outbox.js';

export interface EventInput {
  jobUuid: JobUuid;
  /** Parsed where the event entered: a known event, never `create`. */
  name: MessageEventName;
  data?: unknown;
  source: EventSource;
  /** Who sends it: recorded with the history entry. */
  actor: Actor;
  /** The same key on the same job returns the first result and writes nothing. */
  idempotencyKey?: string;
  /**
   * What the request asked, hashed by the caller (form, event, data): stored with the key, so
   * that the same key with another request is refused (`key_reused`) instead of replayed.
   */
  fingerprint?: string;
}

/** What the authorisation callback sees of the job. */
export interface LockedJob {
  uuid: JobUuid;
  state: State;
  tokenVersion: number;
}

/**
 * Decides whether the caller may apply the event to the job as read; throws to refuse (nothing is
 * written and the error reaches the caller unchanged). It may be called twice for one event: on
 * the job read without a lock, then again on the locked row when the optimistic write lost a race.
 * Synchronous, so that nothing can wait on I/O while the row lock is held: all it needs was read
 * before. Storage knows nothing of tokens: the apps pass a callback built from @pipelinejobs/auth.
 */
export type Authorize = (job: LockedJob) => void;

/**
 * Seams for the tests of the races: `afterRead` runs on the fast path between the unlocked read
 * (and its authorisation) and the write, so a test can make something happen there; `path` says
 * which path decided. Neither is ever called while the row lock is held.
 */
export interface ApplyEventHooks {
  afterRead?: (job: LockedJob) => Promise<void>;
  path?: (taken: 'fast' | 'locked') => void;
}

export interface AppliedEvent {
  outcome: EventOutcome;
  /** True when the idempotency key had been used: `outcome` is the stored first result. */
  replayed: boolean;
}

interface JobRow {
  state: string;
  token_version: number;
  visible: boolean;
  version: number;
  /**
   * The event's time: now, but never before the job's last change, so that a job's history is in
   * time order and its `updated` never goes back (an event that read the clock first may commit
   * second). A string: drizzle turns off the driver's date parsing on the shared client.
   */
  at: string | Date;
}

/** The event and what the caller asked. */
interface EventCall {
  input: EventInput;
  name: MessageEventName;
  key: string | null;
  authorize: Authorize;
  hooks: ApplyEventHooks;
}

/** What the FSM decided for the job as read: the outcome to write, or the refusal. */
type Decision = { ok: true; row: JobRow; outcome: EventOutcome } | { ok: false; refusal: StorageError };

/**
 * Applies one event. The fast path takes two round trips and no explicit transaction: read the
 * job without a lock, authorise and run the FSM, then one statement that locks the row, checks
 * it is still as read (version, state, token version, visible) and inserts the history row and
 * updates the job. When anything changed in between (a competing event, a token rotation, a
 * deletion), when the idempotency key was already used, or when the FSM refuses an event that
 * carries a key, nothing has been written and the event goes through the locked path (as does
 * an event whose job already has one in flight in this process, see `inFlight`): one
 * transaction that locks the row (SELECT ... FOR UPDATE), authorises, runs the FSM and writes
 * with the same statement; four round trips (BEGIN, lock, write, COMMIT), one more to read the
 * stored result of a replayed key, after the fast path's two. A refused event writes nothing.
 *
 * Idempotency keys are checked by the write itself (ON CONFLICT on (job_uuid, key)) rather than
 * by a read before it: under READ COMMITTED a statement that waited for the lock still sees the
 * snapshot taken before it waited, so it could miss a key committed meanwhile.
 */
export async function applyEvent(
  db: Database,
  input: EventInput,
  authorize: Authorize,
  hooks: ApplyEventHooks = {},
): Promise<AppliedEvent> {
  const call: EventCall = { input, name: input.name, key: input.idempotencyKey ?? null, authorize, hooks };
  try {
    const busy = enter(input.jobUuid);
    try {
      const fast = busy ? undefined : await applyOptimistically(db, call);
      if (fast) {
        call.hooks.path?.('fast');
        return fast;
      }
      call.hooks.path?.('locked');
      return await db.sql.begin((tx) => applyLocked(tx, call));
    } finally {
      leave(input.jobUuid);
    }
  } catch (error) {
    // The authorisation callback's own refusals pass through unchanged; driver errors are translated.
    throw isDriverError(error) ? translateError(error) : error;
  }
}

/**
 * Events being applied by this process, per job. An event whose job already has one in flight
 * takes the locked path straight away: on a hot job nearly every optimistic write would lose
 * the race, having cost two round trips and a wait in the row's lock queue before the locked
 * path waits there again; on distinct jobs this almost never happens. Only the choice of path
 * depends on it, never the result.
 */
const inFlight = new Map<string, number>();

/** Counts one more event in flight on the job; true when there already was one. */
function enter(jobUuid: string): boolean {
  const before = inFlight.get(jobUuid) ?? 0;
  inFlight.set(jobUuid, before + 1);
  return before > 0;
}

function leave(jobUuid: string): void {
  const left = (inFlight.get(jobUuid) ?? 1) - 1;
  if (left > 0) inFlight.set(jobUuid, left);
  else inFlight.delete(jobUuid);
}

/**
 * The fast path: the applied event, or undefined when nothing was written and the locked path
 * must decide.
 */
async function applyOptimistically(db: Database, call: EventCall): Promise<AppliedEvent | undefined> {
  const [row] = await readJob(db.sql, call.input.jobUuid, false);
  const decision = decide(row, call);
  if (!decision.ok) {
    // Without a key the refusal stands as read; with one, the locked path looks for a replay.
    if (call.key === null) throw decision.refusal;
    return undefined;
  }
  await call.hooks.afterRead?.({
    uuid: call.input.jobUuid,
    state: decision.row.state as State,
    tokenVersion: decision.row.token_version,
  });
  if (await write(db.sql, call, decision)) return { outcome: decision.outcome, replayed: false };
  return undefined;
}

/** The job row as an event needs it; `lock` takes the row lock (inside a transaction). */
function readJob(sql: postgres.ISql, jobUuid: string, lock: boolean) {
  return sql<JobRow[]>`
    select state, token_version, visible, version,
      greatest(date_trunc('milliseconds', now()), updated_at) as at
    from jobs where uuid = ${jobUuid}
    ${lock ? sql`for update` : sql``}`;
}

/** The locked path, inside a transaction: every case, including replays and refusals. */
async function applyLocked(tx: postgres.TransactionSql, call: EventCall): Promise<AppliedEvent> {
  const { input, name, key } = call;
  const [row] = await readJob(tx, input.jobUuid, true);
  const decision = decide(row, call);

  /** The stored first result for this key, if the key was used on this job. */
  const replay = async (): Promise<AppliedEvent | undefined> => {
    if (key === null) return undefined;
    const [stored] = await tx<{ name: string; response: EventOutcome; request_fingerprint: string | null }[]>`
      select name, response, request_fingerprint from job_events
      where job_uuid = ${input.jobUuid} and idempotency_key = ${key}`;
    if (!stored) return undefined;
    // Entries written before fingerprints were kept are compared by event name alone.
    const same =
      stored.request_fingerprint === null || input.fingerprint === undefined
        ? stored.name === name
        : stored.request_fingerprint === input.fingerprint;
    if (!same) {
      throw new StorageError(
        'key_reused',
        `The Idempotency-Key was already used on this job for another request (a '${stored.name}' event${stored.name === name ? ' with other data, note or form' : ''}); send each distinct request with a new key, and repeat a key only to retry exactly the same request`,
        { uuid: input.jobUuid },
      );
    }
    return { outcome: stored.response, replayed: true };
  };

  if (!decision.ok) {
    const replayed = await replay();
    if (replayed) return replayed;
    throw decision.refusal;
  }
  if (await write(tx, call, decision)) return { outcome: decision.outcome, replayed: false };
  const replayed = await replay();
  if (!replayed) throw new StorageError('internal', 'The event was neither written nor found');
  return replayed;
}

/**
 * Checks the job exists and is visible, authorises, and runs the FSM. Throws for a missing or
 * deleted job and for the callback's refusals; returns the FSM's refusal for the caller to decide.
 */
function decide(row: JobRow | undefined, call: EventCall): Decision {
  const { jobUuid } = call.input;
  if (!row) throw new StorageError('not_found', `No job ${jobUuid} exists`, { uuid: jobUuid });
  if (!row.visible) throw new StorageError('gone', `Job ${jobUuid} was deleted`, { uuid: jobUuid });
  const state = row.state as State;
  call.authorize({ uuid: jobUuid, state, tokenVersion: row.token_version });
  const result = transition(state, call.name);
  if (!result.ok) {
    // The state machine's reason is kept: an event the state does not allow is the caller's to
    // change; a stored state no code knows is the database's.
    const code = result.reason === 'not_allowed' ? 'not_allowed' : 'internal';
    const refusal = new StorageError(code, result.message, {
      uuid: jobUuid,
      state,
      event: call.name,
      allowed: result.allowed,
    });
    return { ok: false, refusal };
  }
  const date = new Date(row.at).toISOString();
  const outcome: EventOutcome = {
    job: { uuid: jobUuid, state: result.to, last_event: result.event as EventName, updated: date },
    event: {
      uuid: randomTypedUuid('pipelinejob_event'),
      seq: row.version + 1,
      name: result.event,
      from: state,
      to: result.to,
      date,
    },
  };
  return { ok: true, row, outcome };
}

/**
 * One statement: locks the job row if it is still as read (version, state, token version,
 * visible; under READ COMMITTED, FOR UPDATE waits for a concurrent writer and re-checks these on
 * the row it left), then inserts the history row unless the idempotency key was used, then
 * updates the job if the history row was written, and writes the notifications of the
 * subscriptions that want it (the outbox). True when all were written; false when nothing was
 * (the row changed, or the key was used).
 */
async function write(
  sql: postgres.ISql,
  { input, key }: EventCall,
  { row, outcome }: { row: JobRow; outcome: EventOutcome },
): Promise<boolean> {
  const { event } = outcome;
  const data = input.data === undefined ? null : JSON.stringify(input.data);
  const [written] = await sql<{ n: number }[]>`
    with locked as (
      select 1 from jobs
      where uuid = ${input.jobUuid} and version = ${row.version} and state = ${row.state}
        and token_version = ${row.token_version} and visible
      for update
    ), event as (
      insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source,
        idempotency_key, request_fingerprint, response, principal_kind, principal_id, created_at)
      select ${input.jobUuid}, ${event.seq}, ${event.uuid}, ${event.name}, ${event.from}, ${event.to},
        ${data}::jsonb, ${input.source}, ${key}, ${key === null ? null : (input.fingerprint ?? null)},
        ${key === null ? null : JSON.stringify(outcome)}::jsonb, ${input.actor.kind}, ${input.actor.id},
        ${event.date}::timestamptz
      from locked
      on conflict (job_uuid, idempotency_key) do nothing
      returning job_uuid, seq, name, to_state
    ), job as (
      update jobs set state = ${event.to}, last_event = ${event.name}, version = ${event.seq},
        updated_at = ${event.date}::timestamptz,
        state_since = case when state = ${event.to} then state_since else ${event.date}::timestamptz end
      where uuid = ${input.jobUuid} and exists (select 1 from event)
      returning 1
    ), outbox as (${sql.unsafe(outboxInsert('event'))})
    select count(*)::int as n from job`;
  return written?.n === 1;
}
