import { readFileSync } from 'node:fs';
import type { Database, LockedJob, PipelineInput } from '@pipelinejobs/storage';
import { createJob, registerPipeline } from '@pipelinejobs/storage';
import { afterAll, beforeAll } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';

export function fixture<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8')) as T;
}

export const TACOBOT_PIPELINE = '10650844-1baa-55c5-a481-5e945b19c065';
export const TACOBOT_JOB = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';

/**
 * Opens a fresh test database for the file (closed after its tests) and hands it to `opened`,
 * which keeps it and may seed it.
 */
export function withTestDatabase(
  options: { poolSize?: number },
  opened: (db: Database) => undefined | Promise<unknown>,
): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await openTestDatabase(options);
    cleanup = database.cleanup;
    await opened(database.db);
  });
  afterAll(() => cleanup?.());
}

/** Registers the tacobot pipeline and creates the tacobot job from the SD2E fixtures. */
export async function tacobot(db: Database) {
  await registerPipeline(db, fixture<PipelineInput>('pipelines/tacobot.json'));
  const { job } = await createJob(db, fixture('jobs/tacobot.json'));
  return job;
}

/** An authorisation callback that lets everything through (tests of the locking, not of auth). */
export const allow = (_job: LockedJob) => {};

/** A job with its own data, for tests that need many jobs of the tacobot pipeline. */
export async function jobNumber(db: Database, n: number) {
  const { job } = await createJob(db, { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { n } });
  return job;
}
