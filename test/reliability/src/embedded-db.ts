import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { adminToken } from '@pipelinejobs/auth';
import { acquireEmbeddedServer, releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { createApiKey, createNonce, type Services, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { openDatabase } from '@pipelinejobs/storage';
import { rememberSecrets, runDir } from './run-dir.js';

/** The tests act as the Manager itself would (an admin principal of kind system). */
const TEST_ADMIN = systemPrincipal('tests');

export interface EmbeddedDb {
  /** The database URL for Managers (password included: it is remembered as a secret). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly secret: string;
  /** The test's own connection (migrated schema), for service functions, checks and snapshots. */
  readonly services: Services;
  /** Stops PostgreSQL even while clients are connected (a database outage). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port, so clients keep their URL. */
  startServer(): Promise<void>;
  /** The current admin token (as the Managers compute it). */
  adminToken(): string;
  /** API keys of each role, created directly in the database; remembered as secrets. */
  createKeys(label: string): Promise<Keys>;
  createNonce(options: Parameters<typeof createNonce>[2]): Promise<string>;
  /** Closes the test's connection, stops the server, removes the folder. */
  close(): Promise<void>;
}

export interface Keys {
  admin: string;
  agent: string;
  reporter: string;
  reader: string;
}

/**
 * A PostgreSQL server of the test file's own: the embedded server in a fresh folder of the run
 * directory (mode 0755, so the postgres user can reach it when the tests run as root), with the
 * schema created by openDatabase (which migrates).
 */
export async function startEmbeddedDb(name: string): Promise<EmbeddedDb> {
  const dir = mkdtempSync(join(runDir(), `${name}-`));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  const server = await acquireEmbeddedServer(dataDir);
  const secret = `reliability-${name}-${randomBytes(24).toString('base64url')}`;
  const password = decodeURIComponent(new URL(server.url).password);
  rememberSecrets(secret, password);
  const db = await openDatabase({ url: server.url, poolSize: 5 });
  // The Managers of the file run with this secret and the default admin key and lifetime.
  const services = createTestServices(db, { secret });
  // A server left running by a failed file is stopped by global-setup.ts (it scans the run dir).
  let closed = false;
  return {
    url: server.url,
    port: server.port,
    dataDir,
    secret,
    services,
    async stopServer() {
      await releaseEmbeddedServer(dataDir, { force: true });
    },
    async startServer() {
      await acquireEmbeddedServer(dataDir, { port: server.port });
    },
    adminToken() {
      const token = adminToken({ ...services.admin, now: new Date() });
      rememberSecrets(token);
      return token;
    },
    async createKeys(label: string) {
      const keys: Keys = {
        admin: (await createApiKey(services, TEST_ADMIN, { role: 'admin', label: `${label} admin` })).key,
        agent: (await createApiKey(services, TEST_ADMIN, { role: 'agent', label: `${label} agent` })).key,
        reporter: (await createApiKey(services, TEST_ADMIN, { role: 'reporter', label: `${label} reporter` }))
          .key,
        reader: (await createApiKey(services, TEST_ADMIN, { role: 'reader', label: `${label} reader` })).key,
      };
      rememberSecrets(...Object.values(keys));
      return keys;
    },
    async createNonce(options) {
      const { nonce } = await createNonce(services, TEST_ADMIN, options);
      rememberSecrets(nonce);
      return nonce;
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close().catch(() => {});
      await releaseEmbeddedServer(dataDir, { force: true }).catch(() => false);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
