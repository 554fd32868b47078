import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createClient } from '@pipelinejobs/client';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { openDatabase } from '@pipelinejobs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

let m: Manager;
const streamSockets = new Set<Socket>();

beforeAll(async () => {
  // retry: 1 s, so that a test can write while a client waits to reconnect.
  m = await startManager({ streams: { retryMs: 1000, heartbeatMs: 200, pollMs: 200 } });
  m.server.on('request', (req) => {
    if (req.url?.includes('/stream')) streamSockets.add(req.socket);
  });
  const res = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  expect(res.status).toBe(201);
});
afterAll(() => m?.stop());

async function createJob() {
  const res = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { edges: Math.random() } },
  });
  expect(res.status).toBe(201);
  return res.json as { uuid: string; token: string };
}

/** Reads a stream's body as it arrives; `text()` is what came so far, `done` when it ended. */
function reader(res: Response) {
  let text = '';
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
    }
  })();
  return { text: () => text, done };
}

async function until(what: string, check: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('event stream edges', () => {
  it("a deleted job's stream sends the job's events committed before the delete, even while another transaction holds the global horizon back", async () => {
    const job = await createJob();
    const res = await fetch(`${m.base}/jobs/${job.uuid}/events/stream`, {
      headers: { authorization: `Bearer ${m.keys.reader}` },
    });
    expect(res.status).toBe(200);
    const body = reader(res);
    await until('the create event', () => body.text().includes('event: create\n'));
    // Another session's write transaction, left open: entries committed after it began are not
    // settled until it ends (any database of the cluster does this).
    const other = await openDatabase({ url: m.url, poolSize: 1 }, { migrate: false });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let began: () => void = () => {};
    const open = new Promise<void>((resolve) => {
      began = resolve;
    });
    const blocker = other.sql.begin(async (tx) => {
      await tx`select pg_current_xact_id()`;
      began();
      await held;
    });
    try {
      await open;
      const run = await m.request('POST', '/messages', {
        key: m.keys.reporter,
        body: { uuid: job.uuid, name: 'run', token: job.token },
      });
      expect(run.status, run.text).toBe(200);
      const deleted = await m.request('DELETE', `/jobs/${job.uuid}?token=${m.adminToken()}`);
      expect(deleted.status, deleted.text).toBe(200);
      await body.done;
      const text = body.text();
      expect(text).toMatch(/: job \S+ was deleted: this stream ends\n\n$/);
      // The run (seq 2) was committed before the delete: it is the job's history, and goes out.
      expect(text).toContain('id: 2\nevent: run\n');
    } finally {
      release();
      await blocker;
      await other.close();
    }
  });

  it('refuses a global resume point whose transaction id is beyond xid8 with a 400, not a stream that never sends anything', async () => {
    const controller = new AbortController();
    const res = await fetch(`${m.base}/events/stream?after=99999999999999999999-1`, {
      headers: { authorization: `Bearer ${m.keys.reader}` },
      signal: controller.signal,
    });
    try {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toContain(
        'is not an event id of the global stream',
      );
    } finally {
      controller.abort();
    }
  });

  it('client.watch() of the global stream from now, cut before its first event, resumes from where it began: an event written while it was away arrives', async () => {
    const job = await createJob();
    const client = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.reader } });
    const resumedFrom: (string | undefined)[] = [];
    let sending: Promise<Response> | undefined;
    const seen: string[] = [];
    const watching = (async () => {
      for await (const e of client.watch({
        event: 'run',
        signal: AbortSignal.timeout(8000),
        onReconnect: (info) => {
          resumedFrom.push(info.lastEventId);
          // Written while the client waits to reconnect (retry: 1 s).
          sending ??= fetch(`${m.base}/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${m.keys.reporter}`, 'content-type': 'application/json' },
            body: JSON.stringify({ uuid: job.uuid, name: 'run', token: job.token }),
          });
        },
      })) {
        seen.push(e.data.job_uuid as string);
        break;
      }
    })();
    await until('the stream open', () => streamSockets.size > 0);
    await new Promise((r) => setTimeout(r, 300));
    for (const socket of streamSockets) socket.destroy();
    streamSockets.clear();
    await watching;
    expect((await sending)?.status).toBe(200);
    expect(resumedFrom[0]).toMatch(/^\d+-\d+$/);
    expect(seen).toEqual([job.uuid]);
  });

  it('client.watch() waits out a proxy answering 502 while the Manager behind it restarts, and streams once it is back', async () => {
    const job = await createJob();
    let refused = 0;
    // A proxy whose first answer to a stream is a 502 (its Manager restarting); then it relays.
    const front = createServer(async (req, res) => {
      if (refused === 0) {
        refused += 1;
        res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
        return;
      }
      const upstream = await fetch(`${m.base}${req.url}`, {
        headers: { authorization: String(req.headers.authorization), accept: 'text/event-stream' },
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' });
      for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    try {
      const client = createClient({ baseUrl: base, credentials: { apiKey: m.keys.reader } });
      const seen: string[] = [];
      for await (const e of client.watch({ job: job.uuid as never })) {
        seen.push(e.event);
        break;
      }
      expect(refused).toBe(1);
      expect(seen).toEqual(['create']);
    } finally {
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
    }
  });
});
