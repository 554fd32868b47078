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
    // The database "comes up" once the Manager said it could not reach it (a fixed delay raced
    // the Manager's own start on a loaded machine): a forwarder to the real one.
    const comeUp = () => {
      proxy = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      }).listen(port, '127.0.0.1');
    };
    try {
      const result = await runManager(
        {
          DATABASE_URL: withUrl(opened.url, (u) => {
            u.hostname = '127.0.0.1';
            u.port = String(port);
          }),
        },
        (output) => {
          if (!proxy && output.includes('database not reachable')) comeUp();
          return output.includes('listening on');
        },
      );
      expect(result.stderr).toMatch(/PipelineJobs Manager listening on/);
      expect(result.code).toBe(0);
      expect(retryLines(result.stdout).length).toBeGreaterThanOrEqual(1);
    } finally {
      proxy?.close();
      await opened.cleanup();
    }
  });

  it('behind something that closes every connection (a proxy with nothing behind it) is not waited for forever', async () => {
    // The driver reconnects at once, for ever, when a connection closes during its start-up:
    // the Manager hung there without a line, opening hundreds of connections a second.
    let connections = 0;
    const closing: Server = createServer((socket) => {
      connections += 1;
      socket.on('data', () => socket.end());
    });
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    try {
      const address = closing.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const result = await runManager({
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/pipelinejobs`,
        PIPELINEJOBS_START_RETRY: '0',
      });
      expect(result.code, result.stderr).toBe(1);
      expect(result.ms).toBeLessThan(20_000);
      expect(result.stderr).toMatch(
        /^error: DATABASE_URL: 127\.0\.0\.1:\d+ closed the connection: check that it is PostgreSQL/,
      );
      const after = connections;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(connections, 'nothing reconnects once it has given up').toBe(after);
    } finally {
      closing.close();
    }
  });

  it('that does not speak TLS, asked for it (sslmode=require), says to check sslmode', async (context) => {
    const tls = withUrl(pg.adminUrl, (u) => u.searchParams.set('sslmode', 'require'));
    const probe = postgres(tls, { max: 1, onnotice: () => {} });
    const speaksTls = await probe`select 1`.then(
      () => true,
      () => false,
    );
    await probe.end();
    if (speaksTls) context.skip();
    const result = await runManager({ DATABASE_URL: tls, PIPELINEJOBS_START_RETRY: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: DATABASE_URL: .*TLS.*check sslmode in it/);
  });

  it('with no connection free (53300, as under max_connections) is waited for too', async () => {
    // A role allowed no connection gets the same refusal as a server at max_connections.
    const crowded = `${role}_crowded`;
    await admin.unsafe(`create role ${crowded} login password 'pw' connection limit 0`);
    try {
      const result = await runManager({
        DATABASE_URL: withUrl(pg.adminUrl, (u) => {
          u.username = crowded;
          u.password = 'pw';
        }),
        PIPELINEJOBS_START_RETRY: '2',
      });
      expect(result.code).toBe(1);
      expect(retryLines(result.stdout).length, result.stdout).toBeGreaterThanOrEqual(1);
      expect(result.stderr).toMatch(/^error: DATABASE_URL: .*no connection free.*too many connections/);
    } finally {
      await admin.unsafe(`drop role ${crowded}`);
    }
  });

  it('is not waited for when PIPELINEJOBS_START_RETRY=0', async () => {
    const { result } = await startWithoutDatabase('0');
    expect(result.code).toBe(1);
    expect(retryLines(result.stdout)).toEqual([]);
  });
});

describe('a DATABASE_URL the driver cannot read', () => {
  // A password with a character a URL reserves, not percent-encoded: the commonest slip.
  it.each([
    ['a bare %', 'postgres://pj:50%off@127.0.0.1:5432/pj'],
    ['a bare #', 'postgres://pj:pa#ss@127.0.0.1:5432/pj'],
    ['a port that is not a number', 'postgres://pj:secret-pw@127.0.0.1:pg/pj'],
  ])('(%s) is a setting to fix: exit 2 naming it, without the password', async (_, url) => {
    const result = await runManager({ DATABASE_URL: url });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: DATABASE_URL: .*percent-encode.*\n$/);
    for (const secret of ['50%off', 'pa#ss', 'secret-pw']) expect(result.stderr).not.toContain(secret);
  });
});

describe('a DATABASE_URL that sets what the Manager sets', () => {
  // The driver lets the URL's parameters override the Manager's own: with ?search_path= the
  // Manager said it served schema sa while it read and wrote the tables of another.
  // PostgreSQL reads setting names in any case, and ?options=-c... sets them too.
  it.each([
    ['search_path', 'other', 'search_path', 'PIPELINEJOBS_DB_SCHEMA'],
    ['SEARCH_PATH', 'other', 'SEARCH_PATH', 'PIPELINEJOBS_DB_SCHEMA'],
    ['options', '-csearch_path=other', 'search_path', 'PIPELINEJOBS_DB_SCHEMA'],
    ['application_name', 'other', 'application_name', 'names its connections'],
    ['Application_Name', 'other', 'Application_Name', 'names its connections'],
  ])('(?%s=%s) is refused: exit 2 saying what to do instead', async (parameter, value, named, instead) => {
    const result = await runManager({
      DATABASE_URL: withUrl(pg.adminUrl, (u) => u.searchParams.set(parameter, value)),
      PIPELINEJOBS_DB_SCHEMA: 'sa',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^error: DATABASE_URL: .*${named}.*${instead}.*\\n$`));
  });
});

describe('a database a newer version migrated', () => {
  it('is served by check and auto with a warning saying so (off never looks)', async () => {
    const opened = await openTestDatabase();
    try {
      await opened.db.sql`insert into drizzle.__drizzle_migrations (hash, created_at)
        values ('a migration of a later version', 4102444800000)`;
      const warning =
        'the database schema is ahead of this version (1 migration it does not know, applied by a later version)';
      for (const mode of ['check', 'auto', 'off']) {
        const result = await runManager({ DATABASE_URL: opened.url, PIPELINEJOBS_MIGRATE: mode }, (output) =>
          output.includes('listening on'),
        );
        expect(result.code, result.stderr).toBe(0);
        const warned = result.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { level: number; msg: string })
          .filter((line) => line.msg.startsWith(warning));
        expect(
          warned.map((line) => line.level),
          mode,
        ).toEqual(mode === 'off' ? [] : [40]);
      }
    } finally {
      await opened.cleanup();
    }
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
