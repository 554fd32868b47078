import { type Database, openDatabase } from '@pipelinejobs/storage';
import { createTestDatabase, dropDatabase } from '@pipelinejobs/storage/testing';
import { inject } from 'vitest';

/** A database of this test file's own, cloned from the run's migrated template. */
export async function openTestDatabase(options: { poolSize?: number } = {}): Promise<{
  db: Database;
  url: string;
  cleanup(): Promise<void>;
}> {
  const pg = inject('pg');
  const url = await createTestDatabase(pg);
  const db = await openDatabase({ url, poolSize: options.poolSize ?? 20 }, { migrate: false });
  return {
    db,
    url,
    async cleanup() {
      await db.close();
      await dropDatabase(pg.adminUrl, new URL(url).pathname.slice(1));
    },
  };
}
