import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { fixturePath, loadFixture, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import type { CliWriter } from '../src/io.js';
import { run } from '../src/run.js';
import { json, runCli, SECRET, textBuffer } from './run-cli.js';

// `run` takes everything from its io: these tests give it surroundings unlike the process's.
let url = '';
let sql: Awaited<ReturnType<typeof openTestDatabase>>['db']['sql'];
let cleanup: (() => Promise<void>) | undefined;
beforeAll(async () => {
  // One connection, so every other connection to this database is the CLI's.
  const database = await openTestDatabase({ poolSize: 1 });
  ({ url, cleanup } = database);
  sql = database.db.sql;
});
afterAll(() => cleanup?.());

const FIXTURES = dirname(fixturePath('sd2e/pipelines/tacobot.json')).replace(/pipelines$/, '');

/** Connections to the test database other than this file's own one: the CLI's. */
async function cliConnections(): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`;
  return row?.n ?? -1;
}

describe('run(argv, io)', () => {
  it('reads the environment from io, not from the process', async () => {
    // Were process.env read, this secret would be refused as too short (exit 2).
    vi.stubEnv('PIPELINEJOBS_SECRET', 'short');
    vi.stubEnv('DATABASE_URL', 'postgres://postgres@127.0.0.1:9/none');
    try {
      const result = await runCli(['jobs', 'list', '--json'], { env: { DATABASE_URL: url } });
      expect(result.code, result.stderr).toBe(0);
      expect(json(result)).toEqual({ items: [], next: null });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('resolves a relative document path from io.cwd', async () => {
    const stdout = textBuffer();
    const stderr = textBuffer();
    const code = await run(['pipelines', 'add', 'pipelines/tacobot.json', '--database-url', url, '--json'], {
      stdout,
      stderr,
      env: { PIPELINEJOBS_SECRET: SECRET },
      cwd: FIXTURES,
    });
    expect(code, stderr.text()).toBe(0);
    expect(JSON.parse(stdout.text())).toMatchObject({ uuid: TACOBOT_PIPELINE });
  });

  it('reads `-` from io.stdin', async () => {
    const result = await runCli(['jobs', 'create', '-', '--database-url', url, '--json'], {
      input: JSON.stringify(loadFixture('sd2e/jobs/tacobot.json')),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(json(result).uuid).toBe(TACOBOT_JOB);
  });

  it('records the operator named by io.user, else by USER in io.env', async () => {
    const admin = (await runCli(['admin-token', '--database-url', url])).stdout.trim();
    const send = (event: string, user: string | undefined) =>
      run(['send', TACOBOT_JOB, event, '--token', admin, '--database-url', url], {
        stdout: textBuffer(),
        stderr: textBuffer(),
        env: { PIPELINEJOBS_SECRET: SECRET, USER: 'ada' },
        cwd: FIXTURES,
        user,
      });
    expect(await send('run', 'grace')).toBe(0);
    expect(await send('update', undefined)).toBe(0);
    const history = json<{ items: { name: string; principal: unknown }[] }>(
      await runCli(['jobs', 'history', TACOBOT_JOB, '--database-url', url, '--json']),
    );
    expect(history.items.slice(1)).toMatchObject([
      { name: 'run', principal: { kind: 'cli', id: 'grace' } },
      { name: 'update', principal: { kind: 'cli', id: 'ada' } },
    ]);
  });

  it('colours only a terminal, and never with NO_COLOR in io.env', async () => {
    const colour = '\u001b[';
    expect((await runCli(['fsm'], { tty: true })).stdout).toContain(colour);
    expect((await runCli(['fsm'], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain(colour);
    expect((await runCli(['fsm'], { tty: false })).stdout).not.toContain(colour);
  });

  it('returns the exit code instead of setting it on the process', async () => {
    const before = process.exitCode;
    const admin = (await runCli(['admin-token', '--database-url', url])).stdout.trim();
    // The job is RUNNING: a dry run of `retire` is refused, and exits as the send would (5).
    const result = await runCli([
      'jobs',
      'dry-run',
      TACOBOT_JOB,
      'retire',
      '--token',
      admin,
      '--database-url',
      url,
    ]);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain('refused');
    expect(process.exitCode).toBe(before);
  });

  it('writes help, version and usage errors to io, with exit codes 0 and 2', async () => {
    const help = await runCli(['--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toContain('Usage: pipelinejobs');
    const version = await runCli(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const usage = await runCli(['jobs']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: pipelinejobs jobs');
  });

  it('leaves no scratch directory behind (the test helper cleans up after each call)', async () => {
    const result = await runCli(['fsm']);
    expect(result.code).toBe(0);
    expect(existsSync(result.cwd)).toBe(false);
  });
});

describe('Ctrl-C (the io signal)', () => {
  it('stops a command waiting for stdin: exit 130, nothing written', async () => {
    const stdin = new PassThrough(); // a terminal nobody types into
    const interrupt = new AbortController();
    const stdout = textBuffer();
    const stderr = textBuffer();
    const running = run(['pipelines', 'add', '-', '--database-url', url], {
      stdout,
      stderr,
      stdin,
      env: { PIPELINEJOBS_SECRET: SECRET },
      cwd: FIXTURES,
      signal: interrupt.signal,
    });
    setTimeout(() => interrupt.abort(), 50);
    expect(await running).toBe(130);
    expect([stdout.text(), stderr.text()]).toEqual(['', '']);
  });

  it('stops a command between two pages and closes its database connections', async () => {
    // Enough jobs for three pages of one.
    for (const copy of [2, 3]) {
      // Another `data`, another job (the UUID derives from it).
      const created = await runCli(['jobs', 'create', '-', '--database-url', url, '--json'], {
        input: JSON.stringify({ ...loadFixture('sd2e/jobs/tacobot.json'), data: { copy } }),
      });
      expect(json(created).created, created.stderr).toBe(true);
    }
    await expect.poll(cliConnections).toBe(0);
    const interrupt = new AbortController();
    const stdout = textBuffer();
    // The progress counter is drawn after the first page: Ctrl-C then.
    let drawn = '';
    const terminal: CliWriter = {
      isTTY: true,
      write(text: string) {
        drawn += text;
        if (text.includes('Fetching jobs: 1')) interrupt.abort();
        return true;
      },
    };
    const code = await run(['jobs', 'list', '--all', '--limit', '1', '--database-url', url], {
      stdout,
      stderr: terminal,
      env: { PIPELINEJOBS_SECRET: SECRET },
      cwd: FIXTURES,
      signal: interrupt.signal,
    });
    expect(code).toBe(130);
    expect(stdout.text()).toBe('');
    // It stopped there: the last page was never read.
    expect(drawn).toContain('Fetching jobs: 1');
    expect(drawn).not.toContain('Fetching jobs: 3');
    await expect.poll(cliConnections).toBe(0);
  });

  it('says the event was applied when Ctrl-C comes after it was committed', async () => {
    await runCli(['pipelines', 'add', fixturePath('sd2e/pipelines/tacobot.json'), '--database-url', url]);
    const created = await runCli(['jobs', 'create', '-', '--database-url', url, '--json'], {
      input: JSON.stringify({ ...loadFixture('sd2e/jobs/tacobot.json'), data: { ctrlc: 'late' } }),
    });
    const { uuid, token } = json<{ uuid: string; token: string }>(created);
    const interrupt = new AbortController();
    // Ctrl-C as the result is being written: the event has been committed by then.
    const stdout: CliWriter = {
      write() {
        interrupt.abort();
        return true;
      },
    };
    const stderr = textBuffer();
    const code = await run(['send', uuid, 'run', '--token', token, '--json', '--database-url', url], {
      stdout,
      stderr,
      env: { PIPELINEJOBS_SECRET: SECRET },
      cwd: FIXTURES,
      signal: interrupt.signal,
    });
    expect(code).toBe(130);
    expect(stderr.text()).toBe('pipelinejobs: interrupted: the event was applied\n');
    const history = json<{ items: { name: string }[] }>(
      await runCli(['jobs', 'history', uuid, '--json', '--database-url', url]),
    );
    expect(history.items.map((e) => e.name)).toEqual(['create', 'run']);
  });
});
