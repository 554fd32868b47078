import { ensureFirstAdminKey } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { scoped } from '../../../test/scoped.js';

describe('the first admin key', () => {
  const database = scoped(
    () => openTestDatabase({ poolSize: 8 }),
    (opened) => opened.cleanup(),
  );

  it('is created once when several processes start on a new database at the same moment', async () => {
    const secret = 'first-admin-key-secret-0123456789abcdefgh';
    const { db } = database();
    const services = createTestServices(db, { secret });
    const keys = await Promise.all(Array.from({ length: 6 }, () => ensureFirstAdminKey(services)));
    expect(keys.filter((key) => key !== undefined)).toHaveLength(1);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from api_keys`;
    expect(row?.n).toBe(1);
    expect(await ensureFirstAdminKey(services)).toBeUndefined();
  });
});
