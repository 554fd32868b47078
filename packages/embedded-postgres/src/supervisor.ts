import type { Binaries } from './binaries.js';
import { clusterExists } from './cluster.js';
import { fail, messageOf } from './errors.js';
import { type Lease, renewLease } from './leases.js';
import type { EmbeddedLog } from './log.js';
import type { Paths } from './paths.js';
import { readyServer, runningServer, startOn } from './server-process.js';
import { withStartLock } from './start-lock.js';

/**
 * A process holding a lease watches its server: when the postmaster is gone (killed, crashed,
 * stopped by a full disk), it starts it again under the start lock, on the same port, so the
 * clients' URL keeps working and the pool reconnects by itself. Of several processes watching
 * one server, the first to take the lock restarts it and the others find it running.
 *
 * A start that fails is tried again with a growing pause (to 10 s), one log line per attempt,
 * for as long as the process holds its lease; nothing is thrown, the process keeps running.
 */

export interface Supervisor {
  /** Stops watching; waits for a restart in progress. */
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  paths: Paths;
  /** The port this process's clients use. */
  port: number;
  binaries: Binaries;
  /** This process's leases on the data directory (written again should they go missing). */
  leases: () => Iterable<Lease>;
  log: EmbeddedLog;
  intervalMs: number;
  timeoutMs: number;
}

const MAX_PAUSE_MS = 10_000;

export function supervise(options: SuperviseOptions): Supervisor {
  const { paths, port, log } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let failures = 0;
  let goneSince = 0;

  const restart = () =>
    withStartLock(paths.lock, options.timeoutMs, async () => {
      const ready = await readyServer(paths, options.timeoutMs);
      if (ready) return ready.port === port ? 'found running' : `found running on port ${ready.port}`;
      if (!clusterExists(paths)) fail(`the cluster in ${paths.pgdata} is gone; restore it`);
      await startOn(paths, options.binaries, port, options.timeoutMs);
      return 'restarted';
    });

  const check = async (): Promise<number> => {
    for (const lease of options.leases()) {
      try {
        renewLease(lease, paths);
      } catch {
        // a full disk, say: the lease file is written again on a later check
      }
    }
    if (runningServer(paths)) return options.intervalMs;
    if (failures === 0) {
      goneSince = Date.now();
      log(`embedded PostgreSQL: the server is gone; starting it again on port ${port}`, 'warn');
    }
    try {
      const outcome = await restart();
      const seconds = ((Date.now() - goneSince) / 1000).toFixed(1);
      if (outcome.startsWith('found running on port')) {
        log(
          `embedded PostgreSQL: ${outcome}, not ${port} as this process uses: restart this process`,
          'error',
        );
      } else {
        log(`embedded PostgreSQL: ${outcome} on port ${port} after ${seconds} s`);
      }
      failures = 0;
      return options.intervalMs;
    } catch (error) {
      failures += 1;
      const pause = Math.min(500 * 2 ** (failures - 1), MAX_PAUSE_MS);
      log(
        `embedded PostgreSQL: start attempt ${failures} failed: ${messageOf(error)}; trying again in ${(pause / 1000).toFixed(1)} s`,
        'error',
      );
      return pause;
    }
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = check().then(schedule, () => schedule(options.intervalMs));
    }, ms);
    timer.unref(); // a CLI command exits as soon as its work is done
  };
  schedule(options.intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
