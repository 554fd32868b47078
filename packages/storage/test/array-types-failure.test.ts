import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { type Database, openDatabase } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import postgres from '#postgres';
import { withTestDatabase } from './helpers.js';

let url: string;
withTestDatabase({ poolSize: 1 }, (_db, openedUrl) => {
  url = openedUrl;
});

/** A protocol message: type byte, length, body. */
function message(type: string, body: string): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeUInt32BE(Buffer.byteLength(body) + 4, 1);
  return Buffer.concat([head, Buffer.from(body)]);
}

/** What the server sends before it ends a backend (pg_terminate_backend, a shutdown). */
const TERMINATED = message(
  'E',
  'SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0',
);

/** What the server sends when it cancels a statement (pg_cancel_backend, statement_timeout). */
const CANCELLED = Buffer.concat([
  message('E', 'SERROR\0VERROR\0C57014\0Mcanceling statement due to user request\0\0'),
  message('Z', 'I'),
]);

/**
 * A TCP proxy to the test server. Once armed, the next connection that sends the driver's
 * array-types query (the statement the driver runs first on every new connection) gets, instead
 * of the server's answer, a reset (RST), a cancellation (the connection staying open), or the
 * end of its backend (a FATAL, then the connection closed). With `always`, every such connection.
 */
