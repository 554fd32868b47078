import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken } from '@pipelinejobs/auth';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startManagerProcess } from '../../../test/manager-process.js';
import { eventually, type Receiver, startReceiver } from '../../../test/webhook-receiver.js';
import { createJob, registerPipeline, sendEvent } from './deadline-helpers.js';
import { type Manager, startManager } from './harness.js';

const HOUR = 3_600_000;
/** The Manager's clock: the real time plus what a test moved it on by. */
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
/** A current admin token by the Manager's clock. */
const admin = () => adminToken({ ...a.services.admin, now: clock() });
/** The Manager processes' secret: the first to start records it in the database, the others must match. */
const PROCESS_SECRET = randomBytes(32).toString('base64');
/** Sweeps run only when a test asks. */
const MANUAL = 3_600_000;
const WEBHOOKS = { allowPrivate: true, retryScheduleMs: Array(20).fill(100), pollMs: 100, timeoutMs: 2000 };

let a: Manager;
let sql: postgres.Sql;
let receiver: Receiver;

beforeAll(async () => {
  a = await startManager({ clock, webhooks: WEBHOOKS, deadlineSweepMs: MANUAL });
  sql = postgres(a.url, { max: 2, onnotice: () => {} });
  receiver = await startReceiver();
});
afterAll(async () => {
  await a?.stop();
  await sql?.end();
  await receiver?.stop();
});

const pipeline = (id: string, deadlines?: unknown) => registerPipeline(a, id, deadlines);
const job = (pipelineUuid: string) => createJob(a, pipelineUuid);
const send = (j: { uuid: string; token: string }, name: string) => sendEvent(a, j, name);

const overdueFor = (uuid: string) =>
  receiver.accepted().filter((r) => {
    const body = JSON.parse(r.body) as { type?: string; job_uuid?: string };
    return body.type === 'job.overdue' && body.job_uuid === uuid;
  });

