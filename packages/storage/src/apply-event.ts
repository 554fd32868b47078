import {
  EVENT_NAMES,
  type JobUuid,
  type MessageEventName,
  randomTypedUuid,
  STATE_NAMES,
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

/** What the authorisation callback sees of the job: all that who may send what depends on. */
export interface JobToAuthorize {
  uuid: JobUuid;
  tokenVersion: number;
}

/**
 * Decides whether the caller may apply the event to the job; throws to refuse (nothing is written
 * and the error reaches the caller unchanged). Synchronous: it runs before the statement, on the
 * job's token version as guessed, and the statement writes only if the job still has that
 * version; when it does not, the callback runs again on the version the statement read. Storage
 * knows nothing of tokens: the apps pass a callback built from @pipelinejobs/auth.
 */
export type Authorize = (job: JobToAuthorize) => void;

/**
 * A seam for the tests: `roundTrip` is told of each statement sent for the event, so a test can
 * see that the usual event costs one and which cases cost more.
 */
export interface ApplyEventHooks {
  roundTrip?: (statement: 'transition' | 'read' | 'replay') => void;
}

export interface AppliedEvent {
  outcome: EventOutcome;
  /** True when the idempotency key had been used: `outcome` is the stored first result. */
  replayed: boolean;
  /** Whether the transition queued notifications (a subscription wanted it); false on a replay. */
  queued: boolean;
}

/** The event and what the caller asked. */
interface EventCall {
  input: EventInput;
  key: string | null;
  authorize: Authorize;
  hooks: ApplyEventHooks;
}

/**
 * Applies one event, in one statement when the job's token version is the one guessed (see
 * `TRANSITION`): it locks the row, checks the job is visible and still has the token version the
 * caller was authorised against, runs the FSM, inserts the history row unless the idempotency key
 * was used, updates the job, and returns the outcome or the reason it wrote nothing with the
 * job's current state and token version. The row lock is held for that one statement only, never
 * across a round trip. More round trips only where the answer needs them: a read before, when the
 * callback refused on the guessed version (the refusal must be judged on the job as it is, and a
 * missing or deleted job is said first); the statement again, after a token rotation; a read of
 * the stored result after it, when the key was used. A refused event writes nothing.
 *
 * Idempotency keys are checked by the insert itself (ON CONFLICT on (job_uuid, key)) and the first
 * result read by a statement of its own: under READ COMMITTED a statement that waited for the row
 * lock still sees the snapshot taken before it waited, so it could miss a key committed meanwhile.
 */
export async function applyEvent(
  db: Database,
  input: EventInput,
  authorize: Authorize,
  hooks: ApplyEventHooks = {},
): Promise<AppliedEvent> {
  const call: EventCall = { input, key: input.idempotencyKey ?? null, authorize, hooks };
  try {
    let tokenVersion = await authorizedTokenVersion(db.sql, call);
    // Each further pass follows a token rotation committed since the last one (rotations are an
    // admin's, and few): the callback judges every version the statement read.
    for (;;) {
      call.hooks.roundTrip?.('transition');
      const [row] = await runTransition(db.sql, call, tokenVersion);
      if (!row) throw notFound(input.jobUuid);
      if (row.refusal === null) {
        if (row.written) return { outcome: row.outcome as EventOutcome, replayed: false, queued: row.queued };
        return await replayOrFail(
          db.sql,
          call,
          new StorageError('internal', 'The event was neither written nor found'),
        );
      }
      if (row.refusal === 'gone') throw gone(input.jobUuid);
      if (row.refusal === 'fsm') return await replayOrFail(db.sql, call, fsmRefusal(call, row.state));
      rememberTokenVersion(input.jobUuid, row.token_version);
      call.authorize({ uuid: input.jobUuid, tokenVersion: row.token_version });
      tokenVersion = row.token_version;
    }
  } catch (error) {
    // The authorisation callback's own refusals pass through unchanged; driver errors are translated.
    throw isDriverError(error) ? translateError(error) : error;
  }
}

/**
 * The token version the caller is authorised against: the guess when the callback accepts it;
 * otherwise the job as read (missing and deleted jobs are refused first, as the statement would),
 * with the callback's refusal on it thrown.
 */
async function authorizedTokenVersion(sql: postgres.Sql, call: EventCall): Promise<number> {
  const { jobUuid } = call.input;
  const guess = guessTokenVersion(jobUuid);
  try {
    call.authorize({ uuid: jobUuid, tokenVersion: guess });
    return guess;
  } catch {
    call.hooks.roundTrip?.('read');
    const [row] = await sql<{ visible: boolean; token_version: number }[]>`
      select visible, token_version from jobs where uuid = ${jobUuid}`;
    if (!row) throw notFound(jobUuid);
    if (!row.visible) throw gone(jobUuid);
    rememberTokenVersion(jobUuid, row.token_version);
    call.authorize({ uuid: jobUuid, tokenVersion: row.token_version });
    return row.token_version;
  }
}

/** The version a job has until an admin rotates its token (most jobs never do). */
const INITIAL_TOKEN_VERSION = 1;

/**
 * The token versions of rotated jobs this process has seen, so that their events need no extra
 * round trip either. Bounded: the oldest entry goes first, and a job forgotten costs one more
 * round trip, never a wrong answer (the statement checks the version).
 */
const rotatedTokenVersions = new Map<string, number>();
const MAX_REMEMBERED_ROTATIONS = 10_000;

function guessTokenVersion(jobUuid: string): number {
  return rotatedTokenVersions.get(jobUuid) ?? INITIAL_TOKEN_VERSION;
}

function rememberTokenVersion(jobUuid: string, tokenVersion: number): void {
  rotatedTokenVersions.delete(jobUuid);
  if (tokenVersion === INITIAL_TOKEN_VERSION) return;
  if (rotatedTokenVersions.size >= MAX_REMEMBERED_ROTATIONS) {
    const oldest = rotatedTokenVersions.keys().next();
    if (!oldest.done) rotatedTokenVersions.delete(oldest.value);
  }
  rotatedTokenVersions.set(jobUuid, tokenVersion);
}

function notFound(jobUuid: JobUuid): StorageError {
  return new StorageError('not_found', `No job ${jobUuid} exists`, { uuid: jobUuid });
}

function gone(jobUuid: JobUuid): StorageError {
  return new StorageError('gone', `Job ${jobUuid} was deleted`, { uuid: jobUuid });
}

/**
 * The state machine's refusal of the event in the state the statement read, with its reason kept:
 * an event the state does not allow is the caller's to change; a stored state no code knows is
 * the database's.
 */
function fsmRefusal(call: EventCall, state: string): StorageError {
  const { jobUuid, name } = call.input;
  const result = transition(state, name);
  if (result.ok)
    return new StorageError('internal', `The database's state machine refused '${name}' in ${state}`);
  const code = result.reason === 'not_allowed' ? 'not_allowed' : 'internal';
  return new StorageError(code, result.message, {
    uuid: jobUuid,
    state,
    event: name,
    allowed: result.allowed,
  });
}

/**
 * The stored first result when the event's idempotency key was used on this job (the same request
 * again), `key_reused` when it was used for another request, else the refusal given. Its own
 * statement, so that it sees a key committed while the transition waited for the row lock.
 */
async function replayOrFail(
  sql: postgres.Sql,
  call: EventCall,
  refusal: StorageError,
): Promise<AppliedEvent> {
  const { input, key } = call;
  if (key === null) throw refusal;
  call.hooks.roundTrip?.('replay');
  const [stored] = await sql<{ name: string; response: EventOutcome; request_fingerprint: string | null }[]>`
    select name, response, request_fingerprint from job_events
    where job_uuid = ${input.jobUuid} and idempotency_key = ${key}`;
  if (!stored) throw refusal;
  // Entries written before fingerprints were kept are compared by event name alone.
  const same =
    stored.request_fingerprint === null || input.fingerprint === undefined
      ? stored.name === input.name
      : stored.request_fingerprint === input.fingerprint;
  if (!same) {
    throw new StorageError(
      'key_reused',
      `The Idempotency-Key was already used on this job for another request (a '${stored.name}' event${stored.name === input.name ? ' with other data, note or form' : ''}); send each distinct request with a new key, and repeat a key only to retry exactly the same request`,
      { uuid: input.jobUuid },
    );
  }
  return { outcome: stored.response, replayed: true, queued: false };
}

/**
 * Core's state machine as rows (state, event, the state it leads to), generated from
 * `transition()` over every state and event, for the statement to join on: the table stays
 * core's, PostgreSQL is handed it as data.
 */
const FSM_ROWS: readonly (readonly [string, string, string])[] = STATE_NAMES.flatMap((state) =>
  EVENT_NAMES.flatMap((event) => {
    const result = transition(state, event);
    return result.ok ? [[state, event, result.to] as const] : [];
  }),
);

const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`;
const FSM_VALUES = FSM_ROWS.map((row) => `(${row.map(quoted).join(', ')})`).join(',\n      ');

/** A row of `TRANSITION`'s answer. */
interface TransitionRow {
  /** The job's state when the statement ran (the locked row's). */
  state: string;
  token_version: number;
  /** Why nothing was written, or null when the FSM allowed the event. */
  refusal: 'gone' | 'token_version' | 'fsm' | null;
  /** The response (null when refused): the same object the history row keeps for a keyed event. */
  outcome: EventOutcome | null;
  /** Whether the history row was inserted and the job updated (false: the key was used). */
  written: boolean;
  /** Whether notifications were written to the outbox with it. */
  queued: boolean;
}

/**
 * The statement's parameters, in the order of their `$n`: the bench substitutes each with a
 * pgbench expression to run the very same statement.
 */
export const TRANSITION_PARAMETERS = [
  'job_uuid',
  'token_version',
  'event',
  'event_uuid',
  'data',
  'source',
  'idempotency_key',
  'request_fingerprint',
  'principal_kind',
  'principal_id',
] as const;

type TransitionParameter = (typeof TRANSITION_PARAMETERS)[number];
const p = (name: TransitionParameter) => `$${TRANSITION_PARAMETERS.indexOf(name) + 1}`;

/**
 * The transition, one statement. `job` locks the row (under READ COMMITTED, FOR UPDATE waits for
 * a concurrent writer and returns the row it left); `decided` says why nothing may be written
 * (deleted, another token version, the FSM refuses) or, joined on the FSM rows, where the event
 * leads; `outcome` is the response; `inserted_event` inserts the history row unless the key was
 * used and returns it whole; `updated_job` updates the job from it (entering another state, its deadline becomes the
 * entry's time plus the state's budget from the job's own `deadlines`, read from the row already
 * locked: no other table is touched); `outbox` writes the event's
 * notifications (one row per subscription that wants it, see outbox.ts), selecting from
 * `inserted_event`: only when the history row was written. The event's time is now but never
 * before the job's last change, so that a job's history is in time order and its `updated` never
 * goes back. One constant text, prepared once per connection.
 */
/**
 * The class of the advisory lock a transition takes on its job before the row lock. The row lock
 * gives the transaction its id (the entry's \`xact_id\`) before it waits, so two transitions racing
 * for a job's row could write seq N with the higher id and seq N+1 with the lower, and the global
 * stream, in (xact_id, position) order, would have N+1 first. Waiting on the advisory lock takes
 * no id: the transaction gets one only once the job is its own, after the previous writer
 * committed, so a job's ids grow with its seqs.
 */
const JOB_EVENTS_LOCK_CLASS = 1_886_024_564;

export const TRANSITION_SQL = `
    with fsm (from_state, event, to_state) as (
      values ${FSM_VALUES}
    ), job as (
      select state, token_version, visible, version,
        greatest(date_trunc('milliseconds', now()), updated_at) as at
      from jobs where uuid = ${p('job_uuid')}::text
        and (select pg_advisory_xact_lock(${JOB_EVENTS_LOCK_CLASS}, hashtext(${p('job_uuid')}::text))) is not null
      for update
    ), decided as (
      select job.*, fsm.to_state,
        to_char(job.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as date,
        case when not job.visible then 'gone'
          when job.token_version <> ${p('token_version')}::int then 'token_version'
          when fsm.to_state is null then 'fsm' end as refusal
      from job left join fsm on fsm.from_state = job.state and fsm.event = ${p('event')}::text
    ), outcome as (
      select decided.*, jsonb_build_object(
        'job', jsonb_build_object('uuid', ${p('job_uuid')}::text, 'state', to_state,
          'last_event', ${p('event')}::text, 'updated', date),
        'event', jsonb_build_object('uuid', ${p('event_uuid')}::text, 'seq', version + 1,
          'name', ${p('event')}::text, 'from', state, 'to', to_state, 'date', date)) as response
      from decided where refusal is null
    ), inserted_event as (
      insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source,
        idempotency_key, request_fingerprint, response, principal_kind, principal_id, created_at)
      select ${p('job_uuid')}::text, version + 1, ${p('event_uuid')}::text, ${p('event')}::text, state, to_state,
        ${p('data')}::jsonb, ${p('source')}::text, ${p('idempotency_key')}::text, ${p('request_fingerprint')}::text,
        case when ${p('idempotency_key')}::text is null then null else response end,
        ${p('principal_kind')}::text, ${p('principal_id')}::text, at
      from outcome
      on conflict (job_uuid, idempotency_key) do nothing
      returning *
    ), updated_job as (
      update jobs set state = e.to_state, last_event = e.name, version = e.seq,
        updated_at = e.created_at,
        state_since = case when jobs.state = e.to_state then jobs.state_since else e.created_at end,
        deadline_at = case when jobs.state = e.to_state then jobs.deadline_at
          else e.created_at + (jobs.deadlines -> e.to_state ->> 'ms')::bigint * interval '1 millisecond' end,
        deadline_action = case when jobs.state = e.to_state then jobs.deadline_action
          else jobs.deadlines -> e.to_state ->> 'action' end,
        deadline_notified = jobs.deadline_notified and jobs.state = e.to_state
      from inserted_event e where jobs.uuid = e.job_uuid
      returning 1
    ), outbox as (${outboxInsert('inserted_event')})
    select decided.state, decided.token_version, decided.refusal, outcome.response as outcome,
      exists (select 1 from updated_job) as written, exists (select 1 from outbox) as queued
    from decided left join outcome on true`;

function runTransition(sql: postgres.Sql, { input, key }: EventCall, tokenVersion: number) {
  const values: Record<TransitionParameter, string | number | null> = {
    job_uuid: input.jobUuid,
    token_version: tokenVersion,
    event: input.name,
    event_uuid: randomTypedUuid('pipelinejob_event'),
    data: input.data === undefined ? null : JSON.stringify(input.data),
    source: input.source,
    idempotency_key: key,
    request_fingerprint: key === null ? null : (input.fingerprint ?? null),
    principal_kind: input.actor.kind,
    principal_id: input.actor.id,
  };
  return sql.unsafe<TransitionRow[]>(
    TRANSITION_SQL,
    TRANSITION_PARAMETERS.map((name) => values[name]),
    { prepare: true },
  );
}

/**
 * The transition statement on a connection the caller holds (a transaction that already locked
 * the job), at the token version it read: for the Manager's own events, which no credential
 * authorises. Undefined when nothing was written (the job is gone, its token was rotated, or the
 * state machine refuses the event in the state it is in now).
 */
export async function applyEventIn(
  sql: postgres.Sql | postgres.TransactionSql,
  input: EventInput,
  tokenVersion: number,
  hooks: ApplyEventHooks = {},
): Promise<AppliedEvent | undefined> {
  hooks.roundTrip?.('transition');
  const call: EventCall = { input, key: null, authorize: () => {}, hooks };
  const [row] = await runTransition(sql as postgres.Sql, call, tokenVersion);
  if (!row || row.refusal !== null || !row.written) return undefined;
  return { outcome: row.outcome as EventOutcome, replayed: false, queued: row.queued };
}
