import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixture } from '@pipelinejobs/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { baseEnv, MANAGER_MAIN, REPO_ROOT, startManagerProcess } from '../../../test/manager-process.js';
import { alive, descendants, eventually, processesMentioning } from './process-tree.js';

const root = mkdtempSync(join(tmpdir(), 'pj-production-entry-'));
chmodSync(root, 0o755); // the postgres user must traverse it when the tests run as root
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SECRET = 'production-entry-secret-0123456789abcdef';

/** A spawned command (the Manager, or something running it) with its stdout and stderr collected. */
function spawnCollected(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: 'ignore' | 'pipe' = 'ignore',
) {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Sends the head of a request and part of its body, and returns a way to send the rest. */
function startSlowRequest(url: string, key: string, body: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('utf8');
  });
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(answer)));
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST /pipelines HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  return {
    finish() {
      socket.write(body.slice(half));
      return closed;
    },
  };
}

const refused = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const probe = connect(Number(port), hostname);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', () => resolve(true));
  });

describe('the production entry, pipelinejobs-manager', () => {
  it('is the bin of @pipelinejobs/http, a node script', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/http/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ 'pipelinejobs-manager': './dist/main.js' });
    expect(readFileSync(MANAGER_MAIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('on SIGTERM finishes the request in flight, exits 0 and leaves no process behind (embedded default)', async () => {
    const dataDir = join(root, 'embedded');
    const manager = await startManagerProcess({ env: { PIPELINEJOBS_DATA_DIR: dataDir, LOG_LEVEL: 'info' } });
    try {
      // Not a terminal: the first admin key went to a file only this user can read, not to the log.
      const keyFile = join(dataDir, 'first-admin-key');
      expect(existsSync(keyFile)).toBe(true);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const key = readFileSync(keyFile, 'utf8').trim();
      expect(key).toMatch(/^pjm_/);
      expect(manager.output()).not.toContain(key);
      expect(manager.output()).toContain(`wrote it to ${keyFile} (mode 0600)`);

      const below = descendants(manager.pid);
      expect(below.length, 'the embedded PostgreSQL runs below the Manager').toBeGreaterThan(0);
      const slow = startSlowRequest(
        manager.url,
        key,
        JSON.stringify(loadFixture('sd2e/pipelines/tacobot.json')),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      manager.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(manager.running, 'still draining the request in flight').toBe(true);
      expect(await refused(manager.url), 'no new connection once draining').toBe(true);
      const answered = Date.now();
      const answer = await slow.finish();
      expect(answer).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
      expect(answer).toContain('"uuid":"10650844-1baa-55c5-a481-5e945b19c065"');
      expect((await manager.exited).code).toBe(0);
      // Its keep-alive connection was closed once idle, not left to the 10 s drain limit.
      expect(Date.now() - answered).toBeLessThan(5000);
      expect(
        await eventually(() => below.every((pid) => !alive(pid)), 10_000),
        'every process below is gone',
      ).toBe(true);
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      await manager.kill9();
    }
  });

  it('stopped while its embedded PostgreSQL starts, stops it again and exits 0', async () => {
    const dataDir = join(root, 'stopped-while-starting');
    const { child, exited, output } = spawnCollected(process.execPath, [MANAGER_MAIN], {
      PIPELINEJOBS_DATA_DIR: dataDir,
      PORT: '0',
    });
    // The server is being created (initdb, start): a signal now must not leave it running.
    expect(await eventually(() => processesMentioning(dataDir).length > 0, 20_000)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited, output()).toBe(0);
    expect(output()).not.toContain('listening on');
    expect(await eventually(() => processesMentioning(dataDir).length === 0, 10_000), output()).toBe(true);
  });

  it('writes JSON log lines on stdout and its banners on stderr when they are not terminals', async () => {
    const opened = await openTestDatabase();
    try {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const manager = await startManagerProcess({
        env: { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: SECRET, LOG_LEVEL: 'info' },
        onOutput: (chunk, stream) => (stream === 'stdout' ? stdout : stderr).push(chunk),
      });
      await fetch(`${manager.url}/healthz`);
      expect(await manager.stop()).toBe(0);
      const lines = stdout.join('').trim().split('\n');
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(lines.map((line) => JSON.parse(line).msg)).toEqual(
        expect.arrayContaining(['PipelineJobs Manager listening', 'request', 'stopped']),
      );
      // No API key yet on this database: the log says how to make the first one.
      expect(stdout.join('')).toContain('pipelinejobs keys create --role admin');
      expect(stderr.join('')).toBe(`PipelineJobs Manager listening on ${manager.url}\n`);

      const pretty = await startManagerProcess({
        env: { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: SECRET, LOG_FORMAT: 'pretty' },
      });
      expect(await pretty.stop()).toBe(0);
      expect(pretty.output()).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3} INFO {2}PipelineJobs Manager listening port=\d+/m,
      );
      expect(pretty.output()).not.toContain('{"level"');
    } finally {
      await opened.cleanup();
    }
  });

  it('on a terminal writes readable lines, and shows the first admin key there instead of in a file', async () => {
    const dataDir = join(root, 'on-a-terminal');
    // script(1) runs the Manager on a pseudo-terminal: its stdout and stderr are a terminal.
    const { child, exited, output } = spawnCollected(
      'script',
      ['-qfec', `${process.execPath} ${MANAGER_MAIN}`, '/dev/null'],
      { PIPELINEJOBS_DATA_DIR: dataDir, PORT: '0', TERM: 'dumb' },
      'pipe',
    );
    try {
      expect(await eventually(() => output().includes('listening on'), 30_000), output()).toBe(true);
      const key = /^ {2}(pjm_\S+)\r?$/m.exec(output())?.[1];
      expect(key, output()).toBeDefined();
      expect(existsSync(join(dataDir, 'first-admin-key'))).toBe(false);
      expect(output()).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3} .*INFO.* first start: created an admin API key \(shown on the terminal\)/m,
      );
      expect(output()).not.toContain('{"level"');
      // script(1) runs it through a shell: the Manager is the node process below.
      const manager = descendants(child.pid ?? 0).find((pid) =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(`${process.execPath}\0${MANAGER_MAIN}`),
      );
      process.kill(manager ?? 0, 'SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('under `pnpm start`, stops when pnpm is stopped instead of running on as an orphan', async () => {
    const opened = await openTestDatabase();
    try {
      const { child, output } = spawnCollected('pnpm', ['start'], {
        DATABASE_URL: opened.url,
        PIPELINEJOBS_SECRET: SECRET,
        PORT: '0',
        LOG_LEVEL: 'info',
      });
      expect(await eventually(() => output().includes('listening on'), 60_000), output()).toBe(true);
      const below = descendants(child.pid ?? 0);
      expect(below.length).toBeGreaterThan(0);
      // pnpm passes SIGTERM on to nothing: the Manager sees its parent gone and stops itself.
      child.kill('SIGTERM');
      expect(await eventually(() => below.every((pid) => !alive(pid)), 10_000), output()).toBe(true);
      expect(output()).toContain('"msg":"stopped"');
    } finally {
      await opened.cleanup();
    }
  });

  it('as PID 1 of its own PID namespace (as in a container) stops on SIGTERM with exit 0', async () => {
    const opened = await openTestDatabase();
    try {
      const { child, exited, output } = spawnCollected(
        'unshare',
        ['--pid', '--fork', '--kill-child', process.execPath, MANAGER_MAIN],
        { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: SECRET, PORT: '0', LOG_LEVEL: 'warn' },
      );
      expect(await eventually(() => output().includes('listening on'), 20_000), output()).toBe(true);
      const [manager] = descendants(child.pid ?? 0);
      expect(manager).toBeDefined();
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${manager}/status`, 'utf8'))?.[1] ?? '';
      expect(nspid.split(/\s+/).at(-1), 'the Manager is PID 1 in its namespace').toBe('1');
      // PID 1 gets only the signals it handles: without handlers, SIGTERM would be ignored.
      process.kill(manager ?? 0, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(alive(manager ?? 0)).toBe(false);
    } finally {
      await opened.cleanup();
    }
  });
});
