import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
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

/**
 * A TCP proxy to the test server that resets (RST) the second connection whose client sends the
 * driver's array-types query, the statement the driver runs first on every new connection.
 */
async function resetAtArrayTypes(
  target: URL,
): Promise<{ url: string; resets: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let resets = 0;
  let typesQueries = 0;
  const server: Server = createServer((client) => {
    const upstream = netConnect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes('typarray') && ++typesQueries === 2) {
        resets += 1;
        upstream.destroy();
        client.resetAndDestroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const proxied = new URL(target.href);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.href,
    resets: () => resets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a connection reset while the driver reads the array types', () => {
  // The driver runs its array-types query on every new connection and dropped that query's
  // promise: when the connection was reset (a proxy, a failover, a cut network) right then, the
  // rejection escaped as an unhandled one, which ends a Node process (porsager/postgres#1192,
  // #1205). A watch lost its database that way and exited 1 instead of waiting for it.
  it('fails the statement waiting for that connection, runs the next, and lets nothing escape unhandled', async () => {
    const unhandled: unknown[] = [];
    const collect = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', collect);
    const proxy = await resetAtArrayTypes(new URL(url));
    try {
      const reset = await openDatabase({ url: proxy.url, poolSize: 2 }, { migrate: false });
      try {
        // Two at once: the second opens the pool's second connection, the one reset.
        const [held, second] = await Promise.allSettled([
          reset.sql`select pg_sleep(0.2)`,
          reset.sql`select 1 as one`,
        ]);
        expect(held.status).toBe('fulfilled');
        expect(second).toMatchObject({ status: 'rejected', reason: { code: 'ECONNRESET' } });
        expect(await reset.sql`select 1 as one`).toEqual([{ one: 1 }]);
      } finally {
        await reset.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(proxy.resets()).toBe(1);
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', collect);
      await proxy.close();
    }
  });
});
