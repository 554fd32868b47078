import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, ProblemError } from '../src/index.js';

const servers: Server[] = [];

/** A server on a port of its own, recording what reached it. */
async function serve(
  answer: (req: IncomingMessage, body: string) => [number, Record<string, string>, string],
) {
  const received: { method: string; url: string; body: string; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body,
        authorization: req.headers.authorization,
      });
      const [status, headers, text] = answer(req, body);
      res.writeHead(status, headers).end(text);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const accepted = JSON.stringify({
  job: { uuid: '107...', state: 'RUNNING', last_event: 'run', updated: '2026-12-01T00:00:00Z' },
  event: { uuid: 'e', seq: 2, name: 'run', from: 'CREATED', to: 'RUNNING', date: '2026-12-01T00:00:00Z' },
});

describe('redirects', () => {
  it('does not follow a 307 of POST /messages: nothing reaches the other origin, and it is a ProblemError', async () => {
    const other = await serve(() => [200, { 'content-type': 'application/json' }, accepted]);
    const manager = await serve(() => [307, { location: `${other.url}/steal` }, '']);
    const client = createClient({
      baseUrl: manager.url,
      credentials: { apiKey: 'pjm_secret' },
      retry: { baseDelayMs: 1 },
    });
    const refused = await client.events
      .send({ uuid: '1073f4ff-c2b9-5190-bd9a-e6a406d9796a', name: 'run', token: 'job-token-secret' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).status).toBe(307);
    expect((refused as ProblemError).detail).toContain(`a redirect to ${other.url}/steal`);
    expect((refused as ProblemError).detail).toMatch(/does not follow redirects.*baseUrl/);
    expect(other.received).toEqual([]);
    // Not retried: one try reached the Manager.
    expect(manager.received).toHaveLength(1);
  });

  it('does not follow a 302 of a read either', async () => {
    const other = await serve(() => [200, { 'content-type': 'application/json' }, '{"states":[]}']);
    const manager = await serve(() => [302, { location: `${other.url}/fsm` }, '']);
    const client = createClient({ baseUrl: manager.url, credentials: { apiKey: 'pjm_secret' } });
    await expect(client.fsm()).rejects.toMatchObject({ status: 302 });
    expect(other.received).toEqual([]);
  });
});
