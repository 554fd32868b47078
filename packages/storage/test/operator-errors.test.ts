import {
  checkWritable,
  type Database,
  findApiKeyByHash,
  insertApiKey,
  openDatabase,
  type StorageError,
} from '@pipelinejobs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
// The translation every repository applies, tried here on statements no repository makes.
import { translated } from '../src/errors.js';
import { ACTOR } from './helpers.js';

let db: Database;
/** A second pool on the same database whose sessions are read-only, as after ALTER DATABASE. */
let readOnly: Database;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const opened = await openTestDatabase({ poolSize: 5 });
  db = opened.db;
  cleanup = opened.cleanup;
  const url = new URL(opened.url);
  url.searchParams.set('default_transaction_read_only', 'on');
  readOnly = await openDatabase({ url: url.href, poolSize: 2 }, { migrate: false });
});
afterAll(async () => {
  await readOnly.close();
  await cleanup();
});

const lastUsed = async (hash: string) => {
  const [row] = await db.sql<{ at: string | null }[]>`
    select last_used_at::text as at from api_keys where hash = ${hash}`;
  return row?.at ?? null;
};

async function refusal(work: () => Promise<unknown>): Promise<StorageError> {
  return translated(work).then(
    () => {
      throw new Error('expected the database to refuse');
    },
    (error: StorageError) => error,
  );
}

describe("an API key's last_used_at", () => {
  it('is written at most once a minute per key by this process, whatever the database says', async () => {
    await insertApiKey(db, { hash: 'touch-1', prefix: 'pjm_tch1', role: 'reader', label: 'touch' }, ACTOR);
    await findApiKeyByHash(db, 'touch-1');
    expect(await lastUsed('touch-1')).not.toBeNull();
    // As if the write had been lost (or had failed): the process remembers it wrote a moment ago.
    await db.sql`update api_keys set last_used_at = now() - interval '2 minutes' where hash = 'touch-1'`;
    const before = await lastUsed('touch-1');
    for (let i = 0; i < 5; i++) await findApiKeyByHash(db, 'touch-1');
    expect(await lastUsed('touch-1')).toBe(before);
  });

  it('is skipped, without failing the lookup, when the database refuses the write', async () => {
    await insertApiKey(db, { hash: 'touch-2', prefix: 'pjm_tch2', role: 'reader', label: 'touch' }, ACTOR);
    expect((await findApiKeyByHash(readOnly, 'touch-2'))?.prefix).toBe('pjm_tch2');
    expect(await lastUsed('touch-2')).toBeNull();
  });
});

describe('failures the operator must fix', () => {
  it('a read-only database: unavailable, condition read_only, a detail that says what to do', async () => {
    const error = await refusal(() => readOnly.sql`update jobs set version = version where false`);
    expect(error).toMatchObject({
      code: 'unavailable',
      details: { sqlstate: '25006', condition: 'read_only' },
    });
    expect(error.message).toMatch(/^The database refuses writes: it is read-only .*DATABASE_URL/);
  });

  it('a role without the privilege: unavailable, condition permission_denied', async () => {
    const role = `pj_storage_test_${process.pid}`;
    const error = await refusal(() =>
      db.sql.begin(async (tx) => {
        await tx.unsafe(`create role ${role}`);
        await tx.unsafe(`set local role ${role}`);
        await tx`insert into api_keys (hash, prefix, role, label) values ('x', 'pjm_x', 'reader', 'x')`;
      }),
    );
    expect(error).toMatchObject({
      code: 'unavailable',
      details: { sqlstate: '42501', condition: 'permission_denied' },
    });
    expect(error.message).toMatch(/permission denied; grant/);
  });

  // A statement cancelled by the server's statement_timeout (or pg_cancel_backend) was an
  // internal error, answered 500: the cancellation says "later", as a lost connection does.
  it('a statement cancelled by statement_timeout is unavailable, not internal', async () => {
    const error = await refusal(() =>
      db.sql.begin(async (tx) => {
        await tx`set local statement_timeout = 50`;
        await tx`select pg_sleep(1)`;
      }),
    );
    expect(error).toMatchObject({ code: 'unavailable', details: { sqlstate: '57014' } });
    expect(error.message).toMatch(/cancelled the statement/);
  });

  it('other database errors keep their codes', async () => {
    const error = await refusal(() => db.sql`select * from no_such_table`);
    expect(error.code).toBe('internal');
    expect(error.details).not.toHaveProperty('condition');
  });
});

describe('checkWritable', () => {
  it('says yes on a writable database, writing nothing', async () => {
    const [before] = await db.sql<{ n: number }[]>`select count(*)::int as n from job_events`;
    expect(await checkWritable(db)).toEqual({ ok: true });
    const [after] = await db.sql<{ n: number }[]>`select count(*)::int as n from job_events`;
    expect(after?.n).toBe(before?.n);
  });

  it('names the cause when the database refuses writes', async () => {
    const result = await checkWritable(readOnly);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.details).toMatchObject({ condition: 'read_only' });
  });
});
