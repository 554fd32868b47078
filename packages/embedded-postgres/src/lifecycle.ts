import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Binaries, binaries } from './binaries.js';
import { clusterExists, ensureDatabase, initialise, urlFor } from './cluster.js';
import { fail } from './errors.js';
import { type Lease, liveLeases, removeLease, writeLease } from './leases.js';
import type { EmbeddedLog } from './log.js';
import { type Paths, pathsFor } from './paths.js';
import { fileExposure, fileSystemFailure, refuseForeignDirectory } from './private-files.js';
import {
  freePort,
  portIsFree,
  readPostmasterPid,
  readyServer,
  recordedPort,
  runningServer,
  startOn,
  stopServer,
} from './server-process.js';
import { withStartLock } from './start-lock.js';
import { type Supervisor, supervise } from './supervisor.js';

/**
 * The shared lifecycle of the embedded server: every process that opens a data directory takes
 * a lease (leases.ts) under the start lock, finding the server running or starting it; it
 * watches the server while it holds the lease (supervisor.ts); and on release, under the same
 * lock, it stops the server only when no other live lease remains.
 *
 * We run initdb/postgres ourselves rather than through the EmbeddedPostgres class, because that
 * class stops the server when the starting process exits; here the server is started detached,
 * its port and pid live in PostgreSQL's own postmaster.pid, and it outlives whoever started it.
 */

export interface EmbeddedServer {
  readonly url: string;
  readonly port: number;
  readonly pgdata: string;
  /** True when this process started the server. */
  readonly started: boolean;
  /** True when this process created the cluster (the data directory held none). */
  readonly created: boolean;
  /**
   * Ends this lease; the server is stopped when no other live process holds one (or with
   * `force`). Resolves true when this stopped the server. Safe to call twice.
   */
  release(options?: ReleaseOptions): Promise<boolean>;
}

export interface EmbeddedOptions {
  /** Called with one line per notable step (start, reuse, restart, stop). */
  readonly log?: EmbeddedLog;
  /** How long to wait for the server and for the start lock (ms). */
  readonly timeoutMs?: number;
  /** Start on this port instead of the one used last (or a free one). */
  readonly port?: number;
  /** How often a leaseholder checks that its server still runs (ms). Default 1000. */
  readonly watchIntervalMs?: number;
}

export interface ReleaseOptions {
  readonly log?: EmbeddedLog;
  readonly timeoutMs?: number;
  /**
   * Stop the server even while other processes hold leases (tests of database outages); their
   * watchers start it again within seconds.
   */
  readonly force?: boolean;
}

/** This process's leases and watcher, per data directory. */
interface Held {
  leases: Set<Lease>;
  supervisor: Supervisor;
}
const held = new Map<string, Held>();

let exitHookInstalled = false;
/** A process that exits without closing leaves no lease behind (a killed one leaves a stale one). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const { leases } of held.values()) {
      for (const lease of leases) {
        try {
          unlinkSync(lease.file);
        } catch {
          // gone already
        }
      }
    }
  });
}

/**
 * The port for a new server: the one asked for; else the one used last, so clients that still
 * hold its URL reconnect (a process holding a lease needs exactly that one); else a free one.
 */
async function portToStart(paths: Paths, wanted: number | undefined): Promise<number> {
  if (wanted !== undefined) return wanted;
  const last = recordedPort(paths) ?? readPostmasterPid(paths.pgdata)?.port;
  if (last === undefined || !Number.isInteger(last) || last <= 0) return freePort();
  if (liveLeases(paths).length > 0 || (await portIsFree(last))) return last;
  return freePort();
}

/**
 * Starts the server, trying a few times: after a server was killed with -9 its orphaned
 * backends may hold the old shared memory for a moment, and PostgreSQL refuses to start until
 * they are gone.
 */
async function startWithRetries(paths: Paths, bins: Binaries, port: number, timeoutMs: number) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await startOn(paths, bins, port, timeoutMs);
      return;
    } catch (error) {
      if (attempt === 5) throw error;
      await sleep(500 * attempt);
    }
  }
}

