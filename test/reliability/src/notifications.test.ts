import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Receiver, startReceiver } from '../../webhook-receiver.js';
import { type EmbeddedDb, type Keys, startEmbeddedDb } from './embedded-db.js';
import { sendEvent } from './events.js';
import { type CreatedJob, createJob, registerPipeline } from './fixtures.js';
import { pool, sendJson } from './http.js';
import { finishFile } from './lifecycle.js';
import { ManagerProcess } from './manager-process.js';
import { report } from './results.js';
import { rememberSecrets } from './run-dir.js';

/**
 * kill -9 of a Manager while its dispatcher has notifications in flight, with a second Manager
 * dispatching from the same database: after the restart nothing is lost, and whatever reached
 * the receiver twice carries the same webhook-id (at-least-once, deduplicable).
 */
const JOBS = 6;
const EVENTS_PER_JOB = 40;
/** Attempts time out after 2 s, so a dead dispatcher's claims lapse after 12 s. */
const WEBHOOK_ENV = {
  PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE: 'true',
  PIPELINEJOBS_WEBHOOK_RETRY_SCHEDULE: Array(20).fill('200ms').join(','),
  PIPELINEJOBS_WEBHOOK_TIMEOUT: '2s',
  PIPELINEJOBS_WEBHOOK_POLL: '250ms',
  PIPELINEJOBS_WEBHOOK_CONCURRENCY: '4',
};

let db: EmbeddedDb;
let keys: Keys;
let hook: Receiver;
const managers: ManagerProcess[] = [];
const start = (n: number) =>
  ManagerProcess.start({ name: `notify-${n}`, databaseUrl: db.url, secret: db.secret, env: WEBHOOK_ENV });

beforeAll(async () => {
  db = await startEmbeddedDb('notify');
  keys = await db.createKeys('notify');
  hook = await startReceiver(() => 200);
  managers.push(await start(1), await start(2));
  await registerPipeline((managers[0] as ManagerProcess).base, keys.agent);
});

afterAll(async () => {
  await hook?.stop();
  await finishFile(managers, db);
});

describe('notifications: kill -9 of a dispatching Manager', () => {
  it(`${JOBS} jobs x ${EVENTS_PER_JOB} events, one of two Managers killed mid-delivery and restarted`, async () => {
    const [first, second] = managers as [ManagerProcess, ManagerProcess];
    const created = await sendJson(first.base, 'POST', '/subscriptions', {
      key: keys.admin,
      body: { url: hook.url, filter: { events: ['update'] } },
    });
    expect(created.status, created.text).toBe(201);
    rememberSecrets((created.json as { secret: string }).secret);
    const jobs: CreatedJob[] = await pool(
      Array.from({ length: JOBS }, (_, i) => i),
      JOBS,
      (i) => createJob(first.base, keys.agent, 'notify', i),
    );
    await pool(jobs, JOBS, (job) => sendEvent(first.base, keys.reporter, job, 'run'));
    // Slow answers from now on: the deliveries pile up in flight.
    const slow = { delayMs: 40 };
    hook.answer(async () => {
      await new Promise((resolve) => setTimeout(resolve, slow.delayMs));
      return 200;
    });
    // A quarter delivered, with more in flight at the receiver: kill -9 one of the dispatchers.
    let killed = false;
    const killing = eventually(
      'a quarter delivered',
      () => hook.received.length >= (JOBS * EVENTS_PER_JOB) / 4,
      60_000,
    ).then(async () => {
      await first.kill9();
      killed = true;
      managers.push(await start(3));
    });
    await pool(jobs, JOBS, async (job) => {
      for (let i = 0; i < EVENTS_PER_JOB; i++) {
        // Events go through the survivor; both Managers dispatch until one is killed.
        const res = await sendEvent(second.base, keys.reporter, job, 'update', { data: { i } });
        expect(res.status, res.text).toBe(200);
      }
    });
    await killing;
    expect(killed, 'the Manager was killed while delivering').toBe(true);
    slow.delayMs = 0;
    const expected = JOBS * EVENTS_PER_JOB;
    const distinct = () => new Set(hook.accepted().map((r) => String(r.headers['webhook-id']))).size;
    await eventually(`${expected} distinct notifications`, () => distinct() >= expected, 60_000);

    // Each webhook-id names one notification: every copy of it is the same body.
    const bodies = new Map<string, string>();
    for (const r of hook.accepted()) {
      const id = String(r.headers['webhook-id']);
      expect(bodies.get(id) ?? r.body).toBe(r.body);
      bodies.set(id, r.body);
    }
    // Per job, the first delivery of each entry is in seq order, and none is missing.
    for (const job of jobs) {
      const seen: number[] = [];
      for (const r of hook.accepted()) {
        const body = JSON.parse(r.body) as { job_uuid: string; seq: number };
        if (body.job_uuid === job.uuid && !seen.includes(body.seq)) seen.push(body.seq);
      }
      expect(seen).toEqual(Array.from({ length: EVENTS_PER_JOB }, (_, i) => i + 3));
    }
    const [outbox] = await databaseOf(db.services).sql<{ pending: number; delivered: number }[]>`
      select count(*) filter (where status = 'pending')::int as pending,
        count(*) filter (where status = 'delivered')::int as delivered from webhook_outbox`;
    expect(outbox).toEqual({ pending: 0, delivered: expected });
    report('notifications', {
      notifications: expected,
      'requests received': hook.received.length,
      'delivered twice (same webhook-id)': hook.accepted().length - expected,
    });
  });
});
