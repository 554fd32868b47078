import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

/** A TCP connection once it is established (rejects when it cannot be). */
function connected(options: NetConnectOpts): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(options);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Socket limits short enough for a test to wait them out. */
const SHORT_TIMEOUTS = {
  headersTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  keepAliveTimeoutMs: 1000,
  maxConnections: 1000,
};

/** A raw socket to the Manager that records what comes back and when it closes. */
async function open(base: string) {
  const { hostname, port } = new URL(base);
  const socket = await connected({ port: Number(port), host: hostname });
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('utf8');
  });
  socket.on('error', () => {});
  const opened = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  return {
    socket,
    received: () => received,
    closed,
    /** Resolves with the ms until the server closed the socket, or rejects after `ms`. */
    closedWithin: (ms: number) =>
      Promise.race([
        closed,
        new Promise<number>((_, reject) =>
          setTimeout(
            () => reject(new Error(`still open after ${ms} ms; got ${JSON.stringify(received)}`)),
            ms,
          ),
        ),
      ]),
    /** Sends one keep-alive GET and waits for its complete answer. */
    async get(path: string) {
      const before = received.length;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: manager\r\n\r\n`);
      for (let i = 0; i < 200 && !/\r\n\r\n[\s\S]*\}/.test(received.slice(before)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return received.slice(before);
    },
  };
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++] ?? '');
  }, everyMs);
  return () => clearInterval(timer);
}

describe('slow clients', () => {
  let m: Manager;
  beforeAll(async () => {
    m = await startManager({ limits: { ...SHORT_TIMEOUTS, maxConnectionsPerAddress: 0 } });
  });
  afterAll(async () => {
    await m.stop();
  });

  it('answers a body trickled past the request timeout with a 408 problem and closes the socket', async () => {
    const c = await open(m.base);
    c.socket.write(
      `POST /messages HTTP/1.1\r\nHost: manager\r\nAuthorization: Bearer ${m.keys.reporter}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const stop = trickle(c.socket, ' '.repeat(999), 100);
    const ms = await c.closedWithin(6000);
    stop();
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(4000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toContain('application/problem+json');
    expect(c.received()).toContain('"status":408');
  });

  it('closes a connection whose headers trickle past the headers timeout', async () => {
    const c = await open(m.base);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: manager\r\n');
    const stop = trickle(c.socket, 'X-Slow: ' + 'a'.repeat(200), 100);
    const ms = await c.closedWithin(5000);
    stop();
    expect(ms).toBeLessThan(3000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const c = await open(m.base);
    expect(await c.get('/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    const ms = await c.closedWithin(4000);
    expect(ms).toBeLessThan(3000);
  });
});

describe('connection caps', () => {
  let m: Manager;
  const sockets: Awaited<ReturnType<typeof open>>[] = [];
  beforeAll(async () => {
    m = await startManager({
      limits: {
        headersTimeoutMs: 30_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 30_000,
        maxConnections: 6,
        maxConnectionsPerAddress: 4,
      },
    });
  });
  afterAll(async () => {
    for (const c of sockets) c.socket.destroy();
    await m.stop();
  });

  /** A connection the server accepted: it answered a request on it. */
  async function held() {
    const c = await open(m.base);
    sockets.push(c);
    expect(await c.get('/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    return c;
  }

  /** A connection the server closes unread. */
  async function refused() {
    const c = await open(m.base);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: manager\r\n\r\n');
    await c.closedWithin(2000);
    expect(c.received()).toBe('');
  }

  it('refuses connections beyond the cap per address, and serves again once one closes', async () => {
    for (let i = 0; i < 4; i++) await held();
    await refused();
    const first = sockets.shift();
    first?.socket.destroy();
    await first?.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await held();
  });

  it('refuses connections beyond the total cap, whatever their address', async () => {
    // The per-address cap is 4 and every test socket comes from 127.0.0.1: a second loopback
    // address (127.0.0.2) gives the total cap of 6 something to count.
    expect(sockets).toHaveLength(4); // held by the test above
    const { port } = new URL(m.base);
    const from = (localAddress: string) => connected({ port: Number(port), host: '127.0.0.1', localAddress });
    const others = [await from('127.0.0.2'), await from('127.0.0.2')];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await from('127.0.0.2');
    const closed = await Promise.race([
      new Promise<boolean>((resolve) => third.once('close', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
    ]);
    third.on('error', () => {});
    expect(closed).toBe(true);
    for (const s of others) s.destroy();
  });
});

describe('clients that never close their side', () => {
  let m: Manager;
  beforeAll(async () => {
    m = await startManager({ limits: { ...SHORT_TIMEOUTS, maxConnectionsPerAddress: 2 } });
  });
  afterAll(() => m.stop());

  it('frees the connection slots of silent clients once they timed out, even if they never close', async () => {
    const { hostname, port } = new URL(m.base);
    // allowHalfOpen: the client does not answer the server's FIN, as a hostile or broken client.
    const silent = await Promise.all(
      [0, 1].map(() => connected({ port: Number(port), host: hostname, allowHalfOpen: true })),
    );
    try {
      // Past the headers timeout: the server answers 408, and must then let go of the sockets.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const c = await open(m.base);
      expect(await c.get('/healthz')).toMatch(/^HTTP\/1\.1 200 /);
      c.socket.destroy();
    } finally {
      for (const socket of silent) socket.destroy();
    }
  });
});
