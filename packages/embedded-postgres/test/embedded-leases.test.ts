import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  clientConnections,
  connect,
  leases,
  postmaster,
  running,
  serverRuns,
} from '../../../test/embedded-server.js';
import { childOutput } from './child-output.js';

/**
 * Who may stop the shared embedded server, and who starts it again: real processes
 * (embedded-child.mjs) holding the same data directory, idle pools, kill -9 of a holder and of
 * the server itself.
 */
const child = new URL('./embedded-child.mjs', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'pipelinejobs-leases-'));
chmodSync(root, 0o755); // the postgres user must traverse it when the tests run as root
let dirs = 0;
const newDataDir = () => join(root, `d${++dirs}`);
const started: ChildProcess[] = [];

afterEach(() => {
  for (const proc of started.splice(0))
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});

/** tmpfs folders mounted for the full-disk test (root only), unmounted at the end. */
const mounts: string[] = [];

afterAll(async () => {
  for (let i = 1; i <= dirs; i++) {
    await releaseEmbeddedServer(join(root, `d${i}`), { force: true }).catch(() => false);
  }
  for (const mount of mounts) {
    await releaseEmbeddedServer(join(mount, 'data'), { force: true }).catch(() => false);
    execFileSync('umount', [mount]);
  }
  rmSync(root, { recursive: true, force: true });
});

/** A small tmpfs at `dir`, to fill up; false where this process may not mount (not root, a container). */
function mountTmpfs(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m,mode=0755', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  mounts.push(dir);
  return true;
}

interface Holder {
  proc: ChildProcess;
  port: number;
  /** Sends one command line and resolves with the answer line. */
  ask(command: 'query' | 'close'): Promise<string>;
  stderr(): string;
  exited: Promise<number | null>;
}

/** A process holding the embedded database open (`hold` mode), its pool idle after `idleSeconds`. */
async function hold(dataDir: string, idleSeconds = 60): Promise<Holder> {
  const proc = spawn(process.execPath, [child, dataDir, 'hold', String(idleSeconds)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(proc);
  let out = '';
  let err = '';
  const waiting: ((line: string) => void)[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (let at = out.indexOf('\n'); at >= 0; at = out.indexOf('\n')) {
      const line = out.slice(0, at);
      out = out.slice(at + 1);
      waiting.shift()?.(line);
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const next = () =>
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      void exited.then((code) => reject(new Error(`holder exited (${code}): ${err}`)));
    });
  const ready = await next();
  expect(ready).toBe('ready');
  return {
    proc,
    port: postmaster(dataDir)?.port ?? 0,
    ask(command) {
      const answer = next();
      proc.stdin?.write(`${command}\n`);
      return answer;
    },
    stderr: () => err,
    exited,
  };
}

/** A process that opens the database, reads it and closes it (`count` mode); resolves when it exits. */
function openAndClose(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [child, dataDir, 'count'], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  const written = childOutput(proc);
  return new Promise((resolve) =>
    proc.once('close', (code) => resolve({ code, stdout: written.stdout(), stderr: written.stderr() })),
  );
}

/** Waits until every pool on the server is idle (no connection open), then a moment for ours to go. */
async function untilIdle(dataDir: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await clientConnections(dataDir)) > 0) {
    if (Date.now() > deadline) throw new Error('the pools did not go idle');
    await sleep(200);
  }
  await sleep(300);
}

