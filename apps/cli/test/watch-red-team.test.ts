import type { ChildProcess } from 'node:child_process';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { fixturePath, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CliResult, json, spawnCli, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

function ok(result: CliResult): CliResult {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

/** A TCP proxy to the database that can be cut (every connection dropped, none accepted) and restored. */
function databaseProxy(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve) => {
      const listening = createServer((client) => {
        const upstream = netConnect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server = listening;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as { port: number }).port;
        resolve();
      });
    });
  return {
    start,
    url: () => {
      const url = new URL(target.href);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.href;
    },
    async cut() {
      const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
  };
}

let proxy: ReturnType<typeof databaseProxy> | undefined;
afterAll(() => proxy?.cut());
/** The watch process: a test that failed before its Ctrl-C leaves none behind. */
let watching: ChildProcess | undefined;
afterEach(() => {
  watching?.kill('SIGKILL');
  watching = undefined;
});

describe('pipelinejobs watch, red team', () => {
  it('keeps watching while the database is away and prints what was written meanwhile once it is back; Ctrl-C still exits 130', async () => {
    ok(await cli(['pipelines', 'add', fixturePath('sd2e/pipelines/tacobot.json')]));
    const job = json(ok(await cli(['jobs', 'create', fixturePath('sd2e/jobs/tacobot.json'), '--json'])));
    proxy = databaseProxy(new URL(cli.url()));
    await proxy.start();
    let child: ChildProcess | undefined;
    let stdout = '';
    let exited = false;
    const done = spawnCli(['watch', TACOBOT_JOB, '--json', '--database-url', proxy.url()], {
      started: (c) => {
        child = c;
        watching = c;
        c.stdout?.on('data', (chunk: Buffer | string) => {
          stdout += String(chunk);
        });
      },
    }).finally(() => {
      exited = true;
    });
    const lines = async (n: number, what: string) => {
      const deadline = Date.now() + 20_000;
      while (stdout.split('\n').filter(Boolean).length < n) {
        if (exited) throw new Error(`watch exited while waiting for ${what}: ${JSON.stringify(await done)}`);
        if (Date.now() > deadline) throw new Error(`waited for ${what}, got:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return stdout.split('\n').filter(Boolean);
    };
    await lines(1, 'the create');
    ok(await cli(['send', TACOBOT_JOB, 'run', '--token', String(job.token)]));
    await lines(2, 'the run');
    // The database away (for the watch: the other commands reach it directly).
    await proxy.cut();
    ok(await cli(['send', TACOBOT_JOB, 'update', '--token', String(job.token)]));
    await new Promise((r) => setTimeout(r, 3000));
    if (exited) throw new Error(`watch exited while the database was away: ${JSON.stringify(await done)}`);
    await proxy.start();
    const after = await lines(3, 'the update written while the database was away');
    expect(after.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['1', '2', '3']);
    child?.kill('SIGINT');
    expect((await done).code).toBe(130);
  }, 60_000);
});