async function typesQueryProxy(
  target: URL,
  failure: 'reset' | 'cancel' | 'terminate',
  options: { always?: boolean } = {},
) {
  const sockets = new Set<Socket>();
  let armed = false;
  let failed = 0;
  let connections = 0;
  const server: Server = createServer((client) => {
    connections += 1;
    const upstream = netConnect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes('typarray')) {
        armed = options.always === true;
        failed += 1;
        if (failure === 'cancel') {
          client.write(CANCELLED);
        } else if (failure === 'terminate') {
          upstream.destroy();
          client.end(TERMINATED);
        } else {
          upstream.destroy();
          client.resetAndDestroy();
        }
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
    arm: () => {
      armed = true;
    },
    failed: () => failed,
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The process's unhandled rejections from now; `stop` hands them over, a little later. */
function collectUnhandled() {
  const unhandled: unknown[] = [];
  const collect = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', collect);
  return {
    async stop(): Promise<string[]> {
      await new Promise((resolve) => setTimeout(resolve, 100));
      process.off('unhandledRejection', collect);
      return unhandled.map(String);
    },
  };
}

/** 'answered', or the code the statement failed with. */
const outcome = (statement: Promise<unknown>) =>
  statement.then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  );

/** Runs `body` with a pool of two connections through the proxy, and the unhandled rejections. */
async function throughProxy(
  failure: 'reset' | 'cancel',
  body: (db: Database, proxy: Awaited<ReturnType<typeof typesQueryProxy>>) => Promise<void>,
): Promise<string[]> {
  const unhandled = collectUnhandled();
  const proxy = await typesQueryProxy(new URL(url), failure);
  try {
    const db = await openDatabase({ url: proxy.url, poolSize: 2 }, { migrate: false });
    try {
      proxy.arm();
      await body(db, proxy);
    } finally {
      await db.close();
    }
  } finally {
    await proxy.close();
  }
  return unhandled.stop();
}

// The driver runs its array-types query on every new connection and dropped that query's promise:
// when the query failed, the rejection escaped as an unhandled one, which ends a Node process
// (porsager/postgres#1192, #1205). A watch lost its database that way and exited 1 instead of
// waiting for it. The patch (patches/postgres@3.4.9.patch) catches it, and decides what becomes
// of the statement waiting for the connection and of the connection.
describe("a new connection whose driver's array-types query fails", () => {
  it('reset: fails the statement waiting for it, runs the next, and lets nothing escape unhandled', async () => {
    const unhandled = await throughProxy('reset', async (db, proxy) => {
      // Two at once: the second opens the pool's second connection, the one reset.
      const [held, second] = await Promise.allSettled([
        db.sql`select pg_sleep(0.2)`,
        db.sql`select 1 as one`,
      ]);
      expect(proxy.failed()).toBe(1);
      expect(held.status).toBe('fulfilled');
      expect(second).toMatchObject({ status: 'rejected', reason: { code: 'ECONNRESET' } });
      expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
    });
    expect(unhandled).toEqual([]);
  });

  it('cancelled, the pool knowing the array types: the statement waiting for it runs, arrays work on it', async () => {
    const unhandled = await throughProxy('cancel', async (db, proxy) => {
      // Two at once: the second opens the pool's second connection, whose types query is refused.
      const [held, second] = await Promise.allSettled([
        db.sql`select pg_sleep(0.2), pg_backend_pid() as pid`,
        db.sql<{ one: number; pid: number }[]>`select 1 as one, pg_backend_pid() as pid`,
      ]);
      expect(proxy.failed()).toBe(1);
      expect(held.status).toBe('fulfilled');
      expect(second).toMatchObject({ status: 'fulfilled', value: [{ one: 1 }] });
      // Both connections at once: arrays as parameters and as results on each.
      const rows = await Promise.all(
        [0, 1].map(
          () => db.sql<{ pid: number; column: string[]; parameter: string[]; member: boolean }[]>`
            select pg_backend_pid() as pid, array['a', 'b']::text[] as column,
              ${['{a,b}', 'c']}::text[] as parameter, 'b' = any(${db.sql.array(['a', 'b'])}) as member,
              pg_sleep(0.1)::text`,
        ),
      );
      expect(new Set(rows.map(([row]) => row?.pid)).size).toBe(2);
      for (const [row] of rows) {
        expect(row).toMatchObject({ column: ['a', 'b'], parameter: ['{a,b}', 'c'], member: true });
      }
    });
    expect(unhandled).toEqual([]);
  });

  it('cancelled, the pool knowing no array types: fails the statement waiting for it, then reads and writes arrays as arrays', async () => {
    // The driver keeps the array types it learnt for the whole pool: only a pool whose first
    // connection failed to learn them shows what that connection did without them. So the
    // driver itself (as storage imports it), with one connection, the proxy armed from the start.
    const unhandled = collectUnhandled();
    const proxy = await typesQueryProxy(new URL(url), 'cancel');
    proxy.arm();
    const sql = postgres(proxy.url, { max: 1, onnotice: () => {} });
    try {
      const first = await outcome(sql`select 1 as one`);
      expect(proxy.failed()).toBe(1);
      expect(first).toBe('57014');
      const [row] = await sql<{ column: string[]; parameter: string[]; member: boolean }[]>`
        select array['a', 'b']::text[] as column, ${['x', 'y']}::text[] as parameter,
          'b' = any(${sql.array(['a', 'b'])}) as member`;
      expect(row).toEqual({ column: ['a', 'b'], parameter: ['x', 'y'], member: true });
    } finally {
      await sql.end({ timeout: 1 });
      await proxy.close();
    }
    expect(await unhandled.stop()).toEqual([]);
  });

  it("a new pool's very first statement reads and writes arrays as arrays", async () => {
    // The driver learnt the array types a microtask after it built the statement waiting for the
    // connection, whose array parameters then went as text (porsager/postgres#789).
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ parameter: string[]; member: boolean }[]>`
        select ${['x', 'y']}::text[] as parameter, 'b' = any(${sql.array(['a', 'b'])}) as member`;
      expect(row).toEqual({ parameter: ['x', 'y'], member: true });
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('a server that refuses it every time gets new connections at the backoff, not one per statement', async () => {
    const proxy = await typesQueryProxy(new URL(url), 'cancel', { always: true });
    proxy.arm();
    const sql = postgres(proxy.url, { max: 1, onnotice: () => {} });
    try {
      const codes = new Set<string | undefined>();
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        codes.add(await outcome(sql`select 1`));
      }
      // Each statement fails (none on a connection without its array types); the attempts slow
      // down (0.03 s, 0.09, 0.27, 0.8 s... apart): a handful of connections, where one per
      // statement was a hundred or more in that time.
      expect(codes).toEqual(new Set(['57014']));
      expect(proxy.connections()).toBeLessThan(15);
    } finally {
      await sql.end({ timeout: 1 });
      await proxy.close();
    }
  });

  it('a server that ends every new connection there: tried again at the backoff, and nothing is left once the pool ends', async () => {
    const proxy = await typesQueryProxy(new URL(url), 'terminate', { always: true });
    proxy.arm();
    const sql = postgres(proxy.url, { max: 1, onnotice: () => {} });
    try {
      const waiting = outcome(sql`select 1`);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // 0.03 s, 0.09, 0.27, 0.8 s... apart: a handful, where it was hundreds a second.
      expect(proxy.connections()).toBeLessThan(15);
      await sql.end({ timeout: 1 });
      expect(await waiting).toBe('CONNECTION_DESTROYED');
      const ended = proxy.connections();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(proxy.connections()).toBe(ended);
    } finally {
      await proxy.close();
    }
  });
});
