import { transition } from '@pipelinejobs/core';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import type { Database, JobToAuthorize } from '@pipelinejobs/storage';
import { insertJob, insertPipeline } from '@pipelinejobs/storage';
import { afterAll, beforeAll, expect } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';

/**
 * Opens a fresh test database for the file (closed after its tests) and hands it and its URL to
 * `opened`, which keeps it and may seed it.
 */
export function withTestDatabase(
  options: { poolSize?: number },
  opened: (db: Database, url: string) => undefined | Promise<unknown>,
): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await openTestDatabase(options);
    cleanup = database.cleanup;
    await opened(database.db, database.url);
  });
  afterAll(() => cleanup?.());
}

/** Registers the tacobot pipeline and creates the tacobot job from the SD2E fixtures. */
export async function tacobot(db: Database) {
  await insertPipeline(db, loadFixture<PipelineDocument>('sd2e/pipelines/tacobot.json'));
  const { job } = await insertJob(db, loadFixture('sd2e/jobs/tacobot.json'), { creator: ACTOR });
  return job;
}

/** Who the tests act as: recorded on every row they write. */
export const ACTOR = { kind: 'cli', id: 'storage-tests' } as const;

/** An authorisation callback that lets everything through (tests of the locking, not of auth). */
export const allow = (_job: JobToAuthorize) => {};

/** A job with its own data, for tests that need many jobs of the tacobot pipeline. */
export async function jobNumber(db: Database, n: number) {
  const { job } = await insertJob(
    db,
    { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { n } },
    { creator: ACTOR },
  );
  return job;
}

/** What the promise rejected with; fails the test when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/**
 * Checks a job's history against its row: seq 1..version gapless, the row in the newest entry's
 * state, every move legal per core's table. Returns both.
 */
export async function historyInStep(db: Database, uuid: string) {
  const events = await db.sql<
    { seq: number; name: string; from_state: string; to_state: string; idempotency_key: string | null }[]
  >`
    select seq, name, from_state, to_state, idempotency_key from job_events
    where job_uuid = ${uuid} order by seq`;
  const [job] = await db.sql<{ version: number; state: string }[]>`
    select version, state from jobs where uuid = ${uuid}`;
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
  expect(job?.version).toBe(events.length);
  expect(job?.state).toBe(events.at(-1)?.to_state);
  for (const [i, e] of events.entries()) {
    if (i === 0) continue;
    expect(e.from_state).toBe(events[i - 1]?.to_state);
    expect(transition(e.from_state, e.name)).toMatchObject({ ok: true, to: e.to_state });
  }
  return { events, job };
}
