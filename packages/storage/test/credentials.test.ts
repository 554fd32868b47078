import {
  consumeNonce,
  type Database,
  findApiKeyByHash,
  insertApiKey,
  insertNonce,
  markApiKeyRevoked,
  markNonceRevoked,
  openDatabase,
  selectApiKeys,
  selectNonces,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, withTestDatabase } from './helpers.js';

let db: Database;
let url: string;
withTestDatabase({ poolSize: 20 }, (opened, openedUrl) => {
  db = opened;
  url = openedUrl;
});

const JOB = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';
const OTHER_JOB = '10766b61-49f0-524d-a17f-f4bd42bdfce7';
const hour = 3_600_000;

async function nonce(hash: string, fields: Partial<Parameters<typeof insertNonce>[1]> = {}) {
  return insertNonce(
    db,
    {
      hash,
      prefix: hash.slice(0, 8),
      role: 'reporter',
      maxUses: null,
      expiresAt: null,
      jobUuid: null,
      ...fields,
    },
    ACTOR,
  );
}

describe('nonces', () => {
  it('spends exactly max_uses under 100 concurrent uses', async () => {
    await nonce('limited', { maxUses: 7 });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => consumeNonce(db, 'limited', JOB, new Date())),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'exhausted')).toBe(true);
    const [row] = await db.sql<{ uses: number }[]>`select uses::int from nonces where hash = 'limited'`;
    expect(row?.uses).toBe(7);
  });

  it('counts down the remaining uses, and unlimited nonces report none', async () => {
    await nonce('two', { maxUses: 2 });
    expect(await consumeNonce(db, 'two', undefined, new Date())).toMatchObject({
      ok: true,
      remainingUses: 1,
    });
    expect(await consumeNonce(db, 'two', undefined, new Date())).toMatchObject({
      ok: true,
      remainingUses: 0,
    });
    await nonce('unlimited');
    expect(await consumeNonce(db, 'unlimited', undefined, new Date())).toMatchObject({
      ok: true,
      remainingUses: null,
    });
  });

  it('refuses expired, revoked, unknown and out-of-scope nonces without spending them', async () => {
    const now = new Date();
    await nonce('expired', { expiresAt: new Date(now.getTime() - hour) });
    expect(await consumeNonce(db, 'expired', undefined, now)).toEqual({ ok: false, reason: 'expired' });
    const revoked = await nonce('revoked');
    await markNonceRevoked(db, revoked.id, ACTOR);
    expect(await consumeNonce(db, 'revoked', undefined, now)).toEqual({ ok: false, reason: 'revoked' });
    expect(await consumeNonce(db, 'nope', undefined, now)).toEqual({ ok: false, reason: 'unknown' });
    await nonce('scoped', { jobUuid: JOB });
    expect(await consumeNonce(db, 'scoped', OTHER_JOB, now)).toEqual({ ok: false, reason: 'out_of_scope' });
    expect(await consumeNonce(db, 'scoped', undefined, now)).toEqual({ ok: false, reason: 'out_of_scope' });
    expect(await consumeNonce(db, 'scoped', JOB, now)).toMatchObject({ ok: true, jobUuid: JOB });
    const listed = await selectNonces(db);
    expect(listed.find((n) => n.prefix === 'expired')?.uses).toBe(0);
    expect(listed.some((n) => 'hash' in n)).toBe(false);
  });

  it('refuses a nonce whose stored role this version does not know, without spending it', async () => {
    const stored = await nonce('newer-role');
    await db.sql`update nonces set role = 'superuser' where id = ${stored.id}`;
    expect(await consumeNonce(db, 'newer-role', undefined, new Date())).toEqual({
      ok: false,
      reason: 'unknown_role',
    });
    expect((await selectNonces(db)).find((n) => n.id === stored.id)?.uses).toBe(0);
  });
});

