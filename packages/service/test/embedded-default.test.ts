import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  asServiceError,
  closeServices,
  migrateDatabase,
  openServices,
  readConfig,
} from '@pipelinejobs/service';
import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, describe, expect, it } from 'vitest';

// The embedded default as the service composes it: a lease on the embedded server, storage on its
// URL, the lease ended when the database is closed.
const root = mkdtempSync(join(tmpdir(), 'pj-service-embedded-'));
chmodSync(root, 0o755); // the postgres user must traverse it when the tests run as root
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the embedded default', () => {
  it('opens migrated, says it created the database, and stops the server when closed', async () => {
    const dataDir = join(root, 'data');
    const config = readConfig({ PIPELINEJOBS_DATA_DIR: dataDir }, root);
    expect(await migrateDatabase(config)).toMatchObject({
      database: 'embedded',
      embedded: { dataDir, created: true },
    });
    const services = await openServices(config);
    try {
      expect(services.embedded).toMatchObject({ dataDir, created: false });
      expect(await databaseOf(services).ping()).toBe(true);
      expect(readdirSync(join(dataDir, 'leases'))).toHaveLength(1);
    } finally {
      await closeServices(services);
    }
    expect(readdirSync(join(dataDir, 'leases')), 'the lease ended with the database').toEqual([]);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid')), 'the last holder stopped it').toBe(false);
  });

  it.runIf(process.getuid?.() === 0)(
    'a server that cannot start is "unavailable", with the message saying what to do',
    async () => {
      // As root, PostgreSQL runs as the postgres user, who cannot reach a folder under a 0700 one.
      const hidden = mkdtempSync(join(root, 'hidden-'));
      chmodSync(hidden, 0o700);
      const config = readConfig({ PIPELINEJOBS_DATA_DIR: join(hidden, 'data') }, root);
      const failure = asServiceError(await openServices(config).catch((error: unknown) => error));
      expect(failure.code).toBe('unavailable');
      expect(failure.message).toMatch(/^The postgres user cannot reach .*set PIPELINEJOBS_DATA_DIR/);
    },
  );
});
