import { request as httpRequest } from 'node:http';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { createApiKey, createNonce, revokeApiKey, streamStats, systemPrincipal } from '@pipelinejobs/service';
import { openDatabase } from '@pipelinejobs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

let m: Manager;
const TESTS = systemPrincipal('tests');

beforeAll(async () => {
  m = await startManager({
    streams: { perCredential: 50, retryMs: 100, heartbeatMs: 200, pollMs: 200 },
  });
  const res = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  expect(res.status).toBe(201);
});
afterAll(() => m?.stop());

let jobs = 0;
async function createJob(data: unknown = undefined) {
  jobs += 1;
  const res = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: data ?? { redTeam: jobs } },
  });
  expect(res.status, res.text).toBeLessThan(300);
  return res.json as { uuid: string; token: string };
}

async function send(job: { uuid: string; token: string }, name: string, data?: unknown) {
  const res = await m.request('POST', '/messages', {
    key: m.keys.reporter,
    body: { uuid: job.uuid, name, token: job.token, ...(data === undefined ? {} : { data }) },
  });
  expect(res.status, res.text).toBe(200);
}

/** A stream read as text in the background, over a real socket. */
async function open(path: string, key: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${m.base}${path}`, {
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    signal: controller.signal,
  });
  const state = { text: '', done: false };
  if (res.status === 200 && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          state.text += decoder.decode(chunk.value);
        }
      } catch {
        // aborted
      }
      state.done = true;
    })();
  }
  return { res, state, close: () => controller.abort() };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function events(text: string): { id: string; event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('\ndata: '))
    .map((block) => {
      const lines = block.split('\n');
      const get = (k: string) => lines.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2) ?? '';
      return { id: get('id'), event: get('event'), data: JSON.parse(get('data')) as Record<string, unknown> };
    });
}

describe('event streams, red team', () => {
  it('a stream of an API key revoked while it is open ends, and carries no event written after the revocation', async () => {
    const { key, record } = await createApiKey(m.services, TESTS, { role: 'reader', label: 'to revoke' });
    const job = await createJob();
    const global = await open('/events/stream', key);
    const one = await open(`/jobs/${job.uuid}/events/stream`, key);
    expect([global.res.status, one.res.status]).toEqual([200, 200]);
    await send(job, 'run');
    await until(
      'the run on both',
      () => global.state.text.includes('event: run') && one.state.text.includes('event: run'),
    );
    await revokeApiKey(m.services, TESTS, record.id);
    // A fresh request with the key is refused at once.
    const refused = await m.request('GET', '/events/stream', { key });
    expect(refused.status).toBe(401);
    await sleep(300);
    await send(job, 'update', { after: 'revocation' });
    await until('both streams ended', () => global.state.done && one.state.done, 3000).catch(() => {});
    global.close();
    one.close();
    expect(global.state.text).not.toContain('"revocation"');
    expect(one.state.text).not.toContain('"revocation"');
    expect(global.state.done && one.state.done).toBe(true);
  });

  it('a stream opened with a nonce ends when the nonce expires', async () => {
    const job = await createJob();
    const { nonce } = await createNonce(m.services, TESTS, {
      role: 'reader',
      jobUuid: job.uuid as never,
      expiresInSeconds: 1,
    });
    const stream = await open(`/jobs/${job.uuid}/events/stream?x-nonce=${nonce}`, '');
    expect(stream.res.status).toBe(200);
    await until('the stream to end', () => stream.state.done, 4000);
    expect(stream.state.text).toMatch(/revoked or expired: this stream ends\n\n$/);
  });

  it("the global stream replayed from the start leaves out a deleted job's history, as GET /jobs/:uuid/history does (410)", async () => {
    const job = await createJob({ secretish: 'deleted-job-data' });
    await send(job, 'run');
    const deleted = await m.request('DELETE', `/jobs/${job.uuid}?token=${m.adminToken()}`);
    expect(deleted.status, deleted.text).toBe(200);
    const history = await m.request('GET', `/jobs/${job.uuid}/history`, { key: m.keys.reader });
    expect(history.status).toBe(410);
    const marker = await createJob({ marker: true });
    const replay = await open('/events/stream?after=0-0', m.keys.reader);
    await until('the marker', () => replay.state.text.includes(marker.uuid));
    replay.close();
    const seen = events(replay.state.text);
    expect(seen.filter((e) => e.data.job_uuid === job.uuid)).toEqual([]);
    expect(replay.state.text).not.toContain('deleted-job-data');
  });

  it("a job's stream does not carry on with the history of a job force-deleted and created again with the same uuid", async () => {
    const body = { recreated: Date.now() };
    const first = await createJob(body);
    await send(first, 'run');
    await send(first, 'update', { old: 1 });
    await send(first, 'update', { old: 2 });
    const stream = await open(`/jobs/${first.uuid}/events/stream`, m.keys.reader);
    await until('the old history', () => events(stream.state.text).length === 4);
    const del = await m.request('DELETE', `/jobs/${first.uuid}?force=true&token=${m.adminToken()}`);
    expect(del.status, del.text).toBe(200);
    const second = await createJob(body);
    expect(second.uuid).toBe(first.uuid);
    await send(second, 'run');
    for (let i = 0; i < 4; i += 1) await send(second, 'update', { fresh: i });
    await sleep(800);
    stream.close();
    const seen = events(stream.state.text);
    // Either the stream ended (the job it streamed is gone) or it shows the new job from its
    // create; never the new job's seq 5 onwards as if it followed the old job's seq 4.
    expect(stream.state.text).not.toContain('"fresh"');
    expect(seen.map((e) => e.data.seq)).toEqual([1, 2, 3, 4]);
    expect(stream.state.text).toMatch(/was deleted: this stream ends/);
    // Resuming the old job's stream (Last-Event-ID 4) on the new job, which has 6 events: the
    // resumed stream must not skip the new job's first four as if they were the old one's.
    const third = await createJob({ recreatedShort: Date.now() });
    const resumed = await open(`/jobs/${third.uuid}/events/stream`, m.keys.reader, { 'last-event-id': '4' });
    // The job has one event: an id past its last event cannot be a place in its history.
    expect(resumed.res.status).toBe(400);
    resumed.close();
  });

  it("a job's stream is not held back by a transaction left open elsewhere on the database", async () => {
    const job = await createJob();
    const stream = await open(`/jobs/${job.uuid}/events/stream`, m.keys.reader);
    await until('the create', () => stream.state.text.includes('event: create'));
    // Another client of the database, in a transaction that took an id and does nothing more.
    const conn = await openDatabase({ url: m.url, poolSize: 1 }, { migrate: false });
    const reserved = await conn.sql.reserve();
    try {
      await reserved`begin`;
      await reserved`select pg_current_xact_id()`;
      await send(job, 'run');
      await until(
        'the run, with a transaction open elsewhere',
        () => stream.state.text.includes('event: run'),
        3000,
      );
    } finally {
      await reserved`rollback`;
      reserved.release();
      await conn.close();
      stream.close();
    }
  });

  it('a HEAD request answers the headers and ends: it holds no stream open', async () => {
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const url = new URL(`${m.base}/events/stream`);
    const status = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        {
          method: 'HEAD',
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { authorization: `Bearer ${m.keys.reader}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] }));
        },
      );
      req.on('error', reject);
      req.setTimeout(2000, () => req.destroy(new Error('HEAD did not end')));
      req.end();
    });
    expect(status.status).toBe(200);
    expect(status.type).toBe('text/event-stream; charset=utf-8');
    await sleep(100);
    expect(streamStats(m.services).open).toBe(0);
  });

  it("a global stream resumed from a place past the stream's newest is refused, not left silent", async () => {
    for (const after of ['99999999999-1', '99999999999999999999-1']) {
      const res = await open(`/events/stream?after=${after}`, m.keys.reader);
      expect(res.res.status, after).toBe(400);
      const body = (await res.res.json()) as { detail: string };
      res.close();
      expect(body.detail).toMatch(/past every event|not an event id/);
    }
  });
});