/** `promise`, or `fallback` once `ms` have passed (a statement or an answer that never comes). */
function within<T>(ms: number, promise: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Polls `condition` until it holds; an answer that hangs counts as "not yet", not as a hang. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await within(Math.max(deadline - Date.now(), 1), Promise.resolve(condition()), false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

describe('leases on the embedded server', () => {
  it('a process whose pool has gone idle keeps the server running while another opens and closes it', async () => {
    const dataDir = newDataDir();
    const idle = await hold(dataDir, 1);
    await untilIdle(dataDir);
    expect(await clientConnections(dataDir)).toBe(0); // the holder has no connection open
    const other = await openAndClose(dataDir);
    expect(other.code, other.stderr).toBe(0);
    expect(serverRuns(dataDir), 'the server still runs').toBe(true);
    expect(await idle.ask('query')).toMatch(/^ok \d+$/);
    expect(await idle.ask('close')).toBe('closed');
    expect(serverRuns(dataDir), 'the last holder stops it').toBe(false);
    expect(leases(dataDir)).toEqual([]);
  });

  it('of two idle processes holding the server, the one that closes leaves it running for the other', async () => {
    const dataDir = newDataDir();
    const one = await hold(dataDir, 1);
    const two = await hold(dataDir, 1);
    expect(two.port).toBe(one.port);
    await untilIdle(dataDir);
    expect(await two.ask('close')).toBe('closed');
    expect(await two.exited).toBe(0);
    expect(serverRuns(dataDir), 'the server still runs').toBe(true);
    expect(await one.ask('query')).toMatch(/^ok \d+$/);
    expect(leases(dataDir), 'the one left holds its lease').toHaveLength(1);
  });

  it('a holder killed with -9 leaves a stale lease: the last live process to close stops the server', async () => {
    const dataDir = newDataDir();
    const killed = await hold(dataDir);
    expect(leases(dataDir).map((name) => name.split('-')[0])).toEqual([String(killed.proc.pid)]);
    killed.proc.kill('SIGKILL');
    await killed.exited;
    const other = await openAndClose(dataDir);
    expect(other.code, other.stderr).toBe(0);
    expect(serverRuns(dataDir), 'nobody holds it any more: stopped').toBe(false);
    expect(leases(dataDir), 'the stale lease was removed').toEqual([]);
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'a lease whose pid now belongs to another process (pid reuse) is stale; one of the same process is not',
    async () => {
      const dataDir = newDataDir();
      expect((await openAndClose(dataDir)).code).toBe(0); // creates the cluster
      const stranger = spawn('sleep', ['60']);
      started.push(stranger);
      const pid = stranger.pid as number;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      // A lease written by an earlier process that had the same pid: another start time.
      const holder = await hold(dataDir);
      writeFileSync(join(dataDir, 'leases', `${pid}-${Number(start) - 1}-0badc0de`), '{}\n');
      expect(await holder.ask('close')).toBe('closed');
      expect(serverRuns(dataDir), 'the reused pid does not keep the server').toBe(false);
      expect(leases(dataDir)).toEqual([]);
      // The same pid with its own start time is a live holder.
      const again = await hold(dataDir);
      writeFileSync(join(dataDir, 'leases', `${pid}-${start}-0badc0de`), '{}\n');
      expect(await again.ask('close')).toBe('closed');
      expect(serverRuns(dataDir), 'a live lease keeps the server').toBe(true);
      expect(leases(dataDir)).toEqual([`${pid}-${start}-0badc0de`]);
      stranger.kill('SIGKILL');
      await new Promise((resolve) => stranger.once('exit', resolve));
      expect(await releaseEmbeddedServer(dataDir), 'its holder gone, the server is stopped').toBe(true);
    },
  );
});

describe('a server that dies under its holders', () => {
  it('killed with -9, it is started again on the same port by one holder, and both serve again', async () => {
    const dataDir = newDataDir();
    const one = await hold(dataDir);
    const two = await hold(dataDir);
    const before = postmaster(dataDir);
    expect(before?.port).toBe(one.port);
    process.kill(before?.pid as number, 'SIGKILL');
    const killedAt = Date.now();
    // Its backends may answer a query already under way for a moment: wait for the new server.
    await until('a new server runs', () => {
      const now = postmaster(dataDir);
      return now !== undefined && now.pid !== before?.pid && running(now.pid);
    });
    await until('both holders serve again', async () => {
      const answers = await Promise.all([one.ask('query'), two.ask('query')]);
      return answers.every((answer) => answer.startsWith('ok'));
    });
    const recoveryMs = Date.now() - killedAt;
    const after = postmaster(dataDir);
    expect(after?.pid).not.toBe(before?.pid);
    expect(after?.port, 'the same port: the clients keep their URL').toBe(before?.port);
    const restarts = () => (one.stderr() + two.stderr()).match(/restarted on port/g) ?? [];
    await until('the restart is logged', () => restarts().length > 0, 5000);
    await sleep(1500); // time enough for the other holder's watcher to look as well
    expect(restarts(), `only one holder starts it:\n${one.stderr()}\n${two.stderr()}`).toHaveLength(1);
    expect(recoveryMs, 'within a few seconds').toBeLessThan(10_000);
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'a killed server whose pid now belongs to another process is started again, not waited for',
    async () => {
      const dataDir = newDataDir();
      expect((await openAndClose(dataDir)).code).toBe(0); // creates the cluster
      const holder = await hold(dataDir);
      const server = postmaster(dataDir) as { pid: number; port: number };
      const pidFile = join(dataDir, 'pg', 'postmaster.pid');
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      holder.proc.kill('SIGKILL');
      process.kill(server.pid, 'SIGKILL');
      await until('the server is gone', () => !running(server.pid));
      // The pid is taken by an unrelated process, as after a reboot or in a fresh container.
      const stranger = spawn('sleep', ['60']);
      started.push(stranger);
      writeFileSync(pidFile, [String(stranger.pid), ...lines.slice(1)].join('\n'));
      const other = await openAndClose(dataDir);
      expect(other.code, other.stderr).toBe(0);
      expect(running(stranger.pid), 'the stranger was left alone').toBe(true);
    },
  );

  it('a start that fails is tried again, one line per attempt, until it works; the holder keeps running', async () => {
    const dataDir = newDataDir();
    const holder = await hold(dataDir);
    const conf = join(dataDir, 'pg', 'postgresql.conf');
    renameSync(conf, `${conf}.away`); // PostgreSQL cannot start without it
    process.kill(postmaster(dataDir)?.pid as number, 'SIGKILL');
    await until(
      'two start attempts have failed',
      () => (holder.stderr().match(/start attempt \d+ failed/g) ?? []).length >= 2,
    );
    expect(await within(30_000, holder.ask('query'), 'no answer in 30 s')).toMatch(/^error /);
    renameSync(`${conf}.away`, conf);
    await until('the holder serves again', async () => (await holder.ask('query')).startsWith('ok'), 30_000);
    expect(holder.proc.exitCode).toBeNull();
    expect(holder.stderr()).toMatch(/start attempt 1 failed: .*configuration file/);
  });

  it('stopped by a full disk, it is started again once there is room, on the same port', async (context) => {
    const mount = join(root, 'full');
    if (!mountTmpfs(mount)) context.skip('needs root and a tmpfs mount');
    const dataDir = join(mount, 'data');
    const holder = await hold(dataDir);
    const before = postmaster(dataDir) as { pid: number; port: number };
    const filler = join(mount, 'filler');
    const chunk = Buffer.alloc(1 << 20);
    try {
      for (;;) writeFileSync(filler, chunk, { flag: 'a' });
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    // PostgreSQL stops when it cannot write its WAL: make it need a new segment.
    const sql = connect(dataDir, 'pipelinejobs');
    // A statement the stopping server never answers is given up after 10 s, as is the close.
    for (let i = 0; i < 10 && running(before.pid); i++) {
      const statements = `select pg_switch_wal(); create table fill${i} as select generate_series(1, 200000) g; checkpoint`;
      await within(
        10_000,
        sql.unsafe(statements).then(
          () => undefined,
          () => undefined,
        ),
        undefined,
      );
    }
    await within(
      5_000,
      sql.end({ timeout: 1 }).catch(() => {}),
      undefined,
    );
    await until('the full disk has stopped the server', () => !running(before.pid));
    await until('a start attempt has failed for want of space', () =>
      /start attempt \d+ failed: .*No space left on device/.test(holder.stderr()),
    );
    expect(await within(30_000, holder.ask('query'), 'no answer in 30 s')).toMatch(/^error /);
    rmSync(filler);
    const freedAt = Date.now();
    await until('the holder serves again', async () => (await holder.ask('query')).startsWith('ok'));
    expect(Date.now() - freedAt, 'within the longest pause between attempts, and a start').toBeLessThan(
      15_000,
    );
    expect(postmaster(dataDir)?.port).toBe(before.port);
    expect(holder.proc.exitCode).toBeNull();
  });
});
