import { ensureFirstAdminKey } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';

describe('the first admin key', () => {
  let t: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    t = await openTestDatabase({ poolSize: 8 });
  });
  afterAll(() => t.cleanup());

  it('is created once when several processes start on a new database at the same moment', async () => {
    const secret = 'first-admin-key-secret-0123456789abcdefgh';
    const services = createTestServices(t.db, { secret });
    const keys = await Promise.all(Array.from({ length: 6 }, () => ensureFirstAdminKey(services)));
    expect(keys.filter((key) => key !== undefined)).toHaveLength(1);
    const [row] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from api_keys`;
    expect(row?.n).toBe(1);
    expect(await ensureFirstAdminKey(services)).toBeUndefined();
  });
});