describe('event streams, red team: what held', () => {
  it("a nonce scoped to one job opens neither another job's stream nor the global stream; a used-up nonce opens none", async () => {
    const [a, b] = [await createJob(), await createJob()];
    const { nonce } = await createNonce(m.services, TESTS, {
      role: 'reader',
      jobUuid: a.uuid as never,
      maxUses: 2,
    });
    const other = await m.request('GET', `/jobs/${b.uuid}/events/stream?x-nonce=${nonce}`, { key: null });
    expect([401, 403]).toContain(other.status);
    const global = await m.request('GET', `/events/stream?x-nonce=${nonce}`, { key: null });
    expect([401, 403]).toContain(global.status);
    // The refusals spent no use: two connections open.
    const first = await open(`/jobs/${a.uuid}/events/stream?x-nonce=${nonce}`, '');
    const second = await open(`/jobs/${a.uuid}/events/stream?x-nonce=${nonce}`, '');
    expect([first.res.status, second.res.status]).toEqual([200, 200]);
    first.close();
    second.close();
    const third = await m.request('GET', `/jobs/${a.uuid}/events/stream?x-nonce=${nonce}`, { key: null });
    expect([401, 403]).toContain(third.status);
    expect(third.json.detail).toMatch(/use/);
  });

  it('a streamed entry is what GET /jobs/:uuid/history gives the same principal (the global one with its job and pipeline), nothing more', async () => {
    const job = await createJob({ compare: Date.now() });
    await send(job, 'run', { note: 'compare' });
    const history = await m.request('GET', `/jobs/${job.uuid}/history`, { key: m.keys.reader });
    expect(history.status).toBe(200);
    const items = (history.json as { items?: unknown[] }).items ?? (history.json as unknown as unknown[]);
    const one = await open(`/jobs/${job.uuid}/events/stream`, m.keys.reader);
    const all = await open('/events/stream?after=0-0', m.keys.reader);
    await until(
      'both',
      () =>
        events(one.state.text).length >= 2 &&
        all.state.text.includes(`"seq":2,`) &&
        events(all.state.text).some((e) => e.data.job_uuid === job.uuid && e.data.seq === 2),
    );
    one.close();
    all.close();
    expect(events(one.state.text).map((e) => e.data)).toEqual(items);
    const mine = events(all.state.text).filter((e) => e.data.job_uuid === job.uuid);
    expect(mine.map((e) => e.data)).toEqual(
      (items as Record<string, unknown>[]).map((i) => ({
        job_uuid: job.uuid,
        pipeline_uuid: TACOBOT_PIPELINE,
        ...i,
      })),
    );
    expect(one.state.text).not.toContain(job.token);
    expect(all.state.text).not.toContain(job.token);
  });

  it('300 streams opened and dropped at once leave no stream counted, no credential counted, no LISTEN connection', async () => {
    await until('earlier streams closed', () => streamStats(m.services).open === 0);
    const job = await createJob();
    const { key } = await createApiKey(m.services, TESTS, { role: 'reader', label: 'churn' });
    const churn = async (i: number) => {
      const controller = new AbortController();
      const path = i % 2 === 0 ? '/events/stream' : `/jobs/${job.uuid}/events/stream`;
      const opening = fetch(`${m.base}${path}`, {
        headers: { authorization: `Bearer ${key}` },
        signal: controller.signal,
      }).catch(() => undefined);
      // Dropped before, during or after the opening.
      setTimeout(() => controller.abort(), i % 7);
      const res = await opening;
      await res?.text().catch(() => undefined);
    };
    // 30 at a time: the Manager takes 100 connections per address (PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS).
    for (let round = 0; round < 10; round += 1) {
      await Promise.all(Array.from({ length: 30 }, (_, i) => churn(i + round)));
    }
    // Every churned request ended on the client's side; on a loaded machine the Manager may
    // still be opening one whose client left (and closes it when it sees the socket gone): no
    // stream for a whole second, then.
    for (let quiet = Date.now(); Date.now() - quiet < 1000; await sleep(20)) {
      if (streamStats(m.services).open !== 0) {
        await until('no stream left', () => streamStats(m.services).open === 0, 10_000);
        quiet = Date.now();
      }
    }
    // The credential's count is gone too: it may open its 50 again (one after another: the
    // client keeps the churn's connections alive a while).
    const again: Awaited<ReturnType<typeof open>>[] = [];
    for (let i = 0; i < 50; i += 1) again.push(await open('/events/stream', key));
    expect(again.map((s) => s.res.status)).toEqual(Array(50).fill(200));
    for (const s of again) s.close();
    await until('no stream left', () => streamStats(m.services).open === 0, 10_000);
    await sleep(300);
    const conn = await openDatabase({ url: m.url, poolSize: 1 }, { migrate: false });
    try {
      const [listening] = await conn.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and query ilike '%pipelinejobs_events%' and pid <> pg_backend_pid()`;
      expect(listening?.n).toBe(0);
    } finally {
      await conn.close();
    }
  });

  it("an HTTP/1.0 client gets the stream, unchunked, and the end of a deleted job's stream closes its connection", async () => {
    const job = await createJob();
    const { connect } = await import('node:net');
    const url = new URL(m.base);
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      `GET /jobs/${job.uuid}/events/stream HTTP/1.0\r\nAuthorization: Bearer ${m.keys.reader}\r\n\r\n`,
    );
    await until('the create', () => text.includes('event: create'));
    const deleted = await m.request('DELETE', `/jobs/${job.uuid}?token=${m.adminToken()}`);
    expect(deleted.status).toBe(200);
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.toLowerCase()).not.toContain('transfer-encoding: chunked');
    expect(text).toMatch(/was deleted: this stream ends\n\n$/);
  });
});

describe('client.watch(), red team', () => {
  it('reconnecting again and again does not pile up listeners on its signal (a long-running watcher leaks nothing)', async () => {
    const { createClient } = await import('@pipelinejobs/client');
    const job = await createJob();
    await send(job, 'run');
    // The abort listeners on each signal, counted as they are added and removed (the platform's
    // EventTarget, watched; the client's code runs as it is).
    const listening = new Map<EventTarget, number>();
    let most = 0;
    const { addEventListener, removeEventListener } = EventTarget.prototype;
    EventTarget.prototype.addEventListener = function (this: EventTarget, type, ...rest) {
      if (type === 'abort' && this instanceof AbortSignal) {
        const n = (listening.get(this) ?? 0) + 1;
        listening.set(this, n);
        most = Math.max(most, n);
      }
      return addEventListener.call(this, type, ...rest);
    } as typeof addEventListener;
    EventTarget.prototype.removeEventListener = function (this: EventTarget, type, ...rest) {
      if (type === 'abort' && this instanceof AbortSignal)
        listening.set(this, (listening.get(this) ?? 1) - 1);
      return removeEventListener.call(this, type, ...rest);
    } as typeof removeEventListener;
    // Every stream connection is cut 250 ms after it arrives.
    const cut = (req: import('node:http').IncomingMessage) => {
      if (req.url?.includes('/stream')) setTimeout(() => req.socket.destroy(), 250);
    };
    m.server.on('request', cut);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i += 1) {
        await send(job, 'update', { i });
        await sleep(20);
      }
    })();
    const reconnects: string[] = [];
    const seqs: number[] = [];
    try {
      const client = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.reader } });
      const user = new AbortController();
      for await (const e of client.watch({
        job: job.uuid,
        signal: user.signal,
        onReconnect: (info) => reconnects.push(String(info.lastEventId)),
      })) {
        seqs.push(e.data.seq);
        if (reconnects.length >= 14) break;
      }
    } finally {
      writing = false;
      await writer;
      m.server.off('request', cut);
      EventTarget.prototype.addEventListener = addEventListener;
      EventTarget.prototype.removeEventListener = removeEventListener;
    }
    expect(reconnects.length).toBeGreaterThanOrEqual(14);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    // One reconnection's wait at a time: not one more left behind per reconnection.
    expect(most).toBeLessThan(5);
  }, 60_000);
});

describe('two Managers, red team', () => {
  it('a global stream on one Manager, cut every 100 ms and resumed by client.watch(), has each of 240 transitions written concurrently through both Managers once, each job in seq order', async () => {
    const { createClient } = await import('@pipelinejobs/client');
    const other = await startManager({ sharedDatabaseUrl: m.url, streams: { retryMs: 50, pollMs: 200 } });
    try {
      const made = await Promise.all(
        Array.from({ length: 8 }, (_, i) => createJob({ twoManagers: i, at: Date.now() })),
      );
      const cut = (req: import('node:http').IncomingMessage) => {
        if (req.url?.includes('/stream')) setTimeout(() => req.socket.destroy(), 100);
      };
      other.server.on('request', cut);
      const client = createClient({ baseUrl: other.base, credentials: { apiKey: m.keys.reader } });
      const seen: { job: string; seq: number; id: string }[] = [];
      const mine = new Set(made.map((j) => j.uuid));
      const total = 8 * 30;
      let reconnects = 0;
      const watching = (async () => {
        for await (const e of client.watch({
          event: ['run', 'update'],
          after: '0-0',
          onReconnect: () => {
            reconnects += 1;
          },
        })) {
          if (!mine.has(e.data.job_uuid as string)) continue;
          seen.push({ job: e.data.job_uuid as string, seq: e.data.seq, id: e.id });
          if (seen.length >= total) break;
        }
      })();
      // Each job's transitions through one Manager or the other, all jobs at once.
      await Promise.all(
        made.map(async (job, j) => {
          for (let i = 0; i < 30; i += 1) {
            const via = (i + j) % 2 === 0 ? m : other;
            const res = await via.request('POST', '/messages', {
              key: m.keys.reporter,
              body: { uuid: job.uuid, token: job.token, name: i === 0 ? 'run' : 'update', data: { i } },
            });
            expect(res.status, res.text).toBe(200);
          }
        }),
      );
      await Promise.race([
        watching,
        sleep(20_000).then(() => {
          throw new Error(`only ${seen.length} of ${total} after 20 s`);
        }),
      ]);
      other.server.off('request', cut);
      const keys = seen.map((e) => `${e.job}:${e.seq}`);
      expect(new Set(keys).size).toBe(total);
      for (const job of made) {
        expect(seen.filter((e) => e.job === job.uuid).map((e) => e.seq)).toEqual(
          Array.from({ length: 30 }, (_, i) => i + 2),
        );
      }
      const ids = seen.map((e) => e.id.split('-').map(BigInt) as [bigint, bigint]);
      for (let i = 1; i < ids.length; i += 1) {
        const [a, b] = [ids[i - 1] as [bigint, bigint], ids[i] as [bigint, bigint]];
        expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
      }
      expect(reconnects).toBeGreaterThanOrEqual(2);
      console.log(`two Managers: ${total} transitions over ${reconnects + 1} connections`);
    } finally {
      await other.stop();
    }
  }, 60_000);
});

describe('bearer JWTs, red team', () => {
  it("a stream opened with a JWT ends at the token's expiry", async () => {
    // The issuer's verification stands in (its `exp` read as createJwtVerifier reads it: the
    // auth package's tests); the Manager's authentication and streams run as they are.
    const expiresAt = new Date(Date.now() + 1500);
    const jwt: import('@pipelinejobs/auth').JwtVerifier = async (token) =>
      token === 'short.lived.jwt'
        ? { ok: true, subject: 'short-lived', role: 'reader', expiresAt }
        : { ok: false, code: 'unauthenticated', message: 'not this one' };
    const withJwt = await startManager({ jwt, streams: { pollMs: 200, heartbeatMs: 200 } });
    try {
      const res = await fetch(`${withJwt.base}/events/stream`, {
        headers: { authorization: 'Bearer short.lived.jwt' },
      });
      expect(res.status).toBe(200);
      const text = await Promise.race([
        res.text(),
        sleep(5000).then(() => 'still open 3.5 s after the expiry'),
      ]);
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
      expect(text).toMatch(/revoked or expired: this stream ends\n\n$/);
    } finally {
      await withJwt.stop();
    }
  });
});
