import { connect } from 'node:net';
import { createClient } from '@pipelinejobs/client';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { createNonce, streamStats, systemPrincipal } from '@pipelinejobs/service';
import { applyEvent, openDatabase } from '@pipelinejobs/storage';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

let m: Manager;
/** The sockets of the stream requests, to cut them off without touching the others. */
const streamSockets = new Set<import('node:net').Socket>();
const cutStreams = () => {
  for (const socket of streamSockets) socket.destroy();
  streamSockets.clear();
};
const MAX_BUFFERED = 16 * 1024;

beforeAll(async () => {
  m = await startManager({
    streams: {
      perCredential: 3,
      retryMs: 100,
      heartbeatMs: 200,
      pollMs: 300,
      maxBufferedBytes: MAX_BUFFERED,
    },
  });
  m.server.on('request', (req) => {
    if (req.url?.includes('/stream')) streamSockets.add(req.socket);
  });
  const res = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  expect(res.status).toBe(201);
});
afterAll(() => m?.stop());

let jobs = 0;
async function createJob() {
  jobs += 1;
  const res = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { streams: jobs } },
  });
  expect(res.status).toBe(201);
  return res.json as { uuid: string; token: string };
}

async function send(job: { uuid: string; token: string }, name: string, data?: unknown) {
  const res = await m.request('POST', '/messages', {
    key: m.keys.reporter,
    body: { uuid: job.uuid, name, token: job.token, ...(data === undefined ? {} : { data }) },
  });
  expect(res.status, res.text).toBe(200);
}

interface Seen {
  id: string;
  type: string;
  data: { seq: number; name: string; job_uuid?: string };
}

/**
 * An EventSource (the `eventsource` package, not our code) on `path` with the reader's key,
 * recording every event and the Last-Event-ID of each connection it makes.
 */
