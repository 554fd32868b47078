import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManagerChild, startManagerProcess } from '../../../test/manager-process.js';
import { json, SECRET, useTestDatabaseCli } from './run-cli.js';

/** Keys made by the CLI, used against a real Manager process on the same database. */
const cli = useTestDatabaseCli();
let manager: ManagerChild;

beforeAll(async () => {
  manager = await startManagerProcess({
    env: { DATABASE_URL: cli.url(), PIPELINEJOBS_SECRET: SECRET, LOG_LEVEL: 'warn' },
  });
});
// After hooks run in reverse order: the Manager stops before the database is dropped.
afterAll(() => manager?.kill9());

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${manager.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function createKey(role: string): Promise<{ key: string; prefix: string }> {
  const result = await cli(['keys', 'create', '--role', role, '--label', `http ${role}`, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return json<{ key: string; prefix: string }>(result);
}

describe('keys created with the CLI, used against the HTTP Manager', () => {
  it('an agent key registers the pipeline and creates a job; a reader key reads them and cannot write', async () => {
    const agent = await createKey('agent');
    const reader = await createKey('reader');

    const pipeline = await call('POST', '/pipelines', agent.key, loadFixture('sd2e/pipelines/tacobot.json'));
    expect(pipeline.status).toBe(201);
    expect(pipeline.json.uuid).toBe(TACOBOT_PIPELINE);
    const job = await call('POST', '/jobs', agent.key, loadFixture('sd2e/jobs/tacobot.json'));
    expect(job.status).toBe(201);

    const read = await call('GET', `/jobs/${job.json.uuid}`, reader.key);
    expect(read).toMatchObject({ status: 200, json: { state: 'CREATED' } });
    const refused = await call('POST', '/jobs', reader.key, loadFixture('sd2e/jobs/tacobot.json'));
    expect(refused.status).toBe(403);
  });

  it('a key revoked with the CLI is refused by the running Manager at once', async () => {
    const reader = await createKey('reader');
    expect((await call('GET', '/pipelines', reader.key)).status).toBe(200);
    expect((await cli(['keys', 'revoke', reader.prefix])).code).toBe(0);
    const refused = await call('GET', '/pipelines', reader.key);
    expect(refused.status).toBe(401);
    expect(String(refused.json.detail)).toMatch(/revoked|not valid|unknown/i);
  });
});
