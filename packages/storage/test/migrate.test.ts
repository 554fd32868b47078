import { migrate } from '@pipelinejobs/storage';
import { dropDatabase } from '@pipelinejobs/storage/testing';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';

const pg = inject('pg');
const name = `pj_migrate_${process.pid}`;
const url = (() => {
  const u = new URL(pg.adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
})();

afterAll(() => dropDatabase(pg.adminUrl, name));

describe('migrations', () => {
  it('apply once when several processes open an empty database at the same time', async () => {
    const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const clients = Array.from({ length: 4 }, () => postgres(url, { max: 2, onnotice: () => {} }));
    try {
      const applied = await Promise.all(clients.map((sql) => migrate(sql)));
      expect(applied.reduce((a, b) => a + b, 0)).toBe(applied.find((n) => n > 0));
      expect(applied.filter((n) => n > 0)).toHaveLength(1);
      const [first] = clients;
      const rows = await first!`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(rows[0]?.n).toBe(applied.find((n) => n > 0));
      expect(await migrate(first!)).toBe(0);
    } finally {
      await Promise.all(clients.map((sql) => sql.end()));
    }
  });
});
