import { verifyWebhook } from '@pipelinejobs/client';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { validate } from '@pipelinejobs/schemas';
import { createTestServices } from '@pipelinejobs/service/testing';
import { openDatabase } from '@pipelinejobs/storage';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Received, type Receiver, startReceiver } from '../../../test/webhook-receiver.js';
import { startDelivering } from '../src/dispatch.js';
import { createLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { type Manager, startManager } from './harness.js';

/** Fast retries so a receiver's outage lasts seconds, not hours. */
const WEBHOOKS = { allowPrivate: true, retryScheduleMs: Array(40).fill(100), pollMs: 200, timeoutMs: 2000 };

let m: Manager;
const receivers: Receiver[] = [];

beforeAll(async () => {
  m = await startManager({ webhooks: WEBHOOKS });
  const res = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await m.stop();
  for (const r of receivers) await r.stop();
});

async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function subscribe(body: Record<string, unknown>) {
  const res = await m.request('POST', '/subscriptions', { body });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; secret: string; filter: Record<string, unknown> };
}

let jobs = 0;
async function createJob() {
  jobs += 1;
  const res = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { notifications: jobs } },
  });
  expect(res.status).toBe(201);
  return res.json as { uuid: string; token: string };
}

async function send(job: { uuid: string; token: string }, name: string) {
  return m.request('POST', '/messages', {
    key: m.keys.reporter,
    body: { uuid: job.uuid, name, token: job.token },
  });
}

/** Waits until `n` deliveries are recorded (a 2xx is recorded a few ms after it was answered). */
async function recorded(subscription: string, n: number) {
  await eventually(`${n} deliveries recorded`, async () => {
    const log = await m.request('GET', `/subscriptions/${subscription}/deliveries`);
    return (
      (log.json.deliveries as { outcome: string }[]).filter((d) => d.outcome === 'delivered').length >= n
    );
  });
}

const bodyOf = (r: Received) => JSON.parse(r.body) as { job_uuid: string; seq: number; event_name: string };
const header = (r: Received, name: string) => String(r.headers[name]);

