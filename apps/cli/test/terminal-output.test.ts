import { createServer } from 'node:net';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stripAnsi } from '../src/ansi.js';
import { runCli, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

/** Three jobs with long data, and a history of a dozen events on the first. */
async function someJobs() {
  const added = await cli(['pipelines', 'add', '-'], {
    input: JSON.stringify(loadFixture('sd2e/pipelines/tacobot.json')),
  });
  expect(added.stderr).toBe('');
  const tokens: { uuid: string; token: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const created = await cli(['jobs', 'create', '-', '--json'], {
      input: JSON.stringify({ pipeline_uuid: TACOBOT_PIPELINE, data: { i } }),
    });
    expect(created.code, created.stderr).toBe(0);
    tokens.push(JSON.parse(created.stdout) as { uuid: string; token: string });
  }
  const [first] = tokens;
  if (!first) throw new Error('no job');
  for (let i = 0; i < 11; i++) {
    const data = JSON.stringify({
      note: `a long note that makes the data column wide, number ${i}`.repeat(2),
    });
    expect((await cli(['send', first.uuid, 'update', '--token', first.token, '--data', data])).code).toBe(0);
  }
  return first;
}

describe('human output on a terminal', () => {
  let first: { uuid: string; token: string };
  beforeAll(async () => {
    first = await someJobs();
  });

  it('fits tables to the terminal width, cutting the widest column with an ellipsis; a pipe gets them whole', async () => {
    const narrow = await cli(['jobs', 'history', first.uuid], { tty: true, columns: 80 });
    expect(narrow.code).toBe(0);
    const lines = stripAnsi(narrow.stdout).trimEnd().split('\n');
    expect(lines.length).toBe(13);
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(lines[2]).toMatch(/…$/);
    const piped = await cli(['jobs', 'history', first.uuid]);
    expect(Math.max(...piped.stdout.split('\n').map((line) => line.length))).toBeGreaterThan(80);
    const jobs = await cli(['jobs', 'list'], { tty: true, columns: 60 });
    for (const line of stripAnsi(jobs.stdout).trimEnd().split('\n')) {
      expect([...line].length, line).toBeLessThanOrEqual(60);
    }
  });

  it('shows the total in the progress line of --all', async () => {
    const listed = await cli(['jobs', 'list', '--all', '--limit', '1'], { tty: true });
    expect(listed.stderr).toContain('Fetching jobs: 1 of 3…');
    expect(listed.stderr).toContain('Fetching jobs: 3 of 3…');
    // 12 events (create and 11 updates); after the second, 10 are left.
    const history = await cli(['jobs', 'history', first.uuid, '--all', '--limit', '5', '--after', '2'], {
      tty: true,
    });
    expect(history.stderr).toContain('Fetching history: 5 of 10…');
    expect(history.stderr).toContain('Fetching history: 10 of 10…');
  });
});

describe('database errors', () => {
  it('a database that does not exist: exit 2, PostgreSQL message and the setting', async () => {
    const url = new URL(inject('pg').adminUrl);
    url.pathname = '/pj_cli_no_such_database';
    const result = await runCli(['jobs', 'list', '--database-url', url.href]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: DATABASE_URL: the database pj_cli_no_such_database does not exist on .*\(PostgreSQL: database "pj_cli_no_such_database" does not exist\)\n$/,
    );
  });

  it('nothing listening: exit 7 at once, naming the address and the cause', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const result = await runCli([
      'keys',
      'list',
      '--database-url',
      `postgres://postgres@127.0.0.1:${port}/x`,
    ]);
    expect(result.code).toBe(7);
    expect(result.stderr).toBe(
      `error: DATABASE_URL: nothing accepts connections at 127.0.0.1:${port}: check the host and port in it and that PostgreSQL is running (connect ECONNREFUSED 127.0.0.1:${port}) (postgres://127.0.0.1:${port}/x)\n`,
    );
  });
});
