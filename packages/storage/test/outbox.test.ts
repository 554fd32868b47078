import { TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import {
  applyEvent,
  claimDeliveries,
  type Database,
  insertSubscription,
  recordAttempts,
  replayNotifications,
  StorageError,
  updateSubscription,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, jobNumber, rejection, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
let everything: string;
withTestDatabase({ poolSize: 10 }, async (opened) => {
  db = opened;
  await tacobot(db);
  everything = (
    await insertSubscription(
      db,
      { url: 'http://a.test/', description: '', filter: {}, sealedSecret: 'x' },
      ACTOR,
    )
  ).id;
});

const outboxOf = (job: string, subscription: string) =>
  db.sql<{ seq: number; status: string }[]>`
    select seq, status from webhook_outbox where job_uuid = ${job} and subscription_id = ${subscription} order by seq`;

const send = (job: string, name: 'run' | 'update' | 'finish') =>
  applyEvent(db, { actor: ACTOR, jobUuid: job as never, name, source: 'json' }, allow);

describe('the transactional outbox', () => {
  it('writes one notification per transition, the create included, for a subscription with no filter', async () => {
    const job = await jobNumber(db, 1);
    await send(job.uuid, 'run');
    await send(job.uuid, 'update');
    expect(await outboxOf(job.uuid, everything)).toEqual([
      { seq: 1, status: 'pending' },
      { seq: 2, status: 'pending' },
      { seq: 3, status: 'pending' },
    ]);
  });

  it('writes no notification for an event the state machine refuses', async () => {
    const job = await jobNumber(db, 2);
    const refused = await rejection(send(job.uuid, 'finish'));
    expect(refused).toBeInstanceOf(StorageError);
    expect((refused as StorageError).code).toBe('not_allowed');
    expect(await outboxOf(job.uuid, everything)).toEqual([{ seq: 1, status: 'pending' }]);
  });

  it('applies each filter: job, pipeline, state after, event name; a disabled subscription gets nothing', async () => {
    const job = await jobNumber(db, 3);
    const other = await jobNumber(db, 4);
    const sub = (filter: object) =>
      insertSubscription(db, { url: 'http://b.test/', description: '', filter, sealedSecret: 'x' }, ACTOR);
    const byJob = await sub({ job_uuid: job.uuid });
    const byPipeline = await sub({ pipeline_uuid: TACOBOT_PIPELINE });
    const otherPipeline = await sub({ pipeline_uuid: '106aaaaa-1baa-55c5-a481-5e945b19c065' });
    const finished = await sub({ states: ['FINISHED'] });
    const updates = await sub({ events: ['update'] });
    const disabled = await sub({});
    await updateSubscription(db, disabled.id, { enabled: false });
    for (const uuid of [job.uuid, other.uuid]) {
      await send(uuid, 'run');
      await send(uuid, 'update');
      await send(uuid, 'finish');
    }
    const seqs = async (id: string, uuid: string) => (await outboxOf(uuid, id)).map((r) => r.seq);
    expect(await seqs(byJob.id, job.uuid)).toEqual([2, 3, 4]);
    expect(await seqs(byJob.id, other.uuid)).toEqual([]);
    expect(await seqs(byPipeline.id, other.uuid)).toEqual([2, 3, 4]);
    expect(await seqs(otherPipeline.id, job.uuid)).toEqual([]);
    expect(await seqs(finished.id, job.uuid)).toEqual([4]);
    expect(await seqs(updates.id, other.uuid)).toEqual([3]);
    expect(await seqs(disabled.id, job.uuid)).toEqual([]);
  });

  it('claims one notification per job and subscription at a time, in seq order, and never twice', async () => {
    const sub = await insertSubscription(
      db,
      { url: 'http://c.test/', description: '', filter: { events: ['update'] }, sealedSecret: 'x' },
      ACTOR,
    );
    const jobs = await Promise.all([5, 6, 7].map((n) => jobNumber(db, n)));
    for (const job of jobs) {
      await send(job.uuid, 'run');
      for (let i = 0; i < 3; i++) await send(job.uuid, 'update');
    }
    const delivered: string[] = [];
    for (let round = 0; round < 10; round++) {
      // Two dispatchers claiming at once get disjoint rows.
      const [a, b] = await Promise.all([
        claimDeliveries(db, { limit: 100, leaseMs: 30_000 }),
        claimDeliveries(db, { limit: 100, leaseMs: 30_000 }),
      ]);
      const mine = [...(a ?? []), ...(b ?? [])].filter((c) => c.subscriptionId === sub.id);
      const keys = mine.map((c) => `${c.jobUuid}/${c.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(new Set(mine.map((c) => c.jobUuid)).size).toBe(mine.length);
      // Claimed again while leased: nothing of these.
      const again = await claimDeliveries(db, { limit: 100, leaseMs: 30_000 });
      expect(again.filter((c) => keys.includes(`${c.jobUuid}/${c.seq}`))).toEqual([]);
      const all = [...(a ?? []), ...(b ?? []), ...again];
      for (const claimed of all) {
        if (claimed.subscriptionId === sub.id) delivered.push(`${claimed.jobUuid}/${claimed.seq}`);
      }
      const result = {
        statusCode: 204,
        error: null,
        durationMs: 1,
        outcome: 'delivered',
        gone: false,
      } as const;
      await recordAttempts(
        db,
        all.map((claimed) => ({ claimed, result })),
        { disableAfterMs: 1000 },
      );
    }
    for (const job of jobs) {
      expect(delivered.filter((d) => d.startsWith(job.uuid))).toEqual(
        [3, 4, 5].map((seq) => `${job.uuid}/${seq}`),
      );
    }
  });

  it('replays what was delivered since a time, and leaves pending ones alone', async () => {
    const sub = await insertSubscription(
      db,
      {
        url: 'http://d.test/',
        description: '',
        filter: { job_uuid: (await jobNumber(db, 8)).uuid },
        sealedSecret: 'x',
      },
      ACTOR,
    );
    const job = sub.filter.job_uuid as string;
    await send(job, 'run');
    await db.sql`update webhook_outbox set status = 'delivered' where subscription_id = ${sub.id} and seq = 2`;
    const since = new Date(Date.now() - 60_000);
    // seq 2 is queued again; seq 1 was written before the subscription existed and is queued too.
    expect(await replayNotifications(db, sub.id, since)).toBe(2);
    expect(await outboxOf(job, sub.id)).toEqual([
      { seq: 1, status: 'pending' },
      { seq: 2, status: 'pending' },
    ]);
    expect(await replayNotifications(db, sub.id, since)).toBe(0);
  });
});

describe('recording attempts', () => {
  it('records the rest of a batch when one subscription was deleted while its notification was in flight', async () => {
    const job = await jobNumber(db, 9);
    const kept = await insertSubscription(
      db,
      { url: 'http://e.test/', description: '', filter: { job_uuid: job.uuid }, sealedSecret: 'x' },
      ACTOR,
    );
    const dropped = await insertSubscription(
      db,
      { url: 'http://f.test/', description: '', filter: { job_uuid: job.uuid }, sealedSecret: 'x' },
      ACTOR,
    );
    await send(job.uuid, 'run');
    const claimed = (await claimDeliveries(db, { limit: 1000, leaseMs: 30_000 })).filter((c) =>
      [kept.id, dropped.id].includes(c.subscriptionId),
    );
    expect(claimed).toHaveLength(2);
    await db.sql`delete from webhook_subscriptions where id = ${dropped.id}`;
    const result = {
      statusCode: 200,
      error: null,
      durationMs: 3,
      outcome: 'delivered',
      gone: false,
    } as const;
    await recordAttempts(
      db,
      claimed.map((c) => ({ claimed: c, result })),
      { disableAfterMs: 1000 },
    );
    expect(await outboxOf(job.uuid, kept.id)).toEqual([{ seq: 2, status: 'delivered' }]);
    const log = await db.sql`select seq from webhook_attempts where subscription_id = ${kept.id}`;
    expect(log).toHaveLength(1);
  });
});

describe('a failing subscription', () => {
  it('keeps when it began to fail, forgets it on a success, and is disabled once it failed for longer than allowed', async () => {
    const job = await jobNumber(db, 10);
    const sub = await insertSubscription(
      db,
      { url: 'http://g.test/', description: '', filter: { job_uuid: job.uuid }, sealedSecret: 'x' },
      ACTOR,
    );
    await send(job.uuid, 'run');
    const attempt = async (outcome: 'delivered' | 'retry', disableAfterMs: number) => {
      const [claimed] = (await claimDeliveries(db, { limit: 1000, leaseMs: 30_000 })).filter(
        (c) => c.subscriptionId === sub.id,
      );
      expect(claimed).toBeDefined();
      const result = {
        statusCode: outcome === 'delivered' ? 200 : 500,
        error: null,
        durationMs: 1,
        outcome,
        nextAttemptAt: new Date(Date.now() - 1000),
        gone: false,
      } as const;
      await recordAttempts(db, [{ claimed: claimed as NonNullable<typeof claimed>, result }], {
        disableAfterMs,
      });
      const [row] = await db.sql<
        { enabled: boolean; failing_since: string | null; disabled_reason: string | null }[]
      >`
        select enabled, failing_since, disabled_reason from webhook_subscriptions where id = ${sub.id}`;
      return row;
    };
    const first = await attempt('retry', 60_000);
    expect(first).toMatchObject({ enabled: true, disabled_reason: null });
    expect(first?.failing_since).not.toBeNull();
    expect(await attempt('delivered', 60_000)).toMatchObject({ enabled: true, failing_since: null });
    await send(job.uuid, 'update');
    await attempt('retry', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const disabled = await attempt('retry', 20);
    expect(disabled).toMatchObject({ enabled: false });
    expect(disabled?.disabled_reason).toMatch(/^every delivery failed since \d{4}-\d\d-\d\dT/);
  });
});
