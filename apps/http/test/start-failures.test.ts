import { spawn } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { loadFixture } from '@pipelinejobs/fixtures';
import { databaseOf } from '@pipelinejobs/service/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { baseEnv, MANAGER_MAIN, REPO_ROOT } from '../../../test/manager-process.js';
import { startManager } from './harness.js';
import { freePort } from './process-tree.js';

const SECRET = 'start-failures-secret-0123456789abcdef';
const pg = inject('pg');
const role = `pj_start_failures_${process.pid}`;
let admin: postgres.Sql;

beforeAll(async () => {
  admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create role ${role} login password 'the-right-password'`);
});
afterAll(async () => {
  await admin.unsafe(`drop role if exists ${role}`);
  await admin.end();
});

/** Runs the built Manager to its end (or `until` it has said something) and returns what it said. */
function runManager(
  env: Record<string, string>,
  until?: (output: string) => boolean,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MANAGER_MAIN], {
      cwd: REPO_ROOT,
      env: { ...baseEnv(), PIPELINEJOBS_SECRET: SECRET, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const check = () => {
      if (until?.(stdout + stderr)) child.kill('SIGTERM');
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const withUrl = (url: string, change: (u: URL) => void) => {
  const u = new URL(url);
  change(u);
  return u.href;
};

const retryLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.msg.startsWith('database not reachable'));

/** The Manager started against a port where no database listens, retrying `retry` times. */
async function startWithoutDatabase(retry: string) {
  const port = await freePort();
  const result = await runManager({
    DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/pipelinejobs`,
    PIPELINEJOBS_START_RETRY: retry,
  });
  return { port, result };
}

describe('a database that is not there yet', () => {
  it('is retried with one log line per attempt, then the Manager exits 1 naming the setting and the cause', async () => {
    const { port, result } = await startWithoutDatabase('2');
    expect(result.code).toBe(1);
    const lines = retryLines(result.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]?.level).toBe(40);
    expect(lines[0]?.msg).toMatch(
      /^database not reachable \(attempt 1\): DATABASE_URL: nothing accepts connections at 127\.0\.0\.1:\d+/,
    );
    expect(lines[0]?.msg).toContain('PIPELINEJOBS_START_RETRY');
    expect(result.ms).toBeGreaterThanOrEqual(2000);
    expect(result.stderr).toBe(
      `error: DATABASE_URL: nothing accepts connections at 127.0.0.1:${port}: check the host and port in it and that PostgreSQL is running (connect ECONNREFUSED 127.0.0.1:${port})\n`,
    );
  });

  it('is waited for: the Manager starts once the database answers', async () => {
    const opened = await openTestDatabase();
    const target = new URL(opened.url);
    const port = await freePort();
    let proxy: Server | undefined;
    // The database "comes up" 1.5 s after the Manager started: a forwarder to the real one.
    const comesUp = setTimeout(() => {
      proxy = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      }).listen(port, '127.0.0.1');
    }, 1500);
    try {
      const result = await runManager(
        {
          DATABASE_URL: withUrl(opened.url, (u) => {
            u.hostname = '127.0.0.1';
            u.port = String(port);
          }),
        },
        (output) => output.includes('listening on'),
      );
      expect(result.stderr).toMatch(/PipelineJobs Manager listening on/);
      expect(result.code).toBe(0);
      expect(retryLines(result.stdout).length).toBeGreaterThanOrEqual(1);
    } finally {
      clearTimeout(comesUp);
      proxy?.close();
      await opened.cleanup();
    }
  });

  it('is not waited for when PIPELINEJOBS_START_RETRY=0', async () => {
    const { result } = await startWithoutDatabase('0');
    expect(result.code).toBe(1);
    expect(retryLines(result.stdout)).toEqual([]);
  });
});

describe('a database that refuses the Manager', () => {
  it('that does not exist: exit 2 at once, with PostgreSQL message and the setting', async () => {
    const result = await runManager({
      DATABASE_URL: withUrl(pg.adminUrl, (u) => {
        u.pathname = '/pj_no_such_database';
      }),
    });
    expect(result.code).toBe(2);
    expect(retryLines(result.stdout)).toEqual([]);
    expect(result.stderr).toMatch(
      /^error: DATABASE_URL: the database pj_no_such_database does not exist on [\w.]+:\d+: create it, or fix the name in it \(PostgreSQL: database "pj_no_such_database" does not exist\)\n$/,
    );
  });

  it('a role that does not exist: exit 2, naming the user', async () => {
    const result = await runManager({
      DATABASE_URL: withUrl(pg.adminUrl, (u) => {
        u.username = 'pj_nobody';
        u.password = 'x';
      }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: DATABASE_URL: .*pj_nobody.*\(PostgreSQL: .*"pj_nobody".*\)\n$/);
  });

  it('a wrong password: exit 2, saying so (where the server checks passwords)', async (context) => {
    const wrong = withUrl(pg.adminUrl, (u) => {
      u.username = role;
      u.password = 'the-wrong-password';
    });
    const probe = postgres(wrong, { max: 1, onnotice: () => {} });
    const trusted = await probe`select 1`.then(
      () => true,
      () => false,
    );
    await probe.end();
    if (trusted) context.skip(); // a server that trusts local connections never asks for one
    const result = await runManager({ DATABASE_URL: wrong });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: DATABASE_URL: the database refused the password of ${role}: check the user and password in it (PostgreSQL: password authentication failed for user "${role}")\n`,
    );
  });
});

describe('a request the database fails', () => {
  it('gets a generic problem, and the log line has PostgreSQL message', async () => {
    const m = await startManager();
    try {
      const created = await m.request('POST', '/pipelines', {
        body: loadFixture('sd2e/pipelines/tacobot.json'),
      });
      expect(created.status).toBe(201);
      const job = await m.request('POST', '/jobs', {
        body: { pipeline_uuid: created.json.uuid, data: { r: 1 } },
      });
      expect(job.status).toBe(201);
      // Something PostgreSQL reports that nothing explains: a table gone from under the Manager.
      await databaseOf(m.services).sql`drop table job_audit`;
      const failed = await m.request('DELETE', `/jobs/${job.json.uuid}?token=${m.adminToken()}`);
      expect(failed.status).toBe(500);
      expect(failed.json.detail).toBe('Unexpected database error');
      expect(failed.text).not.toContain('job_audit');
      const line = m.logLines
        .map((l) => JSON.parse(l) as { msg: string; requestId?: string })
        .find((l) => l.msg.startsWith('request failed'));
      expect(line?.msg).toBe('request failed: relation "job_audit" does not exist');
      expect(line?.requestId).toBe(failed.json.request_id);
    } finally {
      await m.stop();
    }
  });
});
