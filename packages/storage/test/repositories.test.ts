import type { JobUuid, MessageEventName, PipelineUuid } from '@pipelinejobs/core';
import { loadFixture, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import {
  applyEvent,
  bumpTokenVersion,
  type Database,
  insertJob,
  insertPipeline,
  type JobCursor,
  markJobDeleted,
  parseJobCursor,
  StorageError,
  selectHistory,
  selectJob,
  selectJobAudit,
  selectJobs,
  selectPipeline,
  selectPipelines,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, jobNumber, rejection, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
const MIB = 1024 * 1024;

/** Until another backend of this database waits for a lock (the insert waiting for the delete). */
async function waitForLockWaiter(): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('nothing waited for the lock');
}
const UNREGISTERED_PIPELINE = '106aaaaa-0000-5000-8000-000000000000' as PipelineUuid;
withTestDatabase({}, (opened) => {
  db = opened;
});

/** The StorageError the promise rejected with. */
async function storageRejection(promise: Promise<unknown>): Promise<StorageError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

async function eventCount(uuid: string): Promise<number> {
  const [row] = await db.sql<
    { n: number }[]
  >`select count(*)::int as n from job_events where job_uuid = ${uuid}`;
  return row?.n ?? -1;
}

describe('pipelines', () => {
  it('registers the tacobot pipeline under its typed UUID, once', async () => {
    const input = loadFixture<PipelineDocument>('sd2e/pipelines/tacobot.json');
    const first = await insertPipeline(db, input);
    const again = await insertPipeline(db, {
      ...input,
      description: 'changed text does not change identity',
    });
    expect(first.pipeline.uuid).toBe(TACOBOT_PIPELINE);
    expect(again).toEqual({ pipeline: first.pipeline, created: false });
    expect((await selectPipeline(db, TACOBOT_PIPELINE)).name).toBe('Tacobot 9000');
    const listed = await selectPipelines(db, { limit: 50, maxBytes: 8 * 1024 * 1024 });
    expect(listed.items.map((p) => p.uuid)).toContain(TACOBOT_PIPELINE);
  });

  it('reports an unknown pipeline as not_found', async () => {
    expect((await storageRejection(selectPipeline(db, UNREGISTERED_PIPELINE))).code).toBe('not_found');
  });
});

describe('the tacobot job (SD2E fixtures)', () => {
  it('is created as 107b93f3-1eae-5e79-8a18-0a480f8aa3a5 and runs to FINISHED with 5 history entries', async () => {
    const job = await tacobot(db);
    expect(job).toMatchObject({ uuid: TACOBOT_JOB, state: 'CREATED', last_event: 'create', version: 1 });
    for (const file of ['tacobot-run', 'tacobot-update', 'tacobot-resource', 'tacobot-finish']) {
      const event = loadFixture<{ uuid: JobUuid; name: MessageEventName; data?: unknown }>(
        `sd2e/jobs/${file}.json`,
      );
      const { outcome } = await applyEvent(
        db,
        { actor: ACTOR, jobUuid: event.uuid, name: event.name, data: event.data, source: 'json' },
        allow,
      );
      expect(outcome.job.uuid).toBe(TACOBOT_JOB);
    }
    const finished = await selectJob(db, TACOBOT_JOB);
    expect(finished).toMatchObject({ state: 'FINISHED', last_event: 'finish', version: 5 });
    const history = await selectHistory(db, TACOBOT_JOB, { after: 0, limit: 100, maxBytes: MIB });
    expect(history.items.map((e) => [e.seq, e.name, e.from, e.to])).toEqual([
      [1, 'create', 'CREATED', 'CREATED'],
      [2, 'run', 'CREATED', 'RUNNING'],
      [3, 'update', 'RUNNING', 'RUNNING'],
      [4, 'resource', 'RUNNING', 'RUNNING'],
      [5, 'finish', 'RUNNING', 'FINISHED'],
    ]);
    expect(history.items[1]?.data).toEqual({ 'key-from-run': 'key value data' });
    expect(history.items[0]?.data).toEqual(loadFixture<{ data: unknown }>('sd2e/jobs/tacobot.json').data);
    for (const entry of history.items) expect(entry.uuid).toMatch(/^108/);
  });

  it('returns the existing job when created again, without a second create entry', async () => {
    const again = await insertJob(db, loadFixture('sd2e/jobs/tacobot.json'), { creator: ACTOR });
    expect(again.created).toBe(false);
    expect(again.job.uuid).toBe(TACOBOT_JOB);
    expect(await eventCount(TACOBOT_JOB)).toBe(5);
  });

  it('refuses the wrong-uuid event as not_found', async () => {
    const event = loadFixture<{ uuid: JobUuid; name: MessageEventName }>(
      'sd2e/jobs/tacobot-run-wrong-uuid.json',
    );
    const error = await storageRejection(
      applyEvent(db, { actor: ACTOR, jobUuid: event.uuid, name: event.name, source: 'json' }, allow),
    );
    expect(error.code).toBe('not_found');
  });

  it('refuses an event the state does not allow, names the allowed events, and writes nothing', async () => {
    const before = await selectJob(db, TACOBOT_JOB);
    const error = await storageRejection(
      applyEvent(db, { actor: ACTOR, jobUuid: TACOBOT_JOB, name: 'run', source: 'json' }, allow),
    );
    expect(error.code).toBe('not_allowed');
    expect(error.details).toMatchObject({
      state: 'FINISHED',
      allowed: ['finish', 'index', 'indexed', 'validate', 'retire', 'reset'],
    });
    expect(await selectJob(db, TACOBOT_JOB)).toEqual(before);
    expect(await eventCount(TACOBOT_JOB)).toBe(5);
  });
});

describe('jobs', () => {
  it('refuses to create a job for an unregistered pipeline', async () => {
    const error = await storageRejection(
      insertJob(db, { pipeline_uuid: UNREGISTERED_PIPELINE, data: {}, child_of: [] }, { creator: ACTOR }),
    );
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('register it first');
  });

  it('lets the authorisation callback refuse, and then writes nothing', async () => {
    const job = await jobNumber(db, 1);
    const refusal = new Error('no token');
    await expect(
      applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'run', source: 'json' }, () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await selectJob(db, job.uuid)).toEqual(job);
    expect(await eventCount(job.uuid)).toBe(1);
  });

  it('passes the job and its token version to the authorisation callback', async () => {
    const job = await jobNumber(db, 2);
    const seen: unknown[] = [];
    await applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'run', source: 'params' }, (locked) => {
      seen.push(locked);
    });
    expect(seen).toEqual([{ uuid: job.uuid, tokenVersion: 1 }]);
    expect((await selectJob(db, job.uuid)).last_event).toBe('run');
  });

  it('returns the first result for a reused idempotency key and writes nothing', async () => {
    const job = await jobNumber(db, 3);
    const input = {
      jobUuid: job.uuid,
      name: 'update' as const,
      source: 'json' as const,
      idempotencyKey: 'k-1',
    };
    const first = await applyEvent(db, { actor: ACTOR, ...input, data: { n: 1 } }, allow);
    const second = await applyEvent(db, { actor: ACTOR, ...input, data: { n: 2 } }, allow);
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ outcome: first.outcome, replayed: true, queued: false });
    expect(await eventCount(job.uuid)).toBe(2);
    const conflict = await storageRejection(applyEvent(db, { actor: ACTOR, ...input, name: 'run' }, allow));
    expect(conflict.code).toBe('key_reused');
  });

  it('refuses a reused key whose request fingerprint differs, writing nothing, and replays the same one', async () => {
    const job = await jobNumber(db, 31);
    const input = {
      actor: ACTOR,
      jobUuid: job.uuid,
      name: 'update' as const,
      source: 'json' as const,
      idempotencyKey: 'k-f',
    };
    const first = await applyEvent(db, { ...input, data: { n: 1 }, fingerprint: 'fp-1' }, allow);
    const again = await applyEvent(db, { ...input, data: { n: 1 }, fingerprint: 'fp-1' }, allow);
    expect(again).toEqual({ outcome: first.outcome, replayed: true, queued: false });
    const other = await storageRejection(
      applyEvent(db, { ...input, data: { n: 2 }, fingerprint: 'fp-2' }, allow),
    );
    expect(other.code).toBe('key_reused');
    expect(other.message).toContain('another request');
    expect(await eventCount(job.uuid)).toBe(2);
  });

  it('records who sent each event and who created the job', async () => {
    const job = await jobNumber(db, 32);
    expect(job.created_by).toEqual(ACTOR);
    const reporter = { kind: 'api_key', id: 'a2b1c3d4-0000-4000-8000-000000000001' };
    await applyEvent(db, { actor: reporter, jobUuid: job.uuid, name: 'run', source: 'json' }, allow);
    const { items } = await selectHistory(db, job.uuid, { after: 0, limit: 100, maxBytes: MIB });
    expect(items.map((e) => e.principal)).toEqual([ACTOR, reporter]);
  });

  it('moves state_since only when the state changes', async () => {
    const job = await jobNumber(db, 4);
    const run = await applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'run', source: 'json' }, allow);
    await applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'update', source: 'json' }, allow);
    const after = await selectJob(db, job.uuid);
    expect(after.state_since).toBe(run.outcome.event.date);
    expect(after.version).toBe(3);
  });

  it('hides a soft-deleted job: gone for reads and events, left out of listings', async () => {
    const job = await jobNumber(db, 5);
    expect(await markJobDeleted(db, job.uuid, { actor: ACTOR })).toEqual({ uuid: job.uuid, deleted: 'soft' });
    expect((await storageRejection(selectJob(db, job.uuid))).code).toBe('gone');
    expect(
      (
        await storageRejection(
          applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'run', source: 'json' }, allow),
        )
      ).code,
    ).toBe('gone');
    expect((await selectJobs(db, { limit: 500, maxBytes: MIB })).items.map((j) => j.uuid)).not.toContain(
      job.uuid,
    );
    expect((await storageRejection(markJobDeleted(db, job.uuid, { actor: ACTOR }))).code).toBe('gone');
    expect(await markJobDeleted(db, job.uuid, { force: true, actor: ACTOR })).toEqual({
      uuid: job.uuid,
      deleted: 'hard',
    });
    // The audit outlives the job: who hid it, who removed it.
    expect(
      (await selectJobAudit(db, job.uuid, { after: 0, limit: 100 })).items.map((a) => [
        a.action,
        a.principal,
      ]),
    ).toEqual([
      ['delete', ACTOR],
      ['force_delete', ACTOR],
    ]);
    expect(await eventCount(job.uuid)).toBe(0);
    expect((await storageRejection(selectJob(db, job.uuid))).code).toBe('not_found');
  });

  it('re-creates at the right token version a job whose force delete commits while the create waits', async () => {
    const job = await jobNumber(db, 71);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    // A force delete in flight: the row deleted and its audit written, not yet committed.
    const deleter = await db.sql.reserve();
    try {
      await deleter`begin`;
      await deleter`delete from jobs where uuid = ${job.uuid}`;
      await deleter`insert into job_audit (job_uuid, action, principal_kind, principal_id, token_version)
        values (${job.uuid}, 'force_delete', 'cli', 'race', 3)`;
      const creating = jobNumber(db, 71);
      await waitForLockWaiter();
      await deleter`commit`;
      const again = await creating;
      expect(again.uuid).toBe(job.uuid);
      expect(again.token_version).toBe(4);
      expect((await selectJob(db, job.uuid)).token_version).toBe(4);
    } finally {
      deleter.release();
    }
  });

  it('cancels only an unstarted job still at the token version the cancel was checked against', async () => {
    const rotated = await jobNumber(db, 81);
    // A rotation commits between the cancel's token check (at version 1) and its delete.
    await bumpTokenVersion(db, rotated.uuid, ACTOR);
    const stale = await storageRejection(
      markJobDeleted(db, rotated.uuid, { force: true, unstarted: { tokenVersion: 1 }, actor: ACTOR }),
    );
    expect([stale.code, stale.message]).toEqual(['conflict', expect.stringContaining('token was rotated')]);
    expect((await selectJob(db, rotated.uuid)).uuid).toBe(rotated.uuid);

    const updated = await jobNumber(db, 82);
    await applyEvent(db, { actor: ACTOR, jobUuid: updated.uuid, name: 'update', source: 'json' }, allow);
    const started = await storageRejection(
      markJobDeleted(db, updated.uuid, { force: true, unstarted: { tokenVersion: 1 }, actor: ACTOR }),
    );
    expect([started.code, started.message]).toEqual([
      'conflict',
      expect.stringContaining('has had events besides its create (it is CREATED, version 2)'),
    ]);

    const fresh = await jobNumber(db, 83);
    expect(
      await markJobDeleted(db, fresh.uuid, { force: true, unstarted: { tokenVersion: 1 }, actor: ACTOR }),
    ).toEqual({ uuid: fresh.uuid, deleted: 'hard' });
  });

  it('rotates the token version, recording who did it', async () => {
    const job = await jobNumber(db, 6);
    expect((await bumpTokenVersion(db, job.uuid, ACTOR)).token_version).toBe(2);
    expect((await selectJobAudit(db, job.uuid, { after: 0, limit: 100 })).items).toMatchObject([
      { action: 'rotate_token', principal: ACTOR, token_version: 2 },
    ]);
  });

  it('re-creates a force-deleted job past its last token version, so no old token comes back', async () => {
    const job = await jobNumber(db, 7);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    await bumpTokenVersion(db, job.uuid, ACTOR);
    await markJobDeleted(db, job.uuid, { force: true, actor: ACTOR });
    const again = await jobNumber(db, 7);
    expect(again.uuid).toBe(job.uuid);
    expect(again.token_version).toBe(4);
    await markJobDeleted(db, job.uuid, { force: true, actor: ACTOR });
    expect((await jobNumber(db, 7)).token_version).toBe(5);
  });

  it('lists jobs with filters and keyset pagination', async () => {
    const made = [];
    for (let n = 100; n < 107; n += 1) made.push(await jobNumber(db, n));
    for (const job of made.slice(0, 3)) {
      await applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'run', source: 'json' }, allow);
    }
    const running = await selectJobs(db, { state: 'RUNNING', limit: 500, maxBytes: MIB });
    for (const job of made.slice(0, 3)) expect(running.items.map((j) => j.uuid)).toContain(job.uuid);
    expect(running.items.every((j) => j.state === 'RUNNING')).toBe(true);

    const seen: string[] = [];
    let cursor: JobCursor | undefined;
    do {
      const page = await selectJobs(db, { pipelineUuid: TACOBOT_PIPELINE, limit: 2, maxBytes: MIB, cursor });
      seen.push(...page.items.map((j) => j.uuid));
      cursor = page.next === null ? undefined : parseJobCursor(page.next);
    } while (cursor);
    const all = await selectJobs(db, { pipelineUuid: TACOBOT_PIPELINE, limit: 500, maxBytes: MIB });
    expect(seen).toEqual(all.items.map((j) => j.uuid));
    expect(new Set(seen).size).toBe(seen.length);

    const since = new Date(Date.parse(all.items[0]?.updated ?? '') + 1);
    expect((await selectJobs(db, { updatedSince: since, limit: 50, maxBytes: MIB })).items).toEqual([]);
    expect(parseJobCursor('garbage')).toBeUndefined();
  });

  it('ends a page early when its documents pass the byte budget, and continues from there', async () => {
    const job = await jobNumber(db, 72);
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 5; i += 1) {
      await applyEvent(
        db,
        { actor: ACTOR, jobUuid: job.uuid, name: 'update', source: 'json', data: { big } },
        allow,
      );
    }
    const first = await selectHistory(db, job.uuid, { after: 0, limit: 100, maxBytes: 250_000 });
    expect(first.items.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(first.next).toBe(4);
    const rest = await selectHistory(db, job.uuid, { after: 4, limit: 100, maxBytes: 250_000 });
    expect(rest.items.map((e) => e.seq)).toEqual([5, 6]);
    expect(rest.next).toBeNull();
    // One document larger than the budget still comes, alone.
    const one = await selectHistory(db, job.uuid, { after: 1, limit: 100, maxBytes: 10 });
    expect(one.items.map((e) => e.seq)).toEqual([2]);
    expect(one.next).toBe(2);
  });

  it('pages history oldest first by seq', async () => {
    const job = await jobNumber(db, 7);
    for (let i = 0; i < 4; i += 1)
      await applyEvent(db, { actor: ACTOR, jobUuid: job.uuid, name: 'update', source: 'json' }, allow);
    const first = await selectHistory(db, job.uuid, { after: 0, limit: 2, maxBytes: MIB });
    expect(first.items.map((e) => e.seq)).toEqual([1, 2]);
    expect(first.next).toBe(2);
    const rest = await selectHistory(db, job.uuid, { after: first.next ?? 0, limit: 10, maxBytes: MIB });
    expect(rest.items.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(rest.next).toBeNull();
  });
});
