import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { type ManagerChild, startManagerProcess } from '../../../test/manager-process.js';

/**
 * The server secret and the settings derived tokens depend on, checked at start by real Manager
 * processes: a process that would hand out other tokens for the same jobs refuses to run.
 */
const SECRET = 'shared-settings-secret-0123456789abcdefgh';

/** Starts a Manager and expects it to refuse, returning its one line of output. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  let started: ManagerChild | undefined;
  try {
    started = await startManagerProcess({ env: { LOG_LEVEL: 'warn', ...env }, timeoutMs: 60_000 });
  } catch (error) {
    const message = (error as Error).message;
    const lines = message.split('\n').filter((line) => line.startsWith('error: '));
    expect(lines).toHaveLength(1);
    expect(message).toMatch(/exited \(2\)/);
    return lines[0] ?? '';
  }
  await started.stop();
  throw new Error('the Manager started');
}

describe('a Manager on an external database', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase({ poolSize: 1 });
  });
  afterAll(() => db.cleanup());

  it('records the secret at first start and refuses a second process with another one', async () => {
    const first = await startManagerProcess({ env: { DATABASE_URL: db.url, PIPELINEJOBS_SECRET: SECRET } });
    try {
      const line = await refusedStart({
        DATABASE_URL: db.url,
        PIPELINEJOBS_SECRET: 'another-secret-0123456789abcdefghijklmnop',
      });
      expect(line).toMatch(
        /^error: PIPELINEJOBS_SECRET: differs from the secret this database was set up with/,
      );
      expect(line).not.toContain(SECRET);
      // The first Manager still serves.
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      await first.stop();
    }
  });

  it('refuses another admin token lifetime, so admin tokens minted elsewhere are not refused later', async () => {
    const line = await refusedStart({
      DATABASE_URL: db.url,
      PIPELINEJOBS_SECRET: SECRET,
      PIPELINEJOBS_ADMIN_TOKEN_LIFETIME: '600',
    });
    expect(line).toMatch(
      /^error: PIPELINEJOBS_ADMIN_TOKEN_LIFETIME: is 600 s but this database's processes use 3600 s/,
    );
  });

  it('refuses a secret that is short, blank or a pattern before touching the database', async () => {
    for (const secret of ['short', ' '.repeat(40), 'ab'.repeat(20)]) {
      const line = await refusedStart({ DATABASE_URL: db.url, PIPELINEJOBS_SECRET: secret });
      expect(line).toMatch(/^error: PIPELINEJOBS_SECRET: /);
    }
  });
});

describe('a Manager on the embedded default', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pj-secret-file-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an empty secret file and a deleted one instead of starting with another secret', async () => {
    const env = { PIPELINEJOBS_DATA_DIR: join(dir, 'data') };
    const first = await startManagerProcess({ env, timeoutMs: 120_000 });
    await first.stop();
    const secretFile = join(dir, 'data', 'secret');
    writeFileSync(secretFile, '');
    expect(await refusedStart(env)).toMatch(/secret: holds no usable secret/);
    unlinkSync(secretFile);
    expect(await refusedStart(env)).toMatch(/secret: is missing, but this database was set up with a secret/);
  });
});

describe('settings adopted while a Manager runs', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    db = await openTestDatabase({ poolSize: 1 });
  });
  afterAll(() => db.cleanup());

  it('make the running Manager refuse to serve (503 settings_changed) instead of handing out old tokens', async () => {
    const manager = await startManagerProcess({ env: { DATABASE_URL: db.url, PIPELINEJOBS_SECRET: SECRET } });
    try {
      const { key } = await createApiKey(
        createTestServices(db.db, { secret: SECRET }),
        systemPrincipal('tests'),
        {
          role: 'reader',
          label: 'drift',
        },
      );
      const get = () => fetch(`${manager.url}/fsm`, { headers: { authorization: `Bearer ${key}` } });
      expect((await get()).status).toBe(200);
      const adopted = spawnSync(
        process.execPath,
        [fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url)), 'settings', 'adopt', '--yes'],
        {
          env: {
            PATH: process.env.PATH ?? '',
            DATABASE_URL: db.url,
            PIPELINEJOBS_SECRET: 'adopted-secret-0123456789abcdefghijklmno',
          },
          encoding: 'utf8',
        },
      );
      expect(adopted.status, adopted.stderr).toBe(0);
      let refused: Response | undefined;
      for (let i = 0; i < 100 && !refused; i += 1) {
        const res = await get();
        if (res.status === 503) refused = res;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(refused?.status).toBe(503);
      expect(await refused?.json()).toMatchObject({ condition: 'settings_changed' });
      expect((await fetch(`${manager.url}/readyz`)).status).toBe(503);
    } finally {
      await manager.stop();
    }
  });
});
