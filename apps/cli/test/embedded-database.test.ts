import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { json, runCli } from './run-cli.js';

// The embedded default, as a user meets it: no DATABASE_URL, a data directory of its own.
const root = mkdtempSync(join(tmpdir(), 'pipelinejobs-cli-embedded-'));
chmodSync(root, 0o755); // the postgres user must traverse it when the tests run as root
const dataDir = join(root, 'data');

afterAll(async () => {
  await releaseEmbeddedServer(dataDir, { force: true }).catch(() => false);
  rmSync(root, { recursive: true, force: true });
});

describe('the CLI on the embedded default', () => {
  it('says on stderr that it created a new database, and where, when it found none', async () => {
    const first = await runCli(['jobs', 'list', '--json'], { env: { PIPELINEJOBS_DATA_DIR: dataDir } });
    expect(first.code, first.stderr).toBe(0);
    expect(json(first)).toMatchObject({ items: [] });
    expect(first.stderr).toContain(`created a new embedded PostgreSQL database in ${dataDir}`);
    // It was the last process using the server: stopped, no lease left behind.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(readdirSync(join(dataDir, 'leases'))).toEqual([]);

    const second = await runCli(['jobs', 'list', '--json'], { env: { PIPELINEJOBS_DATA_DIR: dataDir } });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr, 'the database exists now: nothing to say').toBe('');
  });
});
