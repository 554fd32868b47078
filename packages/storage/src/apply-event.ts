import {
  type EventName,
  isReservedEvent,
  normalizeEventName,
  randomTypedUuid,
  type State,
  transition,
} from '@pipelinejobs/core';
import type { EventOutcome, EventSource } from './documents.js';
import { isDriverError, StorageError, translateError } from './errors.js';
import type { Database } from './open-database.js';

export interface EventInput {
  jobUuid: string;
  /** Any case; stored lower-case. */
  name: string;
  data?: unknown;
  source: EventSource;
  /** The same key on the same job returns the first result and writes nothing. */
  idempotencyKey?: string;
}

/** What the authorisation callback sees of the locked job. */
export interface LockedJob {
  uuid: string;
  state: State;
  tokenVersion: number;
}

/**
 * Decides, under the row lock, whether the caller may apply the event; throws to refuse (the
 * transaction rolls back and the error reaches the caller unchanged). Storage knows nothing of
 * tokens: the apps pass a callback built from @pipelinejobs/auth.
 */
export type Authorize = (job: LockedJob) => void | Promise<void>;

export interface AppliedEvent {
  outcome: EventOutcome;
  /** True when the idempotency key had been used: `outcome` is the stored first result. */
  replayed: boolean;
}

interface LockedRow {
  state: string;
  token_version: number;
  visible: boolean;
  version: number;
  /** A string: drizzle turns off the driver's date parsing on the shared client. */
  now: string | Date;
}

/**
 * Applies one event in one transaction: lock the job row (SELECT ... FOR UPDATE), authorise, run
 * the FSM, then insert the history row and update the job in a single statement. Four round
 * trips: BEGIN, lock, write, COMMIT; a replayed idempotency key costs one more (the read of the
 * stored result). A refused event writes nothing.
 *
 * Idempotency keys are checked by the write itself (ON CONFLICT on (job_uuid, key)) rather than
 * joined into the locking SELECT: under READ COMMITTED a statement that waited for the lock still
 * sees the snapshot taken before it waited, so it could miss a key committed meanwhile.
 */
export async function applyEvent(
  db: Database,
  input: EventInput,
  authorize: Authorize,
): Promise<AppliedEvent> {
  const name = normalizeEventName(input.name);
  if (isReservedEvent(name)) {
    throw new StorageError('invalid', `The '${name}' event is written when a job is created (POST /jobs)`, {
      event: name,
    });
  }
  const key = input.idempotencyKey ?? null;
  try {
    return await db.sql.begin(async (tx) => {
      const [row] = await tx<LockedRow[]>`
        select state, token_version, visible, version, date_trunc('milliseconds', now()) as now
        from jobs where uuid = ${input.jobUuid}
        for update`;
      if (!row)
        throw new StorageError('not_found', `No job ${input.jobUuid} exists`, { uuid: input.jobUuid });
      if (!row.visible)
        throw new StorageError('gone', `Job ${input.jobUuid} was deleted`, { uuid: input.jobUuid });
      const state = row.state as State;
      await authorize({ uuid: input.jobUuid, state, tokenVersion: row.token_version });

      /** The stored first result for this key, if the key was used on this job. */
      const replay = async (): Promise<AppliedEvent | undefined> => {
        if (key === null) return undefined;
        const [stored] = await tx<{ name: string; response: EventOutcome }[]>`
          select name, response from job_events where job_uuid = ${input.jobUuid} and idempotency_key = ${key}`;
        if (!stored) return undefined;
        if (stored.name !== name) {
          throw new StorageError(
            'conflict',
            `Idempotency key already used on this job for a '${stored.name}' event; use a new key`,
            { uuid: input.jobUuid },
          );
        }
        return { outcome: stored.response, replayed: true };
      };

      const result = transition(state, name);
      if (!result.ok) {
        const replayed = await replay();
        if (replayed) return replayed;
        throw new StorageError('not_allowed', result.message, {
          uuid: input.jobUuid,
          state,
          event: name,
          allowed: result.allowed,
        });
      }
      const seq = row.version + 1;
      const date = new Date(row.now).toISOString();
      const outcome: EventOutcome = {
        job: { uuid: input.jobUuid, state: result.to, last_event: result.event as EventName, updated: date },
        event: {
          uuid: randomTypedUuid('pipelinejob_event'),
          seq,
          name: result.event,
          from: state,
          to: result.to,
          date,
        },
      };
      const data = input.data === undefined ? null : JSON.stringify(input.data);
      const [written] = await tx<{ n: number }[]>`
        with event as (
          insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source,
            idempotency_key, response, created_at)
          values (${input.jobUuid}, ${seq}, ${outcome.event.uuid}, ${result.event}, ${state}, ${result.to},
            ${data}::jsonb, ${input.source}, ${key}, ${key === null ? null : JSON.stringify(outcome)}::jsonb,
            ${date})
          on conflict (job_uuid, idempotency_key) do nothing
          returning 1
        ), job as (
          update jobs set state = ${result.to}, last_event = ${result.event}, version = ${seq},
            updated_at = ${date},
            state_since = case when state = ${result.to} then state_since else ${date}::timestamptz end
          where uuid = ${input.jobUuid} and exists (select 1 from event)
          returning 1
        )
        select count(*)::int as n from job`;
      if (written?.n === 1) return { outcome, replayed: false };
      const replayed = await replay();
      if (!replayed) throw new StorageError('internal', 'The event was neither written nor found');
      return replayed;
    });
  } catch (error) {
    // The authorisation callback's own refusals pass through unchanged; driver errors are translated.
    throw isDriverError(error) ? translateError(error) : error;
  }
}