describe('API keys', () => {
  it('finds a key by its hash, records its use, and lists it without the hash', async () => {
    const stored = await insertApiKey(
      db,
      { hash: 'h1', prefix: 'pjm_abcd', role: 'agent', label: 'ci' },
      ACTOR,
    );
    const found = await findApiKeyByHash(db, 'h1');
    expect(found).toMatchObject({ id: stored.id, role: 'agent', label: 'ci', revokedAt: null });
    const [row] = await db.sql<
      { used: boolean }[]
    >`select last_used_at is not null as used from api_keys where hash = 'h1'`;
    expect(row?.used).toBe(true);
    expect(await findApiKeyByHash(db, 'unknown')).toBeUndefined();
    expect((await selectApiKeys(db)).some((k) => 'hash' in k)).toBe(false);
  });

  it('revokes by prefix, and a revoked key is still found (the caller refuses it)', async () => {
    await insertApiKey(db, { hash: 'h2', prefix: 'pjm_efgh', role: 'reader', label: 'old' }, ACTOR);
    await markApiKeyRevoked(db, 'pjm_efgh', ACTOR);
    expect((await findApiKeyByHash(db, 'h2'))?.revokedAt).toBeInstanceOf(Date);
    await expect(markApiKeyRevoked(db, 'pjm_efgh', ACTOR)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('caches a key per process, and forgets it when the LISTEN connection is lost', async () => {
    const stored = await insertApiKey(
      db,
      { hash: 'h3', prefix: 'pjm_ijkl', role: 'reader', label: 'c' },
      ACTOR,
    );
    expect((await findApiKeyByHash(db, 'h3'))?.revokedAt).toBeNull();
    await waitFor(async () => (await listenBackends()).length === 1);
    // Revoked by hand, with no announcement: the cached key still answers (it is the cache).
    await db.sql`update api_keys set revoked_at = now() where id = ${stored.id}`;
    expect((await findApiKeyByHash(db, 'h3'))?.revokedAt).toBeNull();
    // Notifications sent while the connection is down would be lost: nothing cached is kept.
    await db.sql`select pg_terminate_backend(pid) from pg_stat_activity where pid = any(${await listenBackends()})`;
    await waitFor(async () => (await findApiKeyByHash(db, 'h3'))?.revokedAt instanceof Date, 1000);
    // It listens again.
    await waitFor(async () => (await listenBackends()).length === 1);
  });

  it('refuses a revoked key within a second even while its LISTEN connection hangs without closing', async (context) => {
    await insertApiKey(db, { hash: 'h7', prefix: 'pjm_hang', role: 'reader', label: 'h' }, ACTOR);
    expect((await findApiKeyByHash(db, 'h7'))?.revokedAt).toBeNull();
    await waitFor(async () => (await listenBackends()).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // its LISTEN answered: the cache trusts it
    expect((await findApiKeyByHash(db, 'h7'))?.revokedAt).toBeNull();
    const [backend] = await listenBackends();
    // The listening backend stopped (as a half-open connection or a stuck pooler would be): no
    // notification arrives and the connection does not report itself down.
    try {
      process.kill(backend ?? 0, 'SIGSTOP');
    } catch {
      context.skip('needs to signal the PostgreSQL backend (the same machine, as root)');
    }
    const other = await openDatabase({ url, poolSize: 1 }, { migrate: false });
    try {
      await markApiKeyRevoked(other, 'pjm_hang', ACTOR);
      const revokedAt = Date.now();
      await waitFor(async () => (await findApiKeyByHash(db, 'h7'))?.revokedAt instanceof Date, 1500);
      expect(Date.now() - revokedAt).toBeLessThan(1100);
    } finally {
      process.kill(backend ?? 0, 'SIGCONT');
      await other.close();
    }
  });

  it('closes its LISTEN connection once no key was looked up for the pool’s idle time', async () => {
    await insertApiKey(db, { hash: 'h5', prefix: 'pjm_qrst', role: 'reader', label: 'e' }, ACTOR);
    const idle = await openDatabase({ url, poolSize: 1, idleTimeoutSeconds: 1 }, { migrate: false });
    try {
      const listening = async () =>
        (
          await db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and application_name like 'pipelinejobs % listen'`
        )[0]?.n ?? 0;
      const before = await listening();
      await findApiKeyByHash(idle, 'h5');
      await waitFor(async () => (await listening()) === before + 1);
      await waitFor(async () => (await listening()) === before, 4000);
      // The next lookup listens again.
      await findApiKeyByHash(idle, 'h5');
      await waitFor(async () => (await listening()) === before + 1);
    } finally {
      await idle.close();
    }
  });

  it('writes last_used_at at most once a minute per key, whatever the number of processes', async () => {
    // Counts the writes of last_used_at (this test database's own trigger).
    await db.sql`create table touches (at timestamptz)`;
    await db.sql`
      create function count_touch() returns trigger language plpgsql as $$
      begin insert into touches values (new.last_used_at); return new; end $$`;
    await db.sql`
      create trigger count_touch after update of last_used_at on api_keys
      for each row execute function count_touch()`;
    await insertApiKey(db, { hash: 'h4', prefix: 'pjm_mnop', role: 'reader', label: 'd' }, ACTOR);
    await db.sql`update api_keys set last_used_at = now() - interval '2 minutes' where hash = 'h4'`;
    // Five pools (five processes, each with its own memo) read the key at once: all see it
    // stale, each tries to write it.
    const pools = await Promise.all(
      Array.from({ length: 5 }, () => openDatabase({ url, poolSize: 1 }, { migrate: false })),
    );
    try {
      await Promise.all(pools.map((pool) => findApiKeyByHash(pool, 'h4')));
      const [{ n } = { n: -1 }] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from touches where at > now() - interval '1 minute'`;
      expect(n).toBe(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
      await db.sql`drop trigger count_touch on api_keys`;
      await db.sql`drop function count_touch()`;
      await db.sql`drop table touches`;
    }
  });
});

/** The backends listening for this test database's pool. */
async function listenBackends(): Promise<number[]> {
  const rows = await db.sql<{ pid: number }[]>`
    select pid from pg_stat_activity
    where datname = current_database() and application_name like 'pipelinejobs % listen'
      and query ilike 'listen%'`;
  return rows.map((r) => r.pid);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