function watch(path: string, options: { key?: string | null } = {}) {
  const seen: Seen[] = [];
  const lastEventIds: (string | null)[] = [];
  const key = options.key === undefined ? m.keys.reader : options.key;
  const source = new EventSource(`${m.base}${path}`, {
    fetch: (input, init) => {
      const headers = new Headers(init.headers);
      lastEventIds.push(headers.get('last-event-id'));
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(input, { ...init, headers });
    },
  });
  const listener = (event: MessageEvent) => {
    seen.push({ id: event.lastEventId, type: event.type, data: JSON.parse(event.data as string) });
  };
  for (const name of ['create', 'run', 'update', 'finish', 'fail']) source.addEventListener(name, listener);
  return { source, seen, lastEventIds };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (${streamStats(m.services).open} streams open)`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('event streams over HTTP (Server-Sent Events)', () => {
  it("one job's stream: an EventSource cut off after 10 of 100 events reconnects with Last-Event-ID and has all 100 exactly once, in order", async () => {
    const job = await createJob();
    // A nonce scoped to the job, in the URL, as a browser's EventSource has to send it.
    const { nonce } = await createNonce(m.services, systemPrincipal('tests'), {
      role: 'reader',
      jobUuid: job.uuid as never,
    });
    const w = watch(`/jobs/${job.uuid}/events/stream?after=1&x-nonce=${nonce}`, { key: null });
    await until('the stream to open', () => w.source.readyState === EventSource.OPEN);
    const sending = (async () => {
      await send(job, 'run');
      for (let i = 1; i < 100; i += 1) await send(job, 'update', { i });
    })();
    await until('10 events', () => w.seen.length >= 10);
    // The connection drops: the EventSource reconnects by itself.
    cutStreams();
    await sending;
    await until('100 events', () => w.seen.length >= 100);
    await new Promise((r) => setTimeout(r, 300));
    w.source.close();
    expect(w.seen.map((e) => e.data.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(w.seen.map((e) => e.id)).toEqual(w.seen.map((e) => String(e.data.seq)));
    expect(w.seen[0]).toMatchObject({ type: 'run', data: { name: 'run' } });
    expect(w.lastEventIds[0]).toBeNull();
    expect(w.lastEventIds.length).toBeGreaterThanOrEqual(2);
    expect(Number(w.lastEventIds[1])).toBeGreaterThanOrEqual(11);
  });

  it('the global stream: cut off after 10 of 100 events across jobs, resumed with Last-Event-ID, has all 100 exactly once in commit order', async () => {
    const created = [await createJob(), await createJob(), await createJob(), await createJob()];
    const w = watch(`/events/stream?pipeline_uuid=${TACOBOT_PIPELINE}&event=run,update`);
    await until('the stream to open', () => w.source.readyState === EventSource.OPEN);
    const sent: string[] = [];
    const sending = (async () => {
      for (const job of created) {
        await send(job, 'run');
        sent.push(`${job.uuid}:2`);
      }
      for (let i = 0; i < 96; i += 1) {
        const job = created[i % 4] as { uuid: string; token: string };
        await send(job, 'update', { i });
        sent.push(`${job.uuid}:${3 + Math.floor(i / 4)}`);
      }
    })();
    await until('10 events', () => w.seen.length >= 10);
    cutStreams();
    await sending;
    await until('100 events', () => w.seen.length >= 100);
    await new Promise((r) => setTimeout(r, 300));
    w.source.close();
    expect(w.seen.map((e) => `${e.data.job_uuid}:${e.data.seq}`)).toEqual(sent);
    const ids = w.seen.map((e) => e.id.split('-').map(BigInt) as [bigint, bigint]);
    for (let i = 1; i < ids.length; i += 1) {
      const [a, b] = [ids[i - 1] as [bigint, bigint], ids[i] as [bigint, bigint]];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
    expect(w.lastEventIds[1]).toMatch(/^\d+-\d+$/);
  });

  it('a job stream with no resume point replays the whole history first, and the global filter leaves out what it does not ask for', async () => {
    const job = await createJob();
    await send(job, 'run');
    const all = watch(`/jobs/${job.uuid}/events/stream`);
    const finished = watch('/events/stream?state=FINISHED');
    await until('both open', () => all.source.readyState === 1 && finished.source.readyState === 1);
    await send(job, 'update');
    await send(job, 'finish');
    await until('four events', () => all.seen.length >= 4 && finished.seen.length >= 1);
    all.source.close();
    finished.source.close();
    expect(all.seen.map((e) => e.type)).toEqual(['create', 'run', 'update', 'finish']);
    expect(finished.seen.map((e) => [e.type, e.data.job_uuid])).toEqual([['finish', job.uuid]]);
  });

  it('a fourth stream of one credential is a 429 saying the cap, and one closed makes room', async () => {
    const job = await createJob();
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const open = [watch('/events/stream'), watch('/events/stream'), watch(`/jobs/${job.uuid}/events/stream`)];
    await until('three open', () => open.every((w) => w.source.readyState === EventSource.OPEN));
    const metrics = await m.request('GET', '/metrics', { key: m.keys.reader });
    expect(metrics.text).toMatch(/^pipelinejobs_event_streams_open 3$/m);
    const refused = await m.request('GET', '/events/stream', { key: m.keys.reader });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json.detail).toMatch(/3 event streams open, the most one may have \(3\): close one/);
    // Another credential has its own.
    const other = watch('/events/stream', { key: m.keys.agent });
    await until('the other open', () => other.source.readyState === EventSource.OPEN);
    other.source.close();
    open[0]?.source.close();
    await until('one closed', () => streamStats(m.services).open === 2);
    const again = watch('/events/stream');
    await until('room again', () => again.source.readyState === EventSource.OPEN);
    for (const w of [...open, again]) w.source.close();
  });

  it('refuses a bad resume point, an unknown filter value and a missing job with a problem, before any stream opens', async () => {
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const bad = await m.request('GET', '/events/stream?after=12', { key: m.keys.reader });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/not an event id of the global stream/);
    const state = await m.request('GET', '/events/stream?state=RUNING', { key: m.keys.reader });
    expect(state.status).toBe(400);
    expect(state.json.detail).toMatch(/'RUNING' is not a state/);
    const missing = await m.request('GET', '/jobs/107dead0-0000-4000-8000-000000000000/events/stream', {
      key: m.keys.reader,
    });
    expect([400, 404]).toContain(missing.status);
    const anonymous = await m.request('GET', '/events/stream', { key: null });
    expect(anonymous.status).toBe(401);
  });

  it("ends a deleted job's stream with a last comment; reconnecting then gets 410", async () => {
    const job = await createJob();
    const res = await fetch(`${m.base}/jobs/${job.uuid}/events/stream`, {
      headers: { authorization: `Bearer ${m.keys.reader}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const deleted = await m.request('DELETE', `/jobs/${job.uuid}?token=${m.adminToken()}`);
    expect(deleted.status, deleted.text).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^retry: 100\n\n/);
    expect(text).toContain('event: create\n');
    expect(text).toMatch(/: job \S+ was deleted: this stream ends\n\n$/);
    const again = await m.request('GET', `/jobs/${job.uuid}/events/stream`, { key: m.keys.reader });
    expect(again.status).toBe(410);
  });

  it('disconnects a consumer that never reads, with a last comment, its unsent bytes bounded; a consumer that reads gets heartbeats', async () => {
    const job = await createJob();
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const url = new URL(`${m.base}/jobs/${job.uuid}/events/stream`);
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    const serverSide = new Promise<import('node:net').Socket>((resolve) => {
      m.server.on('request', (req) => {
        if (req.socket.remotePort === socket.localPort) resolve(req.socket);
      });
    });
    socket.write(
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${m.keys.reader}\r\n\r\n`,
    );
    // Never read: TCP's buffers fill, then the Manager's would.
    socket.pause();
    const server = await serverSide;
    await until('the stream open', () => streamStats(m.services).open === 1);
    // A stream that reads, of a job with no traffic.
    const quiet = await createJob();
    const heartbeats = await fetch(`${m.base}/jobs/${quiet.uuid}/events/stream?after=1`, {
      headers: { authorization: `Bearer ${m.keys.agent}` },
    });
    const reader = heartbeats.body?.getReader();
    const big = { blob: 'x'.repeat(60_000) };
    await send(job, 'run');
    let sent = 0;
    while (streamStats(m.services).open > 1 && sent < 2000) {
      await send(job, 'update', big);
      sent += 1;
    }
    expect(sent).toBeLessThan(2000);
    // What the Manager held for it when it gave up: at most the bound and the event that crossed it.
    expect(server.writableLength).toBeLessThanOrEqual(MAX_BUFFERED + 2 * 61_000);
    // Read now, within the second it is given: everything sent, then the last comment, then the end.
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise((resolve) => socket.once('close', resolve));
    socket.resume();
    await ended;
    expect(received).toContain(
      ': disconnected: more than 16384 bytes were waiting to be read; reconnect with Last-Event-ID to resume\n\n',
    );
    // The response ended (chunked: the last chunk), not just cut.
    expect(received.endsWith('0\r\n\r\n')).toBe(true);
    const first = await reader?.read().catch((e: unknown) => {
      throw new Error('the quiet stream broke before its first read', { cause: e });
    });
    expect(new TextDecoder().decode(first?.value)).toContain('retry: 100');
    let text = '';
    while (!text.includes(': heartbeat')) {
      const chunk = await reader?.read().catch((e: unknown) => {
        throw new Error(`the stream broke after: ${JSON.stringify(text)}`, { cause: e });
      });
      if (!chunk || chunk.done) throw new Error(`the stream ended: ${text}`);
      text += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    await until('no stream left', () => streamStats(m.services).open === 0);
    console.log(`slow consumer disconnected after ${sent} events of ${big.blob.length} bytes`);
  });

  it('client.watch(): resumes across a cut connection with Last-Event-ID, each event once in order, and `break` closes the stream', async () => {
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const job = await createJob();
    const client = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.reader } });
    const reconnects: (string | undefined)[] = [];
    const seqs: number[] = [];
    const watching = (async () => {
      for await (const e of client.watch({
        job: job.uuid,
        onReconnect: (info) => reconnects.push(info.lastEventId),
      })) {
        seqs.push(e.data.seq);
        expect(e.id).toBe(String(e.data.seq));
        if (seqs.length === 10) cutStreams();
        if (seqs.length === 30) break;
      }
    })();
    await send(job, 'run');
    for (let i = 0; i < 28; i += 1) await send(job, 'update', { i });
    await watching;
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // One reconnection, resumed after the last event read before the cut (those already in the
    // buffer when the connection dropped were read too).
    expect(reconnects).toHaveLength(1);
    expect(Number(reconnects[0])).toBeGreaterThanOrEqual(10);
    await until('the stream closed by break', () => streamStats(m.services).open === 0, 5000);
    // The global stream, filtered, from a given place.
    const global: string[] = [];
    const other = await createJob();
    for await (const e of client.watch({ event: 'create', pipeline_uuid: TACOBOT_PIPELINE, after: '0-0' })) {
      global.push(e.data.job_uuid as string);
      if (e.data.job_uuid === other.uuid) break;
    }
    expect(global).toContain(job.uuid);
    expect(global.at(-1)).toBe(other.uuid);
  });

  it('streams a transition written by a process that neither tells nor is told (no NOTIFY), by polling, within the poll interval', async () => {
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const job = await createJob();
    const w = watch('/events/stream?event=run');
    await until('the stream open', () => w.source.readyState === EventSource.OPEN);
    // Another process's pool, writing the transition with storage alone: no wake-up of any kind.
    const other = await openDatabase({ url: m.url, poolSize: 1 }, { migrate: false });
    try {
      const sent = performance.now();
      await applyEvent(
        other,
        { jobUuid: job.uuid as never, name: 'run', source: 'json', actor: { kind: 'cli', id: 'elsewhere' } },
        () => {},
      );
      await until('the event', () => w.seen.length === 1, 5000);
      const lag = performance.now() - sent;
      expect(w.seen[0]?.data).toMatchObject({ job_uuid: job.uuid, seq: 2, name: 'run' });
      // PIPELINEJOBS_STREAM_POLL is 300 ms here.
      expect(lag).toBeLessThan(1000);
    } finally {
      w.source.close();
      await other.close();
    }
  });
});
