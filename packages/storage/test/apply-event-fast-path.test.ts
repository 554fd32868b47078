import type { JobUuid, MessageEventName } from '@pipelinejobs/core';
import {
  type ApplyEventHooks,
  applyEvent,
  bumpTokenVersion,
  type Database,
  type EventInput,
  type LockedJob,
  markJobDeleted,
  StorageError,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, historyInStep, jobNumber, rejection, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
withTestDatabase({ poolSize: 20 }, async (opened) => {
  db = opened;
  await tacobot(db);
});

/**
 * The fast path's `afterRead` hook runs between its unlocked read and its write, so a hook that
 * does something races the write deterministically. The authorisation callback records every job
 * it is shown: one call means the fast path wrote, two mean it fell back to the locked path.
 */
function racing(first: (job: LockedJob) => Promise<unknown>, check: (job: LockedJob) => void = () => {}) {
  const seen: LockedJob[] = [];
  const authorize = (job: LockedJob) => {
    seen.push(job);
    check(job);
  };
  const hooks: ApplyEventHooks = {
    afterRead: async (job) => {
      await first(job);
    },
  };
  return { seen, authorize, hooks };
}

/** Whether another transaction holds the job's row lock. */
async function rowLocked(uuid: string): Promise<boolean> {
  const rows = await db.sql`select 1 from jobs where uuid = ${uuid} for update skip locked`;
  return rows.length === 0;
}

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

describe('applyEvent fast path (unlocked read, then one conditional write)', () => {
  it('writes on the fast path when nothing races it: the callback runs once', async () => {
    const job = await jobNumber(db, 1);
    const locked: boolean[] = [];
    const { seen, authorize, hooks } = racing(async () => locked.push(await rowLocked(job.uuid)));
    const { outcome, replayed } = await applyEvent(db, event(job.uuid, 'run'), authorize, hooks);
    expect(replayed).toBe(false);
    expect(seen).toEqual([{ uuid: job.uuid, state: 'CREATED', tokenVersion: 1 }]);
    expect(locked).toEqual([false]);
    expect(outcome.event).toMatchObject({ seq: 2, name: 'run', from: 'CREATED', to: 'RUNNING' });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'run']);
  });

  it('falls back when a competing event lands between the read and the write, and writes after it', async () => {
    const job = await jobNumber(db, 2);
    const { seen, authorize, hooks } = racing(() => applyEvent(db, event(job.uuid, 'run'), allow));
    const { outcome } = await applyEvent(db, event(job.uuid, 'update'), authorize, hooks);
    expect(seen.map((j) => j.state)).toEqual(['CREATED', 'RUNNING']);
    expect(outcome.event).toMatchObject({ seq: 3, name: 'update', from: 'RUNNING', to: 'RUNNING' });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'run', 'update']);
  });

  it('falls back when a competing event leaves the state as it was: the version tells', async () => {
    const job = await jobNumber(db, 12);
    const { seen, authorize, hooks } = racing(() => applyEvent(db, event(job.uuid, 'update'), allow));
    const { outcome } = await applyEvent(db, event(job.uuid, 'update'), authorize, hooks);
    expect(seen.map((j) => j.state)).toEqual(['CREATED', 'CREATED']);
    expect(outcome.event).toMatchObject({ seq: 3, from: 'CREATED', to: 'CREATED' });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'update', 'update']);
  });

  it.each([
    ['commits a change: the write re-checks the row it waited for and falls back', true],
    ['commits no change: the write goes on after the wait', false],
  ])('waits for a transaction holding the row lock that %s', async (_, change) => {
    const job = await jobNumber(db, change ? 13 : 14);
    const holder = await db.sql.reserve();
    try {
      const { seen, authorize, hooks } = racing(async () => {
        await holder`begin`;
        await holder`select 1 from jobs where uuid = ${job.uuid} for update`;
        if (change) await holder`update jobs set token_version = token_version + 1 where uuid = ${job.uuid}`;
      });
      const applying = applyEvent(db, event(job.uuid, 'run'), authorize, hooks);
      await waitUntil(async () => (await lockWaiters()) > 0);
      await holder`commit`;
      const { outcome } = await applying;
      expect(seen.map((j) => j.tokenVersion)).toEqual(change ? [1, 2] : [1]);
      expect(outcome.event).toMatchObject({ seq: 2, from: 'CREATED', to: 'RUNNING' });
      await history(job.uuid);
    } finally {
      holder.release();
    }
  });

  it('never dates an event before the job’s last change', async () => {
    const job = await jobNumber(db, 15);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await db.sql`update jobs set updated_at = ${later}::timestamptz where uuid = ${job.uuid}`;
    const { outcome } = await applyEvent(db, event(job.uuid, 'run'), allow);
    expect(outcome.event.date).toBe(later);
    expect(outcome.job.updated).toBe(later);
  });

  it('refuses on the locked row when a competing event made the event illegal', async () => {
    const job = await jobNumber(db, 3);
    const { authorize, hooks } = racing(() => applyEvent(db, event(job.uuid, 'fail'), allow));
    const error = await rejection(applyEvent(db, event(job.uuid, 'run'), authorize, hooks));
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'not_allowed', details: { state: 'FAILED' } });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'fail']);
  });

  it('re-authorises with the new token version after a rotation between the read and the write', async () => {
    const job = await jobNumber(db, 4);
    const refusal = new Error('token of an older version');
    const { seen, authorize, hooks } = racing(
      () => bumpTokenVersion(db, job.uuid, ACTOR),
      (locked) => {
        if (locked.tokenVersion !== 1) throw refusal;
      },
    );
    expect(await rejection(applyEvent(db, event(job.uuid, 'run'), authorize, hooks))).toBe(refusal);
    expect(seen.map((j) => j.tokenVersion)).toEqual([1, 2]);
    const { events, job: row } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create']);
    expect(row?.state).toBe('CREATED');
  });

  it('answers gone when the job is deleted between the read and the write, and writes nothing', async () => {
    const job = await jobNumber(db, 5);
    const { authorize, hooks } = racing(() => markJobDeleted(db, job.uuid, { actor: ACTOR }));
    expect(await rejection(applyEvent(db, event(job.uuid, 'run'), authorize, hooks))).toMatchObject({
      code: 'gone',
    });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create']);
  });

  it('answers not_found when the job is removed between the read and the write', async () => {
    const job = await jobNumber(db, 6);
    const { authorize, hooks } = racing(() => markJobDeleted(db, job.uuid, { force: true, actor: ACTOR }));
    expect(await rejection(applyEvent(db, event(job.uuid, 'run'), authorize, hooks))).toMatchObject({
      code: 'not_found',
    });
    const [{ n } = { n: -1 }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from job_events where job_uuid = ${job.uuid}`;
    expect(n).toBe(0);
  });

  it('replays a key used between the read and the write, with the first caller’s outcome', async () => {
    const job = await jobNumber(db, 7);
    let first: Awaited<ReturnType<typeof applyEvent>> | undefined;
    const { seen, authorize, hooks } = racing(async () => {
      first = await applyEvent(db, event(job.uuid, 'run', { idempotencyKey: 'k-race' }), allow);
    });
    const second = await applyEvent(
      db,
      event(job.uuid, 'run', { idempotencyKey: 'k-race' }),
      authorize,
      hooks,
    );
    expect(seen).toHaveLength(2);
    expect(first?.replayed).toBe(false);
    expect(second).toEqual({ outcome: first?.outcome, replayed: true });
    const { events } = await history(job.uuid);
    expect(events.map((e) => [e.name, e.idempotency_key])).toEqual([
      ['create', null],
      ['run', 'k-race'],
    ]);
  });

  it('replays a used key even when the FSM now refuses the event', async () => {
    const job = await jobNumber(db, 8);
    const run = await applyEvent(db, event(job.uuid, 'run', { idempotencyKey: 'k-run' }), allow);
    await applyEvent(db, event(job.uuid, 'finish'), allow);
    // run is illegal in FINISHED: the stored first result still comes back.
    const again = await applyEvent(db, event(job.uuid, 'run', { idempotencyKey: 'k-run' }), allow);
    expect(again).toEqual({ outcome: run.outcome, replayed: true });
    const other = await rejection(
      applyEvent(db, event(job.uuid, 'finish', { idempotencyKey: 'k-run' }), allow),
    );
    expect(other).toMatchObject({ code: 'key_reused' });
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'run', 'finish']);
  });

  it('sends an event straight to the locked path while another one of its job is in flight', async () => {
    const job = await jobNumber(db, 10);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = () => {};
    const reading = new Promise<void>((resolve) => {
      started = resolve;
    });
    // The first event stops between its unlocked read and its write.
    const { seen, authorize, hooks } = racing(async () => {
      started();
      await held;
    });
    const first = applyEvent(db, event(job.uuid, 'run'), authorize, hooks);
    await reading;
    const paths: string[] = [];
    const probe: ApplyEventHooks = { path: (taken) => paths.push(taken) };
    const second = await applyEvent(db, event(job.uuid, 'update'), allow, probe);
    const other = await jobNumber(db, 11);
    await applyEvent(db, event(other.uuid, 'update'), allow, probe);
    expect(paths).toEqual(['locked', 'fast']);
    release();
    // The first event's write then finds the version it read gone and goes the locked way too.
    expect((await first).outcome.event).toMatchObject({ seq: 3, from: 'CREATED', to: 'RUNNING' });
    expect(second.outcome.event.seq).toBe(2);
    expect(seen).toHaveLength(2);
    const { events } = await history(job.uuid);
    expect(events.map((e) => e.name)).toEqual(['create', 'update', 'run']);
  });

  it('keeps history and job in step with events, rotations and replays racing on one job', async () => {
    const job = await jobNumber(db, 9);
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
