import { applyEvent, type Database, StorageError } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, historyInStep, jobNumber, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
withTestDatabase({ poolSize: 20 }, async (opened) => {
  db = opened;
  await tacobot(db);
});

/** Checks a job's history against its row (see historyInStep) and counts its accepted events. */
async function checkJob(uuid: string, acceptedEvents: number) {
  const { events } = await historyInStep(db, uuid);
  expect(events).toHaveLength(acceptedEvents + 1);
}

async function settle(promises: Promise<unknown>[]) {
  const results = await Promise.allSettled(promises);
  const accepted = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r) => r.status === 'rejected');
  for (const r of refused) {
    // The only acceptable refusal is the FSM's; anything else (deadlock, lost connection) fails.
    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
    expect(((r as PromiseRejectedResult).reason as StorageError).code).toBe('not_allowed');
  }
  return { accepted, refused: refused.length };
}

const MIX = ['update', 'run', 'resource'] as const;

describe('applyEvent under contention (real PostgreSQL row locks)', () => {
  it('loses nothing with 500 concurrent events on one job', async () => {
    const job = await jobNumber(db, 1000);
    const calls = Array.from({ length: 500 }, (_, i) =>
      applyEvent(
        db,
        { actor: ACTOR, jobUuid: job.uuid, name: MIX[i % 3] ?? 'update', source: 'json' },
        allow,
      ),
    );
    const { accepted, refused } = await settle(calls);
    expect(accepted).toBe(500); // every event of the mix is legal in CREATED and RUNNING
    expect(refused).toBe(0);
    await checkJob(job.uuid, accepted);
  });

  it('loses nothing with 200 jobs x 20 concurrent events', async () => {
    const jobs = await Promise.all(Array.from({ length: 200 }, (_, i) => jobNumber(db, 2000 + i)));
    const calls = jobs.flatMap((job) =>
      Array.from({ length: 20 }, (_, i) =>
        applyEvent(
          db,
          { actor: ACTOR, jobUuid: job.uuid, name: MIX[i % 3] ?? 'update', source: 'json' },
          allow,
        ),
      ),
    );
    const { accepted } = await settle(calls);
    expect(accepted).toBe(4000);
    for (const job of jobs) await checkJob(job.uuid, 20);
  });

  it('keeps the history legal when racing events are refused by the FSM', async () => {
    const job = await jobNumber(db, 3000);
    // run/finish/fail/update race: once FAILED or FINISHED, the rest must be refused, not lost.
    const names = Array.from(
      { length: 200 },
      (_, i) => (['run', 'update', 'finish', 'fail'] as const)[i % 4] ?? 'run',
    );
    const { accepted } = await settle(
      names.map((name) => applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name, source: 'json' }, allow)),
    );
    await checkJob(job.uuid, accepted);
  });

  it('applies one idempotency key once when sent 50 times concurrently, and every caller gets the same result', async () => {
    const job = await jobNumber(db, 4000);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        applyEvent(
          db,
          { actor: ACTOR, jobUuid: job.uuid, name: 'run', source: 'tapis', idempotencyKey: 'evt-1' },
          allow,
        ),
      ),
    );
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results) expect(r.outcome).toEqual(results[0]?.outcome);
    await checkJob(job.uuid, 1);
  });

  it('would lose updates without the row lock (the same workload, unlocked)', async () => {
    // What the original did: read, decide, write back with no lock or version check.
    const job = await jobNumber(db, 5000);
    const unlocked = async () => {
      await db.sql.begin(async (tx) => {
        const [row] = await tx<{ version: number; state: string }[]>`
          select version, state from jobs where uuid = ${job.uuid}`;
        if (!row) return;
        await tx`update jobs set version = ${row.version + 1} where uuid = ${job.uuid}`;
      });
    };
    await Promise.all(Array.from({ length: 200 }, unlocked));
    const [after] = await db.sql<{ version: number }[]>`select version from jobs where uuid = ${job.uuid}`;
    expect(after?.version).toBeLessThan(201);
  });
});