describe('deadlines, as a careless or hostile user would use them', () => {
  it('treats a notify budget changed by PUT after it was notified the same, whether or not an event came in between', async () => {
    offsetMs = 0;
    const sub = await a.request('POST', '/subscriptions', {
      body: { url: receiver.url, filter: { events: ['overdue'] }, description: 'overdue (red team)' },
    });
    expect(sub.status, sub.text).toBe(201);
    const p = await pipeline('tacc/red-team:renotify', { INDEXING: { budget: '2h', action: 'notify' } });
    const quiet = await job(p);
    const busy = await job(p);
    for (const j of [quiet, busy]) for (const name of ['run', 'finish', 'index']) await send(j, name);

    offsetMs = 3 * HOUR;
    await a.sweeper?.sweep();
    await eventually('both first overdue notifications', () =>
      [quiet, busy].every((j) => overdueFor(j.uuid).length === 1),
    );

    // The second job has an event that leaves it in INDEXING; then an admin gives both a longer budget.
    await send(busy, 'update');
    for (const j of [quiet, busy]) {
      const put = await a.request('PUT', `/jobs/${j.uuid}/deadlines?token=${admin()}`, {
        body: { INDEXING: { budget: '4h', action: 'notify' } },
      });
      expect(put.status, put.text).toBe(200);
    }
    offsetMs = 5 * HOUR;
    await a.sweeper?.sweep();
    await a.sweeper?.sweep();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const shown = await Promise.all(
      [quiet, busy].map(async (j) => (await a.request('GET', `/jobs/${j.uuid}`)).json.deadline),
    );
    const sent = [quiet, busy].map((j) => overdueFor(j.uuid).length);
    // One state entry, one notification each (docs/deadlines.md), and the job says it was notified:
    // a job must not show `notified: true` for a notification that was never queued, nor get a
    // second only because an unrelated event moved its latest history entry on.
    expect(sent).toEqual([1, 1]);
    expect(shown).toMatchObject([{ notified: true }, { notified: true }]);
  });

  it('does not let the admin role alone fail a running job through its deadlines (an admin token is needed, as for a delete)', async () => {
    offsetMs = 0;
    const p = await pipeline('tacc/red-team:token', { RUNNING: '24h' });
    const j = await job(p);
    await send(j, 'run');
    // Without a token an admin key can neither delete the job nor send it a `fail`...
    const del = await a.request('DELETE', `/jobs/${j.uuid}`);
    expect(del.status, del.text).toBe(403);
    const fail = await a.request('POST', '/messages', { body: { uuid: j.uuid, name: 'fail' } });
    expect(fail.status, fail.text).toBe(403);
    // ...nor give it a budget already used up, which the next sweep turns into that same `fail`.
    offsetMs = 1000;
    for (const token of [undefined, 'not-a-token', j.token]) {
      const put = await a.request(
        'PUT',
        `/jobs/${j.uuid}/deadlines${token === undefined ? '' : `?token=${token}`}`,
        { body: { RUNNING: '1ms' } },
      );
      expect(put.status, put.text).toBe(403);
      expect(put.json.detail as string).toMatch(/admin token/);
    }
    await a.sweeper?.sweep();
    const shown = await a.request('GET', `/jobs/${j.uuid}`);
    expect(shown.json.state).toBe('RUNNING');
    expect(shown.json.deadlines).toEqual({ RUNNING: { budget: '24h', action: 'fail' } });
    const audit = await a.request('GET', `/jobs/${j.uuid}/audit`);
    expect(audit.json.items).toEqual([]);
    // With the admin token it is done (and the sweep then fails the job).
    const put = await a.request('PUT', `/jobs/${j.uuid}/deadlines?token=${admin()}`, {
      body: { RUNNING: '1ms' },
    });
    expect(put.status, put.text).toBe(200);
    await a.sweeper?.sweep();
    expect((await a.request('GET', `/jobs/${j.uuid}`)).json.state).toBe('FAILED');
  });

  it("keeps a pipeline's valid budgets when one it was registered with is refused by today's rules", async () => {
    offsetMs = 0;
    const uuid = await pipeline('tacc/red-team:kept-from-before', { RUNNING: '1h' });
    // Registered before a fail budget on a state that cannot fail was refused: stored as it was.
    await sql`update pipelines set body = jsonb_set(body, '{deadlines}', '{"RUNNING": "1h", "FINISHED": "1h"}')
      where uuid = ${uuid}`;
    const created = await a.request('POST', '/jobs', {
      key: a.keys.agent,
      body: { pipeline_uuid: uuid, data: { red_team: 'kept' } },
    });
    expect(created.status, created.text).toBe(201);
    // The RUNNING budget is kept; only the one that could never act is left out.
    expect(created.json.deadlines).toEqual({ RUNNING: { budget: '1h', action: 'fail' } });
    const j = created.json as { uuid: string; token: string };
    await send(j, 'run');
    offsetMs = 2 * HOUR;
    await a.sweeper?.sweep();
    expect((await a.request('GET', `/jobs/${j.uuid}`)).json.state).toBe('FAILED');
  });

  it('leaves nothing half-applied when a Manager process is killed (kill -9) mid-sweep; the next fails each job once', async () => {
    offsetMs = 0;
    // Every job is due as soon as it runs; this Manager never sweeps by itself (MANUAL).
    const p = await pipeline('tacc/red-team:kill', { RUNNING: '1ms' });
    const jobs: { uuid: string; token: string }[] = [];
    for (let k = 0; k < 300; k += 1) jobs.push(await job(p));
    for (const j of jobs) await send(j, 'run');
    const uuids = jobs.map((j) => j.uuid);
    const failedCount = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from jobs where uuid = any(${uuids}) and state = 'FAILED'`;
      return row?.n ?? 0;
    };
    const env = {
      DATABASE_URL: a.url,
      PIPELINEJOBS_SECRET: PROCESS_SECRET,
      PIPELINEJOBS_DEADLINE_SWEEP: '10ms',
      LOG_LEVEL: 'warn',
    };
    const first = await startManagerProcess({ env });
    let atKill = 0;
    try {
      for (;;) {
        atKill = await failedCount();
        if (atKill > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    } finally {
      await first.kill9();
    }
    console.log(
      `killed the sweeping Manager with ${atKill} of 300 jobs failed (${await failedCount()} once it died)`,
    );
    // Nothing half-applied: a job is FAILED exactly when its history has the sweep's one fail,
    // and its version is its history's length.
    const check = async () =>
      sql<{ uuid: string; state: string; version: number; entries: number; fails: number }[]>`
        select j.uuid, j.state, j.version, count(e.seq)::int as entries,
          count(e.seq) filter (where e.name = 'fail' and e.source = 'deadline')::int as fails
        from jobs j join job_events e on e.job_uuid = j.uuid
        where j.uuid = any(${uuids}) group by j.uuid, j.state, j.version`;
    for (const row of await check()) {
      expect(row.version, row.uuid).toBe(row.entries);
      expect(row.fails, row.uuid).toBe(row.state === 'FAILED' ? 1 : 0);
      expect(['RUNNING', 'FAILED']).toContain(row.state);
    }
    // Another Manager process takes over and fails the rest, each once.
    const second = await startManagerProcess({ env });
    try {
      await eventually('every job failed after the restart', async () => (await failedCount()) === 300);
    } finally {
      await second.stop();
    }
    const rows = await check();
    expect(rows).toHaveLength(300);
    for (const row of rows) {
      expect(row).toMatchObject({ state: 'FAILED', fails: 1 });
      expect(row.version).toBe(row.entries);
    }
  });

  it("decides deadlines by the database's clock: a Manager whose clock is an hour ahead fails no job early", async () => {
    offsetMs = 0;
    const p = await pipeline('tacc/red-team:skew', { RUNNING: '30m' });
    const patient = await job(p);
    await send(patient, 'run');
    const due = await job(p);
    await send(due, 'run');
    // Due now by every clock: its budget is given as already used up (from when it entered RUNNING).
    const put = await a.request('PUT', `/jobs/${due.uuid}/deadlines?token=${admin()}`, {
      body: { RUNNING: '1ms' },
    });
    expect(put.status, put.text).toBe(200);
    // A host whose clock runs an hour ahead of the database's (the process's Date, nothing else).
    const dir = mkdtempSync(join(tmpdir(), 'pj-skew-'));
    const skew = join(dir, 'skew.cjs');
    writeFileSync(
      skew,
      `const Real = Date; const ahead = ${HOUR};
      globalThis.Date = class extends Real {
        constructor(...args) { if (args.length === 0) super(Real.now() + ahead); else super(...args); }
        static now() { return Real.now() + ahead; }
      };`,
    );
    const manager = await startManagerProcess({
      env: {
        DATABASE_URL: a.url,
        PIPELINEJOBS_SECRET: PROCESS_SECRET,
        PIPELINEJOBS_DEADLINE_SWEEP: '20ms',
        LOG_LEVEL: 'warn',
      },
      nodeArgs: ['--require', skew],
    });
    try {
      await eventually('the due job failed by the skewed Manager', async () => {
        return (await a.request('GET', `/jobs/${due.uuid}`)).json.state === 'FAILED';
      });
      // A few more sweeps of its.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await manager.stop();
    }
    expect((await a.request('GET', `/jobs/${patient.uuid}`)).json.state).toBe('RUNNING');
    const history = await a.request('GET', `/jobs/${due.uuid}/history`);
    const fail = (history.json.items as { name: string; data: { spent_ms: number } }[]).find(
      (e) => e.name === 'fail',
    );
    // The time it spent RUNNING, by the clock that stamped its entry: seconds, not an hour.
    expect(fail?.data.spent_ms).toBeLessThan(10 * 60_000);
  });
});
