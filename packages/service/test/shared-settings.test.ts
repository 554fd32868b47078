import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agreeOnSettings, ConfigError, embeddedSecret, settingsDrift } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { scoped } from '../../../test/scoped.js';

/** A database of its own and a data directory of its own, for one test. */
async function fresh() {
  const database = await openTestDatabase({ poolSize: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'pj-settings-'));
  return {
    ...database,
    dataDir: join(dir, 'data'),
    async done() {
      await database.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const SECRET = 'first-secret-0123456789-abcdefghijklmnop';
const settings = (over: Partial<Parameters<typeof agreeOnSettings>[1]> = {}) => ({
  secret: SECRET,
  adminKey: 'admin',
  adminTokenLifetimeSeconds: 3600,
  ...over,
});

describe('the settings every process on a database shares', () => {
  const t = scoped(fresh, (opened) => opened.done());

  it('records them at first start and accepts the same ones after', async () => {
    await agreeOnSettings(t().db, settings());
    await agreeOnSettings(t().db, settings());
    const rows = await t().db.sql<{ name: string; value: string }[]>`select name, value from server_settings`;
    expect(rows.map((r) => r.name).sort()).toEqual([
      'admin_key_fingerprint',
      'admin_token_lifetime_seconds',
      'secret_fingerprint',
    ]);
    // A fingerprint, never the secret or the key.
    for (const row of rows) expect(row.value).not.toContain(SECRET);
  });

  it('refuses another secret, another admin key and another lifetime, naming each variable', async () => {
    const other = await refusal(
      agreeOnSettings(t().db, settings({ secret: 'another-secret-0123456789-abcdefghijklmno' })),
    );
    expect(other.variable).toBe('PIPELINEJOBS_SECRET');
    expect(other.message).toContain('pipelinejobs settings adopt');
    expect((await refusal(agreeOnSettings(t().db, settings({ adminKey: 'other' })))).variable).toBe(
      'PIPELINEJOBS_ADMIN_KEY',
    );
    expect(
      (await refusal(agreeOnSettings(t().db, settings({ adminTokenLifetimeSeconds: 600 })))).variable,
    ).toBe('PIPELINEJOBS_ADMIN_TOKEN_LIFETIME');
  });

  it('adopts new ones when told to, and then refuses the old ones', async () => {
    const next = settings({
      secret: 'rotated-secret-0123456789-abcdefghijklmno',
      adminTokenLifetimeSeconds: 600,
    });
    await agreeOnSettings(t().db, next, { adopt: { kind: 'cli', id: 'tests' } });
    await agreeOnSettings(t().db, next);
    expect((await refusal(agreeOnSettings(t().db, settings()))).variable).toBe('PIPELINEJOBS_SECRET');
  });
});

describe('a running process watching for settings changed under it', () => {
  it('sees drift when they differ, agreement when they agree, and cannot tell while the database is away', async () => {
    const t = await fresh();
    try {
      const mine = createTestServices(t.db, {
        secret: SECRET,
        adminKey: 'admin',
        adminTokenLifetimeSeconds: 3600,
      });
      await agreeOnSettings(t.db, settings());
      expect(await settingsDrift(mine)).toBeUndefined();
      await agreeOnSettings(t.db, settings({ secret: 'rotated-secret-0123456789-abcdefghijklmno' }), {
        adopt: { kind: 'cli', id: 'tests' },
      });
      expect((await settingsDrift(mine))?.variable).toBe('PIPELINEJOBS_SECRET');
      // An outage is neither: the check rejects, and the caller keeps what it knew.
      await t.db.close();
      await expect(settingsDrift(mine)).rejects.not.toBeInstanceOf(ConfigError);
    } finally {
      await t.done();
    }
  });
});

describe('the embedded default secret file', () => {
  const t = scoped(fresh, (opened) => opened.done());

  it('is generated once for a new database, kept private, and read back after', async () => {
    const first = await embeddedSecret(t().dataDir, t().db);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(join(t().dataDir, 'secret'), 'utf8').trim()).toBe(first);
    expect(statSync(join(t().dataDir, 'secret')).mode & 0o777).toBe(0o600);
    await agreeOnSettings(t().db, settings({ secret: first }));
    expect(await embeddedSecret(t().dataDir, t().db)).toBe(first);
  });

  it('is refused when empty or whitespace, instead of deriving tokens from nothing', async () => {
    const path = join(t().dataDir, 'secret');
    const kept = readFileSync(path, 'utf8');
    for (const text of ['', '\n', '   \n', 'short\n']) {
      chmodSync(path, 0o600);
      writeFileSync(path, text);
      expect((await refusal(embeddedSecret(t().dataDir, t().db))).message).toContain(
        'holds no usable secret',
      );
    }
    writeFileSync(path, kept);
  });

  it('is named in the refusal when it cannot be read (a directory in its place)', async () => {
    const path = join(t().dataDir, 'secret');
    const kept = readFileSync(path, 'utf8');
    unlinkSync(path);
    mkdirSync(path);
    const error = await refusal(embeddedSecret(t().dataDir, t().db));
    expect(error.message).toContain(path);
    expect(error.message).toContain('cannot be read');
    rmSync(path, { recursive: true });
    writeFileSync(path, kept, { mode: 0o600 });
  });

  it('is not regenerated when deleted under a database that already has a secret', async () => {
    unlinkSync(join(t().dataDir, 'secret'));
    const error = await refusal(embeddedSecret(t().dataDir, t().db));
    expect(error.message).toContain('is missing, but this database was set up with a secret');
    expect(() => statSync(join(t().dataDir, 'secret'))).toThrow();
  });
});
