import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postNotification, receiverAgents } from './webhook-post.js';

let server: Server;
let base: string;
const agents = receiverAgents(4);

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/redirect') return res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/later') return res.writeHead(503, { 'retry-after': '120' }).end();
      if (req.url === '/slow') return setTimeout(() => res.writeHead(200).end(), 1000);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agents.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, options: { timeoutMs?: number; allowPrivate?: boolean; url?: string } = {}) =>
  postNotification(options.url ?? `${base}${path}`, { 'content-type': 'application/json' }, '{}', {
    timeoutMs: options.timeoutMs ?? 2000,
    allowPrivate: options.allowPrivate ?? true,
    agents,
  });

describe('postNotification over a real socket', () => {
  it('returns the status of a receiver that answers', async () => {
    expect(await post('/ok')).toMatchObject({ statusCode: 200, error: undefined });
  });

  it('does not follow a redirect: the 302 is the answer', async () => {
    expect(await post('/redirect')).toMatchObject({ statusCode: 302 });
  });

  it('reads Retry-After as milliseconds from now', async () => {
    expect(await post('/later')).toMatchObject({ statusCode: 503, retryAfterMs: 120_000 });
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const result = await post('/slow', { timeoutMs: 200 });
    expect(result.statusCode).toBeUndefined();
    expect(result.error).toMatch(/no answer within 200 ms/);
    expect(result.durationMs).toBeLessThan(900);
  });

  it('says why a connection was refused', async () => {
    const result = await post('', { url: 'http://127.0.0.1:9/' });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('refuses a private target unless allowed, by literal address and by name', async () => {
    expect((await post('/ok', { allowPrivate: false })).error).toMatch(/PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE/);
    // The machine's own name resolves to a loopback or private address (127.0.1.1, 10.x, ...).
    const name = hostname();
    expect((await lookup(name)).address).toMatch(/^(127\.|10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|::1$)/);
    const server2 = createServer((_req, res) => res.writeHead(200).end());
    await new Promise<void>((resolve) => server2.listen(0, '0.0.0.0', resolve));
    const url = `http://${name}:${(server2.address() as AddressInfo).port}/ok`;
    try {
      const byName = await post('', { url, allowPrivate: false });
      expect(byName.statusCode).toBeUndefined();
      expect(byName.error).toMatch(/resolves only to loopback, private or link-local addresses/);
      expect((await post('', { url })).statusCode).toBe(200);
    } finally {
      server2.closeAllConnections();
      await new Promise((resolve) => server2.close(resolve));
    }
  });
});
