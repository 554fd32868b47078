import { type Database, openDatabase } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { rejection, withTestDatabase } from './helpers.js';

let db: Database;
let url: string;
withTestDatabase({ poolSize: 2 }, (opened, openedUrl) => {
  db = opened;
  url = openedUrl;
});

/** The backends of connections named `application_name` = `name`. */
async function backendsOf(name: string): Promise<number[]> {
  const rows = await db.sql<{ pid: number }[]>`
    select pid from pg_stat_activity where application_name = ${name}`;
  return rows.map((r) => r.pid);
}

describe('a pool whose backend the server terminated', () => {
  // A server that shuts down, restarts or is told to end a backend answers the statement in
  // flight with FATAL 57P01 and closes the connection. The driver kept that answer and gave it
  // to the first statement of the connection it opened next, so one request after every
  // database restart failed with the old backend's error.
  it('runs the next statement on a new connection, without the old backend error', async () => {
    const name = `terminated-${process.pid}`;
    const single = await openDatabase(
      { url: `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`, poolSize: 1 },
      { migrate: false },
    );
    try {
      expect(await single.sql`select 1 as one`).toEqual([{ one: 1 }]);
      const [pid] = await backendsOf(name);
      const inFlight = rejection(single.sql`select pg_sleep(5)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await db.sql`select pg_terminate_backend(${pid as number})`;
      expect(await inFlight).toMatchObject({ code: 'CONNECTION_CLOSED' });

      const next = await single.sql<{ one: number }[]>`select 1 as one`.then(
        (rows) => rows,
        (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
      );
      expect(next).toEqual([{ one: 1 }]);
      expect(await backendsOf(name)).not.toContain(pid);
    } finally {
      await single.close();
    }
  });
});