/**
 * Finds or starts the embedded server for a data directory and takes a lease on it for this
 * process, watched until released. Safe to call from several processes at once: the first
 * starts the server, the others connect to it.
 */
export async function acquireEmbeddedServer(
  dataDir: string,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  const paths = pathsFor(dataDir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  try {
    return await acquire(paths, timeoutMs, log, options);
  } catch (error) {
    throw fileSystemFailure(error, paths.root);
  }
}

async function acquire(
  paths: Paths,
  timeoutMs: number,
  log: EmbeddedLog,
  options: EmbeddedOptions,
): Promise<EmbeddedServer> {
  mkdirSync(paths.root, { recursive: true });
  refuseForeignDirectory(paths.root);
  // Traversable by the postgres user when run as root; never writable by others.
  chmodSync(paths.root, 0o755);
  const exposed = fileExposure(paths.password);
  if (exposed) fail(`embedded PostgreSQL: ${paths.password} (the superuser's password) ${exposed}`);
  const bins = binaries();
  const acquired = await withStartLock(paths.lock, timeoutMs, async () => {
    let port: number;
    let started = false;
    let created = false;
    const running = await readyServer(paths, timeoutMs);
    if (running) {
      port = running.port;
      log(`embedded PostgreSQL: reusing the server on port ${port} (pid ${running.pid})`);
    } else {
      if (!clusterExists(paths)) {
        log(`embedded PostgreSQL: creating a new cluster in ${paths.pgdata}`);
        initialise(paths, bins);
        created = true;
      }
      port = await portToStart(paths, options.port);
      await startWithRetries(paths, bins, port, timeoutMs);
      await ensureDatabase(paths, port);
      started = true;
      log(`embedded PostgreSQL: started on port ${port} with data in ${paths.pgdata}`);
    }
    return { port, started, created, lease: writeLease(paths) };
  });
  const { port, lease } = acquired;
  installExitHook();
  let entry = held.get(paths.root);
  if (!entry) {
    const leases = new Set<Lease>();
    const supervisor = supervise({
      paths,
      port,
      binaries: bins,
      leases: () => leases,
      log,
      intervalMs: options.watchIntervalMs ?? 1000,
      timeoutMs,
    });
    entry = { leases, supervisor };
    held.set(paths.root, entry);
  }
  entry.leases.add(lease);
  let released: Promise<boolean> | undefined;
  return {
    url: urlFor(paths, port),
    port,
    pgdata: paths.pgdata,
    started: acquired.started,
    created: acquired.created,
    release(releaseOptions = {}) {
      released ??= releaseLeases(paths, [lease], { log, timeoutMs, ...releaseOptions });
      return released;
    },
  };
}

async function releaseLeases(
  paths: Paths,
  leases: readonly Lease[],
  options: ReleaseOptions,
): Promise<boolean> {
  const entry = held.get(paths.root);
  if (entry) {
    for (const lease of leases) entry.leases.delete(lease);
    if (entry.leases.size === 0) {
      held.delete(paths.root);
      await entry.supervisor.stop();
    }
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  return withStartLock(paths.lock, timeoutMs, async () => {
    for (const lease of leases) removeLease(lease);
    const others = liveLeases(paths);
    const running = runningServer(paths);
    if (!running) return false;
    if (others.length > 0 && !options.force) {
      options.log?.(`embedded PostgreSQL: left running for ${others.length} other lease(s)`);
      return false;
    }
    await stopServer(running, timeoutMs);
    options.log?.(`embedded PostgreSQL: stopped (pid ${running.pid})`);
    return true;
  });
}

/**
 * Ends every lease this process holds on the data directory and stops the server when no other
 * live process holds one (or with `force`, regardless). Resolves true when it stopped the server.
 */
export async function releaseEmbeddedServer(dataDir: string, options: ReleaseOptions = {}): Promise<boolean> {
  const paths = pathsFor(dataDir);
  return releaseLeases(paths, [...(held.get(paths.root)?.leases ?? [])], options);
}
