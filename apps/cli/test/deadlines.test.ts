import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixture } from '@pipelinejobs/fixtures';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { json, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

describe('jobs list --overdue', () => {
  it('lists only the jobs past the deadline of their state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pj-deadlines-'));
    const pipelineFile = join(dir, 'pipeline.json');
    const tacobot = loadFixture<Record<string, unknown>>('sd2e/pipelines/tacobot.json');
    writeFileSync(
      pipelineFile,
      JSON.stringify({ ...tacobot, id: 'tacc/deadlines:cli', deadlines: { CREATED: '1h' } }),
    );
    const pipeline = json<{ uuid: string }>(await cli(['pipelines', 'add', pipelineFile, '--json']));
    const uuids: string[] = [];
    for (const n of [1, 2]) {
      const jobFile = join(dir, `job${n}.json`);
      writeFileSync(jobFile, JSON.stringify({ pipeline_uuid: pipeline.uuid, data: { cli: n } }));
      const created = json<{ uuid: string; deadline: { state: string; budget: string } }>(
        await cli(['jobs', 'create', jobFile, '--json']),
      );
      expect(created.deadline).toMatchObject({ state: 'CREATED', budget: '1h' });
      uuids.push(created.uuid);
    }
    // The CLI's clock is the machine's: the first job's deadline is moved into the past instead.
    const sql = postgres(cli.url(), { max: 1, onnotice: () => {} });
    try {
      await sql`update jobs set deadline_at = now() - interval '1 minute' where uuid = ${uuids[0] ?? ''}`;
    } finally {
      await sql.end();
    }
    const listed = json<{ items: { uuid: string }[] }>(await cli(['jobs', 'list', '--overdue', '--json']));
    expect(listed.items.map((job) => job.uuid)).toEqual([uuids[0]]);
    const all = json<{ items: unknown[] }>(await cli(['jobs', 'list', '--json']));
    expect(all.items).toHaveLength(2);
  });
});

describe('jobs deadlines', () => {
  it("replaces a job's budgets with an admin token, shows them, and refuses a bad budget or no token, changing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pj-deadlines-set-'));
    const pipelineFile = join(dir, 'pipeline.json');
    const tacobot = loadFixture<Record<string, unknown>>('sd2e/pipelines/tacobot.json');
    writeFileSync(pipelineFile, JSON.stringify({ ...tacobot, id: 'tacc/deadlines:set' }));
    const pipeline = json<{ uuid: string }>(await cli(['pipelines', 'add', pipelineFile, '--json']));
    const jobFile = join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify({ pipeline_uuid: pipeline.uuid, data: { cli: 'deadlines' } }));
    const job = json<{ uuid: string; deadline: unknown }>(await cli(['jobs', 'create', jobFile, '--json']));
    expect(job.deadline).toBeNull();
    const adminToken = (await cli(['admin-token'])).stdout.trim();
    const budgets = JSON.stringify({ CREATED: '2h', RUNNING: { budget: '30m', action: 'notify' } });

    const refused = await cli(['jobs', 'deadlines', job.uuid, '-', '--json'], { input: budgets });
    expect(refused.code).toBe(6);
    expect(refused.stdout).toMatch(/admin token/i);
    const invalid = await cli(['jobs', 'deadlines', job.uuid, '-', '--token', adminToken, '--json'], {
      input: JSON.stringify({ CREATED: '0s' }),
    });
    expect(invalid.code).toBe(json<{ error: { exit_code: number } }>(invalid).error.exit_code);
    expect(json<{ error: { code: string; message: string } }>(invalid).error).toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('/CREATED'),
    });
    expect(json<{ deadlines: unknown }>(await cli(['jobs', 'show', job.uuid, '--json'])).deadlines).toEqual(
      {},
    );

    const set = await cli(['jobs', 'deadlines', job.uuid, '-', '--token', adminToken, '--json'], {
      input: budgets,
    });
    expect(set.code).toBe(0);
    expect(json<{ deadlines: unknown; deadline: unknown }>(set)).toMatchObject({
      deadlines: { CREATED: { budget: '2h', action: 'fail' }, RUNNING: { budget: '30m', action: 'notify' } },
      deadline: { state: 'CREATED', budget: '2h', action: 'fail' },
    });
    const shown = await cli(['jobs', 'show', job.uuid]);
    expect(shown.stdout).toMatch(/budgets\s+CREATED 2h \(fail\), RUNNING 30m \(notify\)/);
    expect(shown.stdout).toMatch(/deadline\s+CREATED 2h: fails at \S+ \(in 2 h\)/);
    const audit = json<{ items: { action: string }[] }>(await cli(['jobs', 'audit', job.uuid, '--json']));
    expect(audit.items.map((entry) => entry.action)).toEqual(['set_deadlines']);

    // A notify budget: what happens then, and once it notified, that it did.
    const notify = JSON.stringify({ CREATED: { budget: '1h', action: 'notify' } });
    expect(
      (await cli(['jobs', 'deadlines', job.uuid, '-', '--token', adminToken], { input: notify })).code,
    ).toBe(0);
    expect((await cli(['jobs', 'show', job.uuid])).stdout).toMatch(
      /deadline\s+CREATED 1h: notifies at \S+ \(in 1 h\)/,
    );
    const sql = postgres(cli.url(), { max: 1, onnotice: () => {} });
    try {
      await sql`update jobs set deadline_notified = true where uuid = ${job.uuid}`;
    } finally {
      await sql.end();
    }
    expect((await cli(['jobs', 'show', job.uuid])).stdout).toMatch(
      /deadline\s+CREATED 1h: due at \S+ \(in 1 h\); overdue notification sent/,
    );
  });
});
