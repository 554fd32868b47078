import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from 'postgres';
import {
  clientConnections as clientConnectionsOf,
  connect,
  leases,
  postmaster,
  serverRuns,
} from '../../embedded-server.js';
import { rememberSecrets, runDir } from './run-dir.js';

/**
 * The embedded default as users run it: no DATABASE_URL, one data directory shared by Managers
 * and CLI commands, its server started by whichever comes first. The test looks at that server
 * from outside (PostgreSQL's postmaster.pid, the leases, pg_stat_activity) without holding it.
 */
export interface EmbeddedDefault {
  readonly dataDir: string;
  /** PIPELINEJOBS_DATA_DIR for the processes. */
  readonly env: Record<string, string>;
  /** The postmaster's pid and port, while one runs. */
  server(): { pid: number; port: number } | undefined;
  serverRuns(): boolean;
  leases(): string[];
  /** A connection of the test's own; closed by the caller (it counts as a client while open). */
  connect(database?: string): Sql;
  /** Client connections open on the server (other than the one asking). */
  clientConnections(): Promise<number>;
  /** Waits until no pool has a connection open (at most `timeoutMs`), and a moment for ours to go. */
  untilIdle(timeoutMs?: number): Promise<void>;
  /** The generated secret and database password, remembered for the leak check once they exist. */
  rememberSecrets(): void;
}

export function embeddedDefault(name: string): EmbeddedDefault {
  const dir = mkdtempSync(join(runDir(), `${name}-`));
  chmodSync(dir, 0o755); // the postgres user must reach the data when the tests run as root
  const dataDir = join(dir, 'data'); // global-setup.ts stops a server left in <dir>/data/pg
  const clientConnections = () => clientConnectionsOf(dataDir);
  return {
    dataDir,
    env: { PIPELINEJOBS_DATA_DIR: dataDir },
    server: () => postmaster(dataDir),
    serverRuns: () => serverRuns(dataDir),
    leases: () => leases(dataDir),
    connect: (database) => connect(dataDir, database),
    clientConnections,
    async untilIdle(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await clientConnections()) > 0) {
        if (Date.now() > deadline) throw new Error(`connections stayed open for ${timeoutMs} ms`);
        await sleep(250);
      }
      await sleep(500); // our own backend ends just after we disconnect
    },
    rememberSecrets() {
      for (const file of ['secret', 'pg.password']) {
        const path = join(dataDir, file);
        if (existsSync(path)) rememberSecrets(readFileSync(path, 'utf8').trim());
      }
    },
  };
}
