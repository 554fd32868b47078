import {
  EVENT_NAMES,
  isReservedEvent,
  type JobUuid,
  type MessageEventName,
  randomTypedUuid,
  STATE_NAMES,
  transition,
} from '@pipelinejobs/core';
import {
  type ApplyEventHooks,
  applyEvent,
  bumpTokenVersion,
  type Database,
  type EventInput,
  type JobToAuthorize,
  markJobDeleted,
  StorageError,
} from '@pipelinejobs/storage';
import type { ReservedSql } from 'postgres';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, historyInStep, jobNumber, rejection, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
withTestDatabase({ poolSize: 20 }, async (opened) => {
  db = opened;
  await tacobot(db);
});

/** Backends of this database waiting for a lock. */
async function lockWaiters(): Promise<number> {
  const [{ n } = { n: 0 }] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`;
  return n;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const history = (uuid: string) => historyInStep(db, uuid);

const event = (jobUuid: JobUuid, name: MessageEventName, more: Partial<EventInput> = {}): EventInput => ({
  jobUuid,
  name,
  source: 'json',
  actor: ACTOR,
  ...more,
});

/**
 * An authorisation callback that records the jobs it is shown (and refuses as `check` says), and
 * hooks that record the round trips.
 */
function watched(check: (job: JobToAuthorize) => void = () => {}) {
  const seen: JobToAuthorize[] = [];
  const trips: string[] = [];
  const authorize = (job: JobToAuthorize) => {
    seen.push(job);
    check(job);
  };
  const hooks: ApplyEventHooks = { roundTrip: (statement) => trips.push(statement) };
  return { seen, trips, authorize, hooks };
}

/**
 * Runs `during` in a transaction that holds the job's row lock while `apply` starts and waits for
 * it, then commits: what `during` did lands while the transition waits.
 */
async function whileLocked<T>(
  uuid: string,
  during: (tx: ReservedSql) => Promise<unknown>,
  apply: () => Promise<T>,
): Promise<T> {
  const holder = await db.sql.reserve();
  try {
    await holder`begin`;
    await holder`select 1 from jobs where uuid = ${uuid} for update`;
    await during(holder);
    const applying = apply();
    applying.catch(() => {});
    await waitUntil(async () => (await lockWaiters()) > 0);
    await holder`commit`;
    return await applying;
  } finally {
    holder.release();
  }
}

describe('applyEvent: one statement per event', () => {
  it('takes one round trip: the callback runs once, on the usual token version', async () => {
    const job = await jobNumber(db, 1);
    const { seen, trips, authorize, hooks } = watched();
    const { outcome, replayed } = await applyEvent(db, event(job.uuid, 'run'), authorize, hooks);
    expect(replayed).toBe(false);
    expect(seen).toEqual([{ uuid: job.uuid, tokenVersion: 1 }]);
    expect(trips).toEqual(['transition']);
    expect(outcome).toEqual({
      job: { uuid: job.uuid, state: 'RUNNING', last_event: 'run', updated: outcome.event.date },
      event: {
        uuid: expect.stringMatching(/^108/),
        seq: 2,
        name: 'run',
        from: 'CREATED',
        to: 'RUNNING',
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'run']);
  });

  it('applies core’s state machine exactly: every state and event, and a stored state no code knows', async () => {
    const job = await jobNumber(db, 2);
    for (const state of [...STATE_NAMES, 'BOGUS']) {
      for (const name of EVENT_NAMES) {
        if (isReservedEvent(name)) continue;
        await db.sql`update jobs set state = ${state} where uuid = ${job.uuid}`;
        const expected = transition(state, name);
        const applied = applyEvent(db, event(job.uuid, name as MessageEventName), allow);
        if (expected.ok) {
          expect((await applied).outcome.event, `${state} --${name}-->`).toMatchObject({
            from: state,
            to: expected.to,
          });
        } else {
          expect(await rejection(applied), `${state} --${name}-->`).toMatchObject({
            code: expected.reason === 'not_allowed' ? 'not_allowed' : 'internal',
            message: expected.message,
            details: { state, event: name, allowed: expected.allowed },
          });
        }
      }
    }
  });

  it('writes on the row it waited for when the lock holder changed nothing', async () => {
    const job = await jobNumber(db, 3);
    const { trips, authorize, hooks } = watched();
    const { outcome } = await whileLocked(
      job.uuid,
      async () => {},
      () => applyEvent(db, event(job.uuid, 'run'), authorize, hooks),
    );
    expect(trips).toEqual(['transition']);
    expect(outcome.event).toMatchObject({ seq: 2, from: 'CREATED', to: 'RUNNING' });
    await history(job.uuid);
  });

  it('decides on the row it waited for: a competing event made the event illegal', async () => {
    const job = await jobNumber(db, 4);
    const error = await rejection(
      whileLocked(
        job.uuid,
        (tx) => tx`update jobs set state = 'FAILED', last_event = 'fail' where uuid = ${job.uuid}`,
        () => applyEvent(db, event(job.uuid, 'run'), allow),
      ),
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'not_allowed', details: { state: 'FAILED' } });
  });

  it('re-authorises with the new token version after a rotation committed while it waited', async () => {
    const job = await jobNumber(db, 5);
    const refusal = new Error('token of an older version');
    const { seen, trips, authorize, hooks } = watched((j) => {
      if (j.tokenVersion !== 1) throw refusal;
    });
    const rotate = (tx: ReservedSql) =>
      tx`update jobs set token_version = token_version + 1 where uuid = ${job.uuid}`;
    const error = await rejection(
      whileLocked(job.uuid, rotate, () => applyEvent(db, event(job.uuid, 'run'), authorize, hooks)),
    );
    expect(error).toBe(refusal);
    expect(seen.map((j) => j.tokenVersion)).toEqual([1, 2]);
    expect(trips).toEqual(['transition']);
    const { events, job: row } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create']);
    expect(row?.state).toBe('CREATED');
  });

  it('costs one more round trip after a rotation, then guesses the new version', async () => {
    const job = await jobNumber(db, 6);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    const first = watched();
    await applyEvent(db, event(job.uuid, 'run'), first.authorize, first.hooks);
    expect(first.seen.map((j) => j.tokenVersion)).toEqual([1, 2]);
    expect(first.trips).toEqual(['transition', 'transition']);
    const second = watched();
    await applyEvent(db, event(job.uuid, 'update'), second.authorize, second.hooks);
    expect(second.seen.map((j) => j.tokenVersion)).toEqual([2]);
    expect(second.trips).toEqual(['transition']);
    await history(job.uuid);
  });

  it('judges a refusal on the job as read: a job token of a rotated job passes after one read', async () => {
    const job = await jobNumber(db, 7);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    // Another process rotated it: this one has never seen the job's version.
    const { seen, trips, authorize, hooks } = watched((j) => {
      if (j.tokenVersion !== 3) throw new Error('wrong version');
    });
    await db.sql`update jobs set token_version = 4 where uuid = ${job.uuid}`;
    await expect(applyEvent(db, event(job.uuid, 'run'), authorize, hooks)).rejects.toThrow('wrong version');
    expect(seen.map((j) => j.tokenVersion)).toEqual([1, 4]);
    expect(trips).toEqual(['read']);
    await db.sql`update jobs set token_version = 3 where uuid = ${job.uuid}`;
    const again = watched((j) => {
      if (j.tokenVersion !== 3) throw new Error('wrong version');
    });
    await applyEvent(db, event(job.uuid, 'run'), again.authorize, again.hooks);
    expect(again.seen.map((j) => j.tokenVersion)).toEqual([4, 3]);
    expect(again.trips).toEqual(['read', 'transition']);
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'run']);
  });

  it('says not_found and gone before the callback’s refusal, as before', async () => {
    const refuse = () => {
      throw new Error('no token');
    };
    const missing = randomTypedUuid('pipelinejob') as JobUuid;
    expect(await rejection(applyEvent(db, event(missing, 'run'), refuse))).toMatchObject({
      code: 'not_found',
    });
    const job = await jobNumber(db, 8);
    await markJobDeleted(db, job.uuid, { actor: ACTOR });
    expect(await rejection(applyEvent(db, event(job.uuid, 'run'), refuse))).toMatchObject({ code: 'gone' });
  });

  it('answers gone when the job is deleted while it waits, and writes nothing', async () => {
    const job = await jobNumber(db, 9);
    const error = await rejection(
      whileLocked(
        job.uuid,
        (tx) => tx`update jobs set visible = false where uuid = ${job.uuid}`,
        () => applyEvent(db, event(job.uuid, 'run'), allow),
      ),
    );
    expect(error).toMatchObject({ code: 'gone' });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create']);
  });

  it('answers not_found when the job is removed while it waits', async () => {
    const job = await jobNumber(db, 10);
    const error = await rejection(
      whileLocked(
        job.uuid,
        (tx) => tx`delete from jobs where uuid = ${job.uuid}`,
        () => applyEvent(db, event(job.uuid, 'run'), allow),
      ),
    );
    expect(error).toMatchObject({ code: 'not_found' });
  });

  it('replays a key committed while it waited, with the first caller’s outcome', async () => {
    const job = await jobNumber(db, 11);
    const firstOutcome = { job: { uuid: job.uuid, state: 'RUNNING' }, event: { seq: 2, name: 'run' } };
    const { trips, authorize, hooks } = watched();
    const second = await whileLocked(
      job.uuid,
      async (tx) => {
        await tx`
          insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source,
            idempotency_key, response)
          values (${job.uuid}, 2, '108-first', 'run', 'CREATED', 'RUNNING', 'json', 'k-race',
            ${JSON.stringify(firstOutcome)}::jsonb)`;
        await tx`update jobs set state = 'RUNNING', last_event = 'run', version = 2 where uuid = ${job.uuid}`;
      },
      () => applyEvent(db, event(job.uuid, 'run', { idempotencyKey: 'k-race' }), authorize, hooks),
    );
    expect(second).toEqual({ outcome: firstOutcome, replayed: true, queued: false });
    expect(trips).toEqual(['transition', 'replay']);
    const { events } = await history(job.uuid);
    expect(events.map((e) => [e.name, e.idempotency_key])).toEqual([
      ['create', null],
      ['run', 'k-race'],
    ]);
  });

  it('replays a used key even when the FSM now refuses the event', async () => {
    const job = await jobNumber(db, 12);
    const run = await applyEvent(db, event(job.uuid, 'run', { idempotencyKey: 'k-run' }), allow);
    await applyEvent(db, event(job.uuid, 'finish'), allow);
    // run is illegal in FINISHED: the stored first result still comes back.
    const again = await applyEvent(db, event(job.uuid, 'run', { idempotencyKey: 'k-run' }), allow);
    expect(again).toEqual({ outcome: run.outcome, replayed: true, queued: false });
    const other = await rejection(
      applyEvent(db, event(job.uuid, 'finish', { idempotencyKey: 'k-run' }), allow),
    );
    expect(other).toMatchObject({ code: 'key_reused' });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'run', 'finish']);
  });

  it('never dates an event before the job’s last change', async () => {
    const job = await jobNumber(db, 13);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await db.sql`update jobs set updated_at = ${later}::timestamptz where uuid = ${job.uuid}`;
    const { outcome } = await applyEvent(db, event(job.uuid, 'run'), allow);
    expect(outcome.event.date).toBe(later);
    expect(outcome.job.updated).toBe(later);
  });

  it('keeps history and job in step with events, rotations and replays racing on one job', async () => {
    const job = await jobNumber(db, 14);
    await applyEvent(db, event(job.uuid, 'run'), allow);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i += 1) {
      calls.push(applyEvent(db, event(job.uuid, 'update', { idempotencyKey: `k-${i % 50}` }), allow));
      if (i % 20 === 0) calls.push(bumpTokenVersion(db, job.uuid, ACTOR));
    }
    const results = await Promise.all(calls);
    const applied = results.filter(
      (r): r is Awaited<ReturnType<typeof applyEvent>> =>
        typeof r === 'object' && r !== null && 'replayed' in r,
    );
    expect(applied.filter((r) => !r.replayed)).toHaveLength(50);
    const { events, job: row } = await history(job.uuid);
    expect(events).toHaveLength(2 + 50);
    expect(row?.version).toBe(52);
    const [{ tv } = { tv: -1 }] = await db.sql<{ tv: number }[]>`
      select token_version as tv from jobs where uuid = ${job.uuid}`;
    expect(tv).toBe(11);
  });
});
