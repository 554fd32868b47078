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
