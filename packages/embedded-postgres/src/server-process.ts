import { type ChildProcess, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// The patched postgres.js (see package.json "imports": packed, a copy travels with the package).
import postgres from '#postgres';
import type { Binaries } from './binaries.js';
import { urlFor } from './cluster.js';
import { fail } from './errors.js';
import type { Paths } from './paths.js';
import { isRunning, startedWith } from './processes.js';

/**
 * The server process: started detached (it outlives the process that started it), found again
 * through PostgreSQL's own postmaster.pid, and stopped with a fast shutdown.
 */

export interface RunningServer {
  pid: number;
  port: number;
  status: string;
}

/** PostgreSQL's own lock file: line 1 pid, line 4 port, line 8 status. */
export function readPostmasterPid(pgdata: string): RunningServer | undefined {
  try {
    const lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
}

/**
 * The server of this data directory when its postmaster runs (a pid left in postmaster.pid by
 * a killed server and since reused by another process does not count: the postmaster's command
 * line names this data directory).
 */
export function runningServer(paths: Paths): RunningServer | undefined {
  const found = readPostmasterPid(paths.pgdata);
  return found && isRunning(found.pid) && startedWith(found.pid, paths.pgdata) ? found : undefined;
}

async function canConnect(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Whether `port` (0: any) can be listened on at 127.0.0.1; resolves with the port or undefined. */
function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolvePort(bound));
    });
  });
}

export const portIsFree = async (port: number) => (await tryListen(port)) !== undefined;

export async function freePort(): Promise<number> {
  return (await tryListen(0)) ?? fail('No free TCP port on 127.0.0.1 for the embedded PostgreSQL');
}

/** The port the server last listened on (kept so that a restart keeps the clients' URL). */
export function recordedPort(paths: Paths): number | undefined {
  try {
    const port = Number(readFileSync(paths.port, 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
  } catch {
    return undefined;
  }
}

function recordPort(paths: Paths, port: number): void {
  writeFileSync(paths.port, `${port}\n`, { mode: 0o644 });
}

function spawnServer(paths: Paths, { bin, runAs }: Binaries, port: number): ChildProcess {
  const logFd = openSync(paths.log, 'a', 0o644);
  if (runAs) chownSync(paths.log, runAs.uid, runAs.gid);
  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      paths.pgdata,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    { detached: true, stdio: ['ignore', logFd, logFd], ...(runAs ?? {}) },
  );
  closeSync(logFd);
  child.on('error', () => {}); // a failed spawn shows as an exit; waitReady reports it
  child.unref();
  return child;
}

/**
 * Waits until the server on `port` accepts connections. `child` is the server this process
 * spawned (its early exit ends the wait); without it, the server another process is starting.
 */
async function waitReady(
  paths: Paths,
  port: number,
  timeoutMs: number,
  child?: ChildProcess,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) return false;
    const pid = readPostmasterPid(paths.pgdata);
    if (pid?.port === port && pid.status === 'ready' && (await canConnect(urlFor(paths, port, 'postgres')))) {
      return true;
    }
    if (!child && pid && !isRunning(pid.pid)) return false;
    await sleep(50);
  }
  return false;
}

const logSize = (paths: Paths) => {
  try {
    return statSync(paths.log).size;
  } catch {
    return 0;
  }
};

/**
 * What PostgreSQL said since `from` (a size of its log), for error messages: the newest FATAL or
 * PANIC line (the lines after it are the generic shutdown), else the last line. ERROR lines are
 * left out: they are about clients' statements, whose values do not belong in our logs.
 */
function logTail(paths: Paths, from = 0): string {
  let text: string;
  try {
    const fd = openSync(paths.log, 'r');
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(from, size - 16_384);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
  const lines = text.trim().split('\n');
  const failure = lines.findLast((line) => /\b(FATAL|PANIC):/.test(line));
  return (failure ?? lines.at(-1) ?? '').trim();
}

/**
 * A postmaster.pid whose pid now belongs to another process (its server was killed, the pid
 * reused) makes PostgreSQL refuse to start ("lock file already exists"). Removed only when /proc
 * shows for certain that the process is not this directory's server; PostgreSQL's own shared
 * memory check still refuses a start while backends of the old server remain.
 */
function removeStalePostmasterPid(paths: Paths): void {
  const found = readPostmasterPid(paths.pgdata);
  if (found && isRunning(found.pid) && !startedWith(found.pid, paths.pgdata)) {
    rmSync(join(paths.pgdata, 'postmaster.pid'), { force: true });
  }
}

/** One start on `port`: resolves when the server is ready, or fails with the end of its log. */
export async function startOn(paths: Paths, binaries: Binaries, port: number, timeoutMs: number) {
  removeStalePostmasterPid(paths);
  const from = logSize(paths);
  const child = spawnServer(paths, binaries, port);
  if (await waitReady(paths, port, timeoutMs, child)) {
    recordPort(paths, port);
    return;
  }
  if (child.exitCode === null) child.kill('SIGKILL');
  fail(`The embedded PostgreSQL did not start on port ${port} (see ${paths.log}): ${logTail(paths, from)}`);
}

/**
 * A server of this data directory that runs or is starting, once it accepts connections; undefined
 * when none runs. One that runs but never becomes ready fails.
 */
export async function readyServer(paths: Paths, timeoutMs: number): Promise<RunningServer | undefined> {
  const running = runningServer(paths);
  if (!running || !existsSync(paths.password)) return undefined;
  // Starting up (or recovering): wait for it rather than start a second server on the same data.
  if (await waitReady(paths, running.port, timeoutMs)) return running;
  if (isRunning(running.pid)) {
    fail(
      `The embedded PostgreSQL (pid ${running.pid}) is not accepting connections (see ${paths.log}): ${logTail(paths)}`,
    );
  }
  return undefined; // it died meanwhile
}

/** Fast shutdown (rolls back open transactions, checkpoints); waits until the postmaster is gone. */
export async function stopServer(server: RunningServer, timeoutMs: number): Promise<void> {
  try {
    process.kill(server.pid, 'SIGINT');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (isRunning(server.pid) && Date.now() < deadline) await sleep(50);
}
