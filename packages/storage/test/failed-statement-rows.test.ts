import { type Database, findApiKeyByHash, insertApiKey } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, withTestDatabase } from './helpers.js';

let db: Database;
// One connection: the failed statement and the next are on the same one.
withTestDatabase({ poolSize: 1 }, (opened) => {
  db = opened;
});

describe('the statement after one that failed part-way through its rows', () => {
  // The driver counted the rows of a result on the connection and reset that count only when a
  // statement completed. One that failed after some rows (cancelled, timed out, or an error on a
  // later row) left it set, and the next statement's result began with that many holes
  // (porsager/postgres#1119, #1181): a lookup read `undefined` as its row, so the Manager
  // answered a valid API key 401 "unknown API key" after a cancelled statement.
  it('gets its rows from the first, and a lookup finds what is there', async () => {
    await insertApiKey(db, { hash: 'rows-1', prefix: 'pjm_rows', role: 'reader', label: 'rows' }, ACTOR);
    const failed = await db.sql`select 1 / (x - 4) as v from generate_series(1, 10) x`.then(
      () => 'ran',
      (error: { code?: string }) => error.code,
    );
    expect(failed).toBe('22012');
    const rows = await db.sql<{ k: string }[]>`select 'after' as k`;
    expect(rows.length).toBe(1);
    expect(rows[0]).toEqual({ k: 'after' });

    await db.sql`select 1 / (x - 4) as v from generate_series(1, 10) x`.catch(() => {});
    expect((await findApiKeyByHash(db, 'rows-1'))?.prefix).toBe('pjm_rows');
  });
});
