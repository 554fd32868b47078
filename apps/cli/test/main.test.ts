import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fixturePath, loadFixture, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { openDatabase } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { json, spawnCli, useTestDatabaseCli } from './run-cli.js';

// The other CLI tests call `run` in-process; these run the built binary, for what only main.ts
// does: argv, the real streams, stdin, the process exit code and SIGINT.
const cli = useTestDatabaseCli();
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * A TCP server that accepts a connection and never answers: a database the CLI is still waiting
 * for. `connected` resolves when the CLI has connected, so it is surely running main's handlers.
 */
async function silentDatabase() {
  const sockets: Socket[] = [];
  let hungUp = false;
  let connected!: () => void;
  const first = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const server = createServer((socket) => {
    if (hungUp) return void socket.destroy();
    sockets.push(socket);
    socket.on('error', () => {});
    connected();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/silent`,
    connected: first,
    /** Drops the connections, and every later one: the database is gone. */
    hangUp() {
      hungUp = true;
      for (const socket of sockets) socket.destroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/**
 * `jobs list` on a silent database: once the CLI has connected, a Ctrl-C, 300 ms, then `next`
 * (which may press Ctrl-C again or hang the database up). Resolves with how the binary ended.
 */
async function ctrlCWhileWaiting(
  next: (child: ChildProcess, database: Awaited<ReturnType<typeof silentDatabase>>) => void,
) {
  const database = await silentDatabase();
  try {
    return await spawnCli(['jobs', 'list', '--database-url', database.url], {
      started: (child) => {
        void database.connected.then(async () => {
          child.kill('SIGINT');
          await delay(300);
          next(child, database);
        });
      },
    });
  } finally {
    database.close();
  }
}

describe('the built pipelinejobs binary', () => {
  it('prints its version', async () => {
    const result = await spawnCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('runs a command on the database with a document on stdin, and exits with its code', async () => {
    const added = await spawnCli(['pipelines', 'add', '-', '--json', '--database-url', cli.url()], {
      input: JSON.stringify(loadFixture('sd2e/pipelines/tacobot.json')),
    });
    expect(added.code, added.stderr).toBe(0);
    expect(json(added)).toMatchObject({ uuid: TACOBOT_PIPELINE, created: true });
    const malformed = await spawnCli(['jobs', 'show', 'not-a-uuid', '--database-url', cli.url()]);
    expect(malformed).toMatchObject({
      code: 3,
      stdout: '',
      stderr: "error: 'not-a-uuid' is not a job UUID (107...)\n",
    });
  });

  it('exits 130 on Ctrl-C, saying nothing, once the command has stopped', async () => {
    let runningAfterCtrlC: boolean | undefined;
    const result = await ctrlCWhileWaiting((child, database) => {
      // The first Ctrl-C lets the command end (and close what it opened); here it ends
      // when the connection it waits on fails.
      runningAfterCtrlC = child.exitCode === null && child.signalCode === null;
      database.hangUp();
    });
    expect(result).toMatchObject({ code: 130, signal: null, stdout: '', stderr: '' });
    expect(runningAfterCtrlC).toBe(true);
  });

  it('exits 130 at once on a second Ctrl-C', async () => {
    let secondAt = 0;
    const result = await ctrlCWhileWaiting((child) => {
      secondAt = Date.now();
      child.kill('SIGINT');
    });
    expect(result).toMatchObject({ code: 130, signal: null, stdout: '' });
    // Not after the driver's 3 s connect timeout: the second Ctrl-C does not wait for it.
    expect(Date.now() - secondAt).toBeLessThan(1500);
  });

  it('cancels a `send` waiting for the job row on Ctrl-C, and says the event was not applied', async () => {
    await cli(['pipelines', 'add', fixturePath('sd2e/pipelines/tacobot.json')]);
    const created = json<{ token: string }>(
      await cli(['jobs', 'create', fixturePath('sd2e/jobs/tacobot.json'), '--json']),
    );
    // Another session holds the job's row lock, so the CLI's write waits for it.
    const db = await openDatabase({ url: cli.url(), poolSize: 2 }, { migrate: false });
    const holder = await db.sql.reserve();
    try {
      await holder`begin`;
      await holder`select 1 from jobs where uuid = ${TACOBOT_JOB} for update`;
      const waiting = async () => {
        for (let i = 0; i < 200; i++) {
          const [row] = await db.sql<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`;
          if ((row?.n ?? 0) > 0) return;
          await delay(50);
        }
        throw new Error('the CLI never waited for the row lock');
      };
      const result = await spawnCli(
        [
          'send',
          TACOBOT_JOB,
          'update',
          '--data',
          '{"ctrlc":1}',
          '--token',
          created.token,
          '--database-url',
          cli.url(),
        ],
        { started: (child) => void waiting().then(() => child.kill('SIGINT')) },
      );
      // The lock is given up only now, after the CLI has exited: a statement it left behind would
      // take the row and commit.
      await holder`commit`;
      for (let i = 0; i < 100; i++) {
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
            and application_name like 'pipelinejobs%'`;
        if ((row?.n ?? 0) === 0) break;
        await delay(50);
      }
      await delay(200);
      const [applied] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from job_events where job_uuid = ${TACOBOT_JOB} and data ? 'ctrlc'`;
      expect({ code: result.code, stdout: result.stdout, applied: applied?.n }).toEqual({
        code: 130,
        stdout: '',
        applied: 0,
      });
      expect(result.stderr).toBe('pipelinejobs: interrupted: the event was not applied\n');
    } finally {
      holder.release();
      await db.close();
    }
  });
});
