import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { expect } from 'vitest';
import { type HttpResponse, sendJson } from './http.js';
import { rememberSecrets } from './run-dir.js';

/** The tacobot pipeline of the SD2E fixtures (its uuid is TACOBOT_PIPELINE). */
export const PIPELINE = loadFixture('sd2e/pipelines/tacobot.json');

/** A job body; `data` makes its identity, so each (test, n) pair is a new job. */
export function jobBody(test: string, n: number): Record<string, unknown> {
  return {
    pipeline_uuid: TACOBOT_PIPELINE,
    child_of: [],
    archive_path: `/reliability/${test}/${n}`,
    archive_system: 'data-sd2e-community',
    session: 'solid-snake',
    data: { test, n, param4: [1, 2, 3] },
  };
}

export interface CreatedJob {
  uuid: string;
  token: string;
}

export async function registerPipeline(base: string, agentKey: string): Promise<void> {
  const res = await sendJson(base, 'POST', '/pipelines', { key: agentKey, body: PIPELINE });
  expect([200, 201], res.text).toContain(res.status);
}

/** Creates a job over HTTP and remembers its token as a secret. */
export async function createJob(
  base: string,
  agentKey: string,
  test: string,
  n: number,
): Promise<CreatedJob> {
  const res: HttpResponse = await sendJson(base, 'POST', '/jobs', { key: agentKey, body: jobBody(test, n) });
  expect(res.status, res.text).toBe(201);
  const job = res.json as CreatedJob;
  rememberSecrets(job.token);
  return { uuid: job.uuid, token: job.token };
}