describe('notifications over HTTP', () => {
  it('signs each notification so that the official standardwebhooks package verifies it', async () => {
    const hook = await receiver();
    const sub = await subscribe({ url: hook.url, description: 'signatures' });
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const job = await createJob();
    await send(job, 'run');
    await eventually('two notifications', () => hook.accepted().length >= 2);
    const verifier = new Webhook(sub.secret);
    for (const r of hook.received) {
      const payload = verifier.verify(r.body, r.headers as Record<string, string>) as Record<string, unknown>;
      expect(validate('webhook-notification', payload).ok).toBe(true);
      expect(header(r, 'webhook-id')).toBe(payload.event_uuid);
    }
    const [created, run] = hook.received.map(bodyOf);
    expect(created).toMatchObject({ job_uuid: job.uuid, seq: 1, event_name: 'create', job_state: 'CREATED' });
    expect(run).toMatchObject({
      job_uuid: job.uuid,
      seq: 2,
      event_name: 'run',
      job_state: 'RUNNING',
      data: { last_event: 'run' },
      from: 'CREATED',
      to: 'RUNNING',
      principal_kind: 'api_key',
      pipeline_uuid: TACOBOT_PIPELINE,
    });
    const r = hook.received[1] as Received;
    const h = r.headers as Record<string, string>;
    // Our verifier accepts what the official package accepts, from a string or the raw bytes.
    expect(await verifyWebhook(sub.secret, h, r.body)).toEqual(JSON.parse(r.body));
    expect(await verifyWebhook(sub.secret, new Headers(h), new TextEncoder().encode(r.body))).toMatchObject({
      seq: 2,
    });
    // A byte changed, an old timestamp, another secret, another id: refused by both.
    const other = await subscribe({
      url: hook.url,
      filter: { job_uuid: '107aaaaa-1eae-5e79-8a18-0a480f8aa3a5' },
    });
    const old = String(Number(h['webhook-timestamp']) - 600);
    const forged: [string, Record<string, string>, string, string][] = [
      [`${r.body.slice(0, -1)} }`, h, sub.secret, 'bad_signature'],
      [r.body.replace('"seq":2', '"seq":3'), h, sub.secret, 'bad_signature'],
      [r.body, { ...h, 'webhook-timestamp': old }, sub.secret, 'stale_timestamp'],
      [r.body, h, other.secret, 'bad_signature'],
      [r.body, { ...h, 'webhook-id': `${h['webhook-id']}x` }, sub.secret, 'bad_signature'],
    ];
    for (const [body, headers, secret, code] of forged) {
      expect(() => new Webhook(secret).verify(body, headers)).toThrow();
      await expect(verifyWebhook(secret, headers, body)).rejects.toMatchObject({ code });
    }
    // The tolerance is the receiver's to choose; the signature covers the timestamp.
    await expect(
      verifyWebhook(sub.secret, { ...h, 'webhook-timestamp': old }, r.body, { toleranceSeconds: 900 }),
    ).rejects.toMatchObject({ code: 'bad_signature' });
    const { 'webhook-signature': _dropped, ...unsigned } = h;
    await expect(verifyWebhook(sub.secret, unsigned, r.body)).rejects.toMatchObject({
      code: 'missing_headers',
    });
    // Several secrets on the receiver's side (its own rotation): any one that matches.
    expect(await verifyWebhook([other.secret, sub.secret], h, r.body)).toMatchObject({ seq: 2 });
    await m.request('DELETE', `/subscriptions/${sub.id}`);
    await m.request('DELETE', `/subscriptions/${other.id}`);
  });

  it('delivers every transition of 3 jobs x 50 once each, in seq order per job, to a receiver that was down, then failing', async () => {
    const hook = await receiver(() => 500);
    await hook.down();
    const sub = await subscribe({ url: hook.url, filter: { events: ['update'] } });
    const three = await Promise.all([createJob(), createJob(), createJob()]);
    await Promise.all(three.map((job) => send(job, 'run')));
    // 50 updates per job, the three jobs at once.
    await Promise.all(
      three.map(async (job) => {
        for (let i = 0; i < 50; i++) expect((await send(job, 'update')).status).toBe(200);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await hook.up();
    await eventually('a few failed attempts', () => hook.received.length >= 6);
    hook.answer(() => 200);
    await eventually('150 notifications', () => hook.accepted().length >= 150, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const accepted = hook.accepted();
    const ids = accepted.map((r) => header(r, 'webhook-id'));
    expect(ids).toHaveLength(150);
    expect(new Set(ids).size).toBe(150);
    for (const job of three) {
      const seqs = accepted
        .map(bodyOf)
        .filter((b) => b.job_uuid === job.uuid)
        .map((b) => b.seq);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 3));
    }
    // Every request, failed ones included, was sent in order per job: a later one never before an earlier one succeeded.
    for (const job of three) {
      const seqs = hook.received
        .map(bodyOf)
        .filter((b) => b.job_uuid === job.uuid)
        .map((b) => b.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    }
    const log = await m.request('GET', `/subscriptions/${sub.id}/deliveries?limit=1000`);
    const deliveries = log.json.deliveries as {
      outcome: string;
      status_code: number | null;
      error: string | null;
    }[];
    expect(deliveries.filter((d) => d.outcome === 'delivered')).toHaveLength(150);
    expect(deliveries.some((d) => d.status_code === 500)).toBe(true);
    expect(deliveries.some((d) => d.status_code === null && /ECONNREFUSED/.test(d.error ?? ''))).toBe(true);
    await m.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it('delivers nothing twice with two dispatchers on one database', async () => {
    const hook = await receiver();
    // A second dispatcher with a pool of its own, as another Manager would run.
    const db = await openDatabase({ url: m.url, poolSize: 5 }, { migrate: false });
    const other = createTestServices(db, { webhooks: WEBHOOKS });
    const second = startDelivering(other, createMetrics(), createLogger('silent'));
    try {
      const sub = await subscribe({ url: hook.url, filter: { events: ['update'] } });
      const four = await Promise.all([createJob(), createJob(), createJob(), createJob()]);
      await Promise.all(four.map((job) => send(job, 'run')));
      await Promise.all(
        four.map(async (job) => {
          for (let i = 0; i < 25; i++) await send(job, 'update');
        }),
      );
      await eventually('100 notifications', () => hook.accepted().length >= 100);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ids = hook.received.map((r) => header(r, 'webhook-id'));
      expect(ids).toHaveLength(100);
      expect(new Set(ids).size).toBe(100);
      for (const job of four) {
        const seqs = hook.received
          .map(bodyOf)
          .filter((b) => b.job_uuid === job.uuid)
          .map((b) => b.seq);
        expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 3));
      }
      await m.request('DELETE', `/subscriptions/${sub.id}`);
    } finally {
      await second.stop();
      await db.close();
    }
  });

  it('sends no notification for an event the state machine refuses', async () => {
    const hook = await receiver();
    const job = await createJob();
    const sub = await subscribe({ url: hook.url, filter: { job_uuid: job.uuid } });
    expect((await send(job, 'finish')).status).toBe(409);
    expect((await send(job, 'run')).status).toBe(200);
    await eventually('the run', () => hook.accepted().length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(hook.received.map(bodyOf).map((b) => b.event_name)).toEqual(['run']);
    await m.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it('replays everything since a time, with the same webhook-ids, and redelivers one', async () => {
    const hook = await receiver();
    const job = await createJob();
    const sub = await subscribe({ url: hook.url, filter: { job_uuid: job.uuid } });
    await send(job, 'run');
    await send(job, 'update');
    await eventually('two notifications', () => hook.accepted().length >= 2);
    await recorded(sub.id, 2);
    const first = hook.received.map((r) => header(r, 'webhook-id'));
    const replay = await m.request('POST', `/subscriptions/${sub.id}/replay`, {
      body: { since: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(replay.status, replay.text).toBe(202);
    // The create came before the subscription existed: a replay sends it too.
    expect(replay.json).toEqual({ queued: 3 });
    await eventually('the replay', () => hook.accepted().length >= 5);
    const replayed = hook.received.slice(2);
    expect(replayed.map(bodyOf).map((b) => b.seq)).toEqual([1, 2, 3]);
    expect(replayed.slice(1).map((r) => header(r, 'webhook-id'))).toEqual(first);
    const again = await m.request('POST', `/subscriptions/${sub.id}/redeliver`, {
      body: { job_uuid: job.uuid, seq: 2 },
    });
    expect(again.status, again.text).toBe(202);
    await eventually('the redelivery', () => hook.accepted().length >= 6);
    expect(header(hook.received[5] as Received, 'webhook-id')).toBe(first[0]);
    const bad = await m.request('POST', `/subscriptions/${sub.id}/replay`, { body: { since: 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/since/);
    await m.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it('disables a subscription whose receiver answers 410; once enabled it sends what was pending, and a replay fills the gap', async () => {
    const hook = await receiver(() => 410);
    const since = new Date(Date.now() - 1000).toISOString();
    const job = await createJob();
    const sub = await subscribe({ url: hook.url, filter: { job_uuid: job.uuid } });
    await send(job, 'run');
    await eventually('the 410', () => hook.received.length >= 1);
    await eventually('disabled', async () => {
      const got = await m.request('GET', `/subscriptions/${sub.id}`);
      return got.json.enabled === false;
    });
    const got = await m.request('GET', `/subscriptions/${sub.id}`);
    expect(got.json.disabled_reason).toMatch(/410/);
    // A disabled subscription is sent nothing, and gets no new notification.
    await send(job, 'update');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(hook.received).toHaveLength(1);
    hook.answer(() => 200);
    const enabled = await m.request('PATCH', `/subscriptions/${sub.id}`, { body: { enabled: true } });
    expect(enabled.json).toMatchObject({ enabled: true, disabled_reason: null });
    await eventually('the pending one', () => hook.accepted().length >= 1);
    expect(
      hook
        .accepted()
        .map(bodyOf)
        .map((b) => b.seq),
    ).toEqual([2]);
    await recorded(sub.id, 1);
    const replay = await m.request('POST', `/subscriptions/${sub.id}/replay`, { body: { since } });
    expect(replay.json).toEqual({ queued: 3 });
    await eventually('the replay', () => hook.accepted().length >= 4);
    expect(
      hook
        .accepted()
        .map(bodyOf)
        .map((b) => b.seq),
    ).toEqual([2, 1, 2, 3]);
    await m.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it("waits as long as the receiver's Retry-After asks, rather than the schedule's 100 ms", async () => {
    let answers = 0;
    const hook = await receiver(() => {
      answers += 1;
      return answers === 1 ? { status: 503, headers: { 'retry-after': '1' } } : 200;
    });
    const job = await createJob();
    const sub = await subscribe({ url: hook.url, filter: { job_uuid: job.uuid } });
    const sent = Date.now();
    await send(job, 'run');
    await eventually('the retry', () => hook.accepted().length >= 1);
    // +-10% of the 1 s asked for, at least.
    expect(Date.now() - sent).toBeGreaterThanOrEqual(900);
    expect(hook.received.map((r) => header(r, 'webhook-id'))).toEqual([
      header(hook.received[0] as Received, 'webhook-id'),
      header(hook.received[0] as Received, 'webhook-id'),
    ]);
    await m.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it('signs with both secrets after a rotation, so a receiver with either verifies', async () => {
    const hook = await receiver();
    const job = await createJob();
    const sub = await subscribe({ url: hook.url, filter: { job_uuid: job.uuid } });
    const rotated = await m.request('PATCH', `/subscriptions/${sub.id}`, { body: { rotate_secret: true } });
    expect(rotated.status).toBe(200);
    const secret = rotated.json.secret as string;
    expect(secret).not.toBe(sub.secret);
    expect(rotated.json.previous_secret_until).toEqual(expect.any(String));
    await send(job, 'run');
    await eventually('the run', () => hook.accepted().length >= 1);
    const r = hook.received[0] as Received;
    expect(header(r, 'webhook-signature').split(' ')).toHaveLength(2);
    for (const s of [secret, sub.secret]) {
      expect(() => new Webhook(s).verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    }
    // The secret is never shown again.
    const listed = await m.request('GET', '/subscriptions');
    expect(listed.text).not.toContain(secret.slice(6, 20));
    await m.request('DELETE', `/subscriptions/${sub.id}`);
  });
});

describe('subscriptions: what is refused', () => {
  it('refuses a bad body, a non-http target, and every role but admin (4xx, nothing written)', async () => {
    const before = (await m.request('GET', '/subscriptions')).json.subscriptions;
    const cases: [unknown, RegExp][] = [
      [{}, /url/],
      [{ url: 'ftp://example.org/x' }, /http/],
      [{ url: 'not a url' }, /not a URL/],
      [{ url: 'https://user:pw@example.org/' }, /password/],
      [{ url: 'https://example.org/', filter: { states: ['DONE'] } }, /states/],
      [{ url: 'https://example.org/', extra: 1 }, /extra/],
      [{ url: 'https://example.org/', enabled: false }, /PATCH/],
    ];
    for (const [body, detail] of cases) {
      const res = await m.request('POST', '/subscriptions', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.json), JSON.stringify(body)).toMatch(detail);
    }
    for (const key of [m.keys.agent, m.keys.reader, m.keys.reporter]) {
      expect(
        (await m.request('POST', '/subscriptions', { key, body: { url: 'https://example.org/' } })).status,
      ).toBe(403);
      expect((await m.request('GET', '/subscriptions', { key })).status).toBe(403);
    }
    expect((await m.request('GET', '/subscriptions/nope')).status).toBe(400);
    expect((await m.request('GET', '/subscriptions/3f2b8c1e-0000-4000-8000-000000000000')).status).toBe(404);
    const listed = await m.request('GET', '/subscriptions');
    expect(listed.json.subscriptions).toEqual(before);
  });

  it('answers every malformed request on every subscription route with a 4xx problem, never a 5xx', async () => {
    const hook = await receiver();
    const sub = await subscribe({ url: hook.url, description: 'garbage' });
    const id = sub.id;
    const before = await m.request('GET', `/subscriptions/${id}`);
    const none = '3f2b8c1e-0000-4000-8000-000000000000';
    const requests: [string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }][] = [
      ['POST', '/subscriptions', { raw: '{"url": ' }],
      ['POST', '/subscriptions', { body: [] }],
      ['POST', '/subscriptions', { body: 'https://example.org/' }],
      ['POST', '/subscriptions', { body: null }],
      ['POST', '/subscriptions', { body: { url: 7 } }],
      ['POST', '/subscriptions', { body: { url: `https://example.org/${'a'.repeat(3000)}` } }],
      ['POST', '/subscriptions', { body: { url: 'https://example.org/', filter: { job_uuid: 'nope' } } }],
      ['POST', '/subscriptions', { body: { url: 'https://example.org/', filter: { events: [] } } }],
      ['POST', '/subscriptions', { body: { url: 'https://example.org/', filter: { events: ['RUN'] } } }],
      ['POST', '/subscriptions', { body: { url: 'https://example.org/', filter: [] } }],
      ['POST', '/subscriptions', { body: { url: 'http://[::1' } }],
      [
        'POST',
        '/subscriptions',
        { raw: 'url=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ],
      ['PATCH', `/subscriptions/${id}`, { body: { url: 'gopher://x' } }],
      ['PATCH', `/subscriptions/${id}`, { body: { enabled: 'yes' } }],
      ['PATCH', `/subscriptions/${id}`, { body: { rotate_secret: 1 } }],
      ['PATCH', `/subscriptions/${id}`, { body: { filter: { states: ['CREATED', 'CREATED'] } } }],
      ['PATCH', `/subscriptions/${id}`, { body: [1] }],
      ['PATCH', `/subscriptions/${none}`, { body: {} }],
      ['PATCH', '/subscriptions/%00', { body: {} }],
      ['DELETE', `/subscriptions/${none}`, {}],
      ['DELETE', `/subscriptions/${id.toUpperCase()}x`, {}],
      ['GET', `/subscriptions/${id}/deliveries?limit=0`, {}],
      ['GET', `/subscriptions/${id}/deliveries?limit=abc`, {}],
      ['GET', `/subscriptions/${id}/deliveries?limit=1&limit=2`, {}],
      ['GET', `/subscriptions/${id}/deliveries?before=-1`, {}],
      ['GET', `/subscriptions/${id}/deliveries?before=99999999999999999999`, {}],
      ['GET', `/subscriptions/${none}/deliveries`, {}],
      ['POST', `/subscriptions/${id}/replay`, { body: {} }],
      ['POST', `/subscriptions/${id}/replay`, { body: { since: 12 } }],
      ['POST', `/subscriptions/${id}/replay`, { body: { since: '2026-13-45T00:00:00Z' } }],
      ['POST', `/subscriptions/${id}/replay`, { body: [] }],
      ['POST', `/subscriptions/${none}/replay`, { body: { since: '2026-01-01T00:00:00Z' } }],
      ['POST', `/subscriptions/${id}/redeliver`, { body: { job_uuid: 'x', seq: 1 } }],
      [
        'POST',
        `/subscriptions/${id}/redeliver`,
        { body: { job_uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5', seq: 0 } },
      ],
      [
        'POST',
        `/subscriptions/${id}/redeliver`,
        { body: { job_uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5', seq: 1.5 } },
      ],
      [
        'POST',
        `/subscriptions/${id}/redeliver`,
        { body: { job_uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5', seq: 9 } },
      ],
      ['POST', `/subscriptions/${id}/redeliver`, { body: null }],
      [
        'POST',
        `/subscriptions/${id}/redeliver`,
        { body: { job_uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5', seq: 2 ** 40 } },
      ],
    ];
    for (const [method, path, init] of requests) {
      const res = await m.request(method, path, init);
      const what = `${method} ${path.slice(0, 80)} ${JSON.stringify(init).slice(0, 120)}`;
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expect(res.headers.get('content-type'), what).toMatch(/^application\/problem\+json/);
      expect(String(res.json.detail).length, what).toBeGreaterThan(10);
    }
    expect((await m.request('GET', `/subscriptions/${id}`)).json).toEqual(before.json);
    expect(hook.received).toEqual([]);
    await m.request('DELETE', `/subscriptions/${id}`);
  });

  it('refuses loopback, private and link-local targets unless PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE is set', async () => {
    const strict = await startManager();
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost/x',
        'http://10.1.2.3/',
        'http://192.168.0.1/',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]/',
        'http://[fe80::1]/',
      ]) {
        const res = await strict.request('POST', '/subscriptions', { body: { url } });
        expect(res.status, url).toBe(400);
        expect(res.json.detail, url).toMatch(/PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE/);
      }
      expect(
        (await strict.request('POST', '/subscriptions', { body: { url: 'https://hooks.example.org/x' } }))
          .status,
      ).toBe(201);
    } finally {
      await strict.stop();
    }
  });
});
