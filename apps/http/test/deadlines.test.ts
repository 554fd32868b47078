import { createClient } from '@pipelinejobs/client';
import { loadFixture } from '@pipelinejobs/fixtures';
import { validate } from '@pipelinejobs/schemas';
import type { DeadlineSweeper } from '@pipelinejobs/service';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Receiver, startReceiver } from '../../../test/webhook-receiver.js';
import { createJob, registerPipeline, sendEvent } from './deadline-helpers.js';
import { type Manager, startManager } from './harness.js';

type SweepResult = Awaited<ReturnType<DeadlineSweeper['sweep']>>;

const HOUR = 3_600_000;
/** The Managers' clock: the real time plus what a test moved it on by (no test waits for a deadline). */
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

/** Sweeps run only when a test asks (the interval is far longer than the file). */
const MANUAL = 3_600_000;
const WEBHOOKS = { allowPrivate: true, retryScheduleMs: Array(20).fill(100), pollMs: 200, timeoutMs: 2000 };

let a: Manager;
let b: Manager;
let sql: postgres.Sql;
let receiver: Receiver;

beforeAll(async () => {
  a = await startManager({ clock, webhooks: WEBHOOKS, deadlineSweepMs: MANUAL, deadlineBatch: 3 });
  // A second Manager on the same database, with its own pool and sweeper.
  b = await startManager({ clock, deadlineSweepMs: MANUAL, deadlineBatch: 3, sharedDatabaseUrl: a.url });
  sql = postgres(a.url, { max: 2, onnotice: () => {} });
  receiver = await startReceiver();
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await sql?.end();
  await receiver?.stop();
});

const tacobot = loadFixture<Record<string, unknown>>('sd2e/pipelines/tacobot.json');
const pipeline = (id: string, deadlines?: unknown) => registerPipeline(a, id, deadlines);
const job = (pipelineUuid: string, deadlines?: unknown) => createJob(a, pipelineUuid, deadlines);
const send = sendEvent;

type Entry = { name: string; source: string; principal: unknown; data: Record<string, unknown> | null };
async function history(uuid: string): Promise<Entry[]> {
  const res = await a.request('GET', `/jobs/${uuid}/history`);
  expect(res.status).toBe(200);
  return res.json.items as Entry[];
}

async function state(uuid: string) {
  return (await a.request('GET', `/jobs/${uuid}`)).json.state as string;
}

describe('per-state deadlines', () => {
  it('fails a job past its RUNNING budget exactly once with two Managers sweeping at once', async () => {
    const p = await pipeline('tacc/deadlines:fail', { RUNNING: '24h' });
    const jobs = [];
    for (let i = 0; i < 30; i += 1) jobs.push(await job(p));
    for (const j of jobs) await send(i(j) % 2 === 0 ? a : b, j, 'run');
    const fetched = await a.request('GET', `/jobs/${jobs[0]?.uuid}`);
    expect(validate('job', fetched.json).ok).toBe(true);
    const deadline = fetched.json.deadline as { state: string; budget: string; action: string; at: string };
    expect(deadline).toMatchObject({ state: 'RUNNING', budget: '24h', action: 'fail', notified: false });
    expect(Date.parse(deadline.at) - Date.parse(fetched.json.state_since as string)).toBe(24 * HOUR);

    // Not yet due: nothing is failed.
    offsetMs = 23 * HOUR;
    const early = await Promise.all([a.sweeper?.sweep(), b.sweeper?.sweep()]);
    expect(early.flatMap((r) => r?.failed ?? [])).toEqual([]);

    offsetMs = 24 * HOUR + 60_000;
    const rounds: (SweepResult | undefined)[] = [];
    for (let round = 0; round < 3; round += 1) {
      rounds.push(...(await Promise.all([a.sweeper?.sweep(), b.sweeper?.sweep()])));
    }
    const failed = rounds.flatMap((r) => (r?.failed ?? []).filter((f) => f.applied));
    const [byA, byB] = [0, 1].map((m) =>
      rounds.filter((_, n) => n % 2 === m).reduce((sum, r) => sum + (r?.failed.length ?? 0), 0),
    );
    console.log(`30 jobs due: Manager A's sweeps failed ${byA}, Manager B's ${byB}`);
    expect(failed).toHaveLength(30);
    expect(new Set(failed.map((f) => f.uuid)).size).toBe(30);
    for (const j of jobs) {
      expect(await state(j.uuid)).toBe('FAILED');
      const fails = (await history(j.uuid)).filter((e) => e.name === 'fail');
      expect(fails).toHaveLength(1);
      const [fail] = fails;
      expect(fail?.source).toBe('deadline');
      expect(fail?.principal).toEqual({ kind: 'system', id: 'deadline' });
      expect(fail?.data).toMatchObject({ state: 'RUNNING', budget: '24h' });
      expect(fail?.data?.spent_ms as number).toBeGreaterThan(24 * HOUR);
      expect(String(fail?.data?.reason)).toMatch(/^RUNNING for 1d .*over its time budget of 24h$/);
    }
    const [audit] = await sql<{ n: number }[]>`
      select count(*)::int as n from job_events where source = 'deadline'`;
    expect(audit?.n).toBe(30);
  });

  it('does not fail a job that left the state before its deadline; a job override replaces the pipeline budget', async () => {
    offsetMs = 0;
    const p = await pipeline('tacc/deadlines:leave', {
      RUNNING: '24h',
      FINISHED: { budget: '48h', action: 'notify' },
    });
    const left = await job(p);
    const overridden = await job(p, { RUNNING: '1h' });
    const unbudgeted = await job(p, { RUNNING: null });
    expect(overridden.deadlines).toEqual({
      RUNNING: { budget: '1h', action: 'fail' },
      FINISHED: { budget: '48h', action: 'notify' },
    });
    expect(unbudgeted.deadlines).toEqual({ FINISHED: { budget: '48h', action: 'notify' } });
    for (const j of [left, overridden, unbudgeted]) await send(a, j, 'run');
    await send(a, left, 'finish');
    // Repeating `run` in RUNNING is a self-loop: the deadline stays the entry's.
    const before = (await a.request('GET', `/jobs/${overridden.uuid}`)).json.deadline;
    await send(a, overridden, 'run');
    expect((await a.request('GET', `/jobs/${overridden.uuid}`)).json.deadline).toEqual(before);

    offsetMs = 2 * HOUR;
    await Promise.all([a.sweeper?.sweep(), b.sweeper?.sweep()]);
    expect(await state(overridden.uuid)).toBe('FAILED');
    expect(await state(left.uuid)).toBe('FINISHED');
    expect(await state(unbudgeted.uuid)).toBe('RUNNING');

    offsetMs = 25 * HOUR;
    await Promise.all([a.sweeper?.sweep(), b.sweeper?.sweep()]);
    expect(await state(left.uuid)).toBe('FINISHED');
    expect(await state(unbudgeted.uuid)).toBe('RUNNING');
    expect((await history(left.uuid)).map((e) => e.name)).toEqual(['create', 'run', 'finish']);
  });

  it('sends one overdue notification for a notify-only budget, fails nothing, and lists and counts the job as overdue', async () => {
    offsetMs = 0;
    const sub = await a.request('POST', '/subscriptions', {
      body: { url: receiver.url, filter: { events: ['overdue'] }, description: 'overdue only' },
    });
    expect(sub.status, sub.text).toBe(201);
    const p = await pipeline('tacc/deadlines:notify', { INDEXING: { budget: '2h', action: 'notify' } });
    const j = await job(p);
    for (const name of ['run', 'finish', 'index']) await send(a, j, name);
    const events = (await history(j.uuid)).length;

    offsetMs = 3 * HOUR;
    for (let round = 0; round < 3; round += 1) await Promise.all([a.sweeper?.sweep(), b.sweeper?.sweep()]);
    await eventually('the overdue notification', () => receiver.accepted().length >= 1);
    expect(await state(j.uuid)).toBe('INDEXING');
    expect(await history(j.uuid)).toHaveLength(events);
    const [outbox] = await sql<{ n: number }[]>`
      select count(*)::int as n from webhook_outbox where job_uuid = ${j.uuid} and kind = 'overdue'`;
    expect(outbox?.n).toBe(1);
    // Another sweep, and time for a second delivery, change nothing.
    await Promise.all([a.sweeper?.sweep(), b.sweeper?.sweep()]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.accepted()).toHaveLength(1);
    const [got] = receiver.accepted();
    const body = JSON.parse(got?.body ?? '{}') as Record<string, unknown>;
    expect(validate('webhook-notification', body).ok).toBe(true);
    expect(body).toMatchObject({
      type: 'job.overdue',
      job_uuid: j.uuid,
      job_state: 'INDEXING',
      seq: events,
      overdue: { state: 'INDEXING', budget: '2h' },
    });
    expect(String(got?.headers['webhook-id'])).toMatch(/^108.*\.overdue$/);

    const shown = await a.request('GET', `/jobs/${j.uuid}`);
    expect(shown.json.deadline).toMatchObject({ state: 'INDEXING', action: 'notify', notified: true });
    const overdue = await a.request('GET', `/jobs?overdue=true&pipeline_uuid=${p}`, { key: a.keys.reader });
    expect(overdue.status).toBe(200);
    expect((overdue.json.items as { uuid: string }[]).map((item) => item.uuid)).toEqual([j.uuid]);
    const client = createClient({ baseUrl: a.base, credentials: { apiKey: a.keys.reader } });
    const listed = await client.jobs.list({ overdue: true, pipeline_uuid: p }).toArray();
    expect(listed.map((item) => item.uuid)).toEqual([j.uuid]);
    const counts = await a.request('GET', `/jobs/counts?overdue=true&pipeline_uuid=${p}`, {
      key: a.keys.reader,
    });
    expect(counts.json).toMatchObject({ total: 1, states: { INDEXING: 1, RUNNING: 0 } });
    const metrics = await a.request('GET', '/metrics');
    expect(metrics.text).toMatch(/pipelinejobs_jobs_overdue\{state="INDEXING"\} 1\n/);
    expect(metrics.text).toMatch(/pipelinejobs_jobs_overdue\{state="RUNNING"\} 0\n/);
    // Leaving the state ends the overdue.
    await send(a, j, 'indexed');
    const after = await a.request('GET', `/jobs?overdue=true&pipeline_uuid=${p}`);
    expect(after.json.items).toEqual([]);
  });

  it('lets an admin replace a job budgets with PUT /jobs/:uuid/deadlines, from when it entered its state', async () => {
    offsetMs = 0;
    const p = await pipeline('tacc/deadlines:put', { RUNNING: '24h' });
    const j = await job(p);
    await send(a, j, 'run');
    const refused = await a.request('PUT', `/jobs/${j.uuid}/deadlines?token=${a.adminToken()}`, {
      key: a.keys.agent,
      body: { RUNNING: '1h' },
    });
    expect(refused.status).toBe(403);
    const res = await a.request('PUT', `/jobs/${j.uuid}/deadlines?token=${a.adminToken()}`, {
      body: { RUNNING: '1h' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.deadlines).toEqual({ RUNNING: { budget: '1h', action: 'fail' } });
    const { at } = res.json.deadline as { at: string };
    expect(Date.parse(at) - Date.parse(res.json.state_since as string)).toBe(HOUR);
    const audit = await a.request('GET', `/jobs/${j.uuid}/audit`);
    expect((audit.json.items as { action: string }[]).map((e) => e.action)).toEqual(['set_deadlines']);

    offsetMs = 2 * HOUR;
    await a.sweeper?.sweep();
    expect(await state(j.uuid)).toBe('FAILED');
  });

  it("fails a due job by the app's own sweeper, on its interval, with no test calling sweep", async () => {
    offsetMs = 0;
    const p = await pipeline('tacc/deadlines:interval', { RUNNING: '30m' });
    const j = await job(p);
    await send(a, j, 'run');
    const c = await startManager({ clock, deadlineSweepMs: 50, sharedDatabaseUrl: a.url });
    try {
      offsetMs = HOUR;
      await eventually(
        'the job failed by the interval sweep',
        async () => (await state(j.uuid)) === 'FAILED',
      );
      const fails = (await history(j.uuid)).filter((e) => e.name === 'fail');
      expect(fails.map((e) => e.source)).toEqual(['deadline']);
    } finally {
      await c.stop();
    }
  });

  it('refuses bad budgets with a 400 that says what is wrong, and changes nothing', async () => {
    offsetMs = 0;
    const bad: [unknown, RegExp][] = [
      [{ running: '1h' }, /\/deadlines\/running: 'running' is not a state; use one of: CREATED, RUNNING/],
      [{ RUNNING: '0h' }, /\/deadlines\/RUNNING must be a duration above zero/],
      [{ RUNNING: 'soon' }, /\/deadlines\/RUNNING must be a duration above zero .* e\.g\. 24h/],
      [{ RUNNING: '400d' }, /at most 366d/],
      [
        { RUNNING: { budget: '1h', action: 'page' } },
        /\/deadlines\/RUNNING\/action must be one of: fail, notify/,
      ],
      [{ RUNNING: { budget: '1h', when: 'later' } }, /\/deadlines\/RUNNING must be a duration/],
      [['RUNNING'], /\/deadlines must be an object/],
    ];
    const listed = async () =>
      ((await a.request('GET', '/pipelines?limit=500')).json.items as unknown[]).length;
    const pipelines = await listed();
    for (const [deadlines, said] of bad) {
      const res = await a.request('POST', '/pipelines', {
        key: a.keys.agent,
        body: { ...tacobot, id: 'tacc/deadlines:bad', deadlines },
      });
      expect(res.status, JSON.stringify(deadlines)).toBe(400);
      expect(res.json.detail as string).toMatch(said);
    }
    expect(await listed()).toBe(pipelines);

    const p = await pipeline('tacc/deadlines:good', { RUNNING: '24h' });
    const jobsBefore = (await a.request('GET', `/jobs?pipeline_uuid=${p}`)).json.items as unknown[];
    for (const [deadlines, said] of bad) {
      const res = await a.request('POST', '/jobs', {
        key: a.keys.agent,
        body: { pipeline_uuid: p, data: { bad: true }, deadlines },
      });
      expect(res.status, JSON.stringify(deadlines)).toBe(400);
      expect(res.json.detail as string).toMatch(said);
    }
    expect((await a.request('GET', `/jobs?pipeline_uuid=${p}`)).json.items).toEqual(jobsBefore);

    const j = await job(p);
    const shown = (await a.request('GET', `/jobs/${j.uuid}`)).json;
    for (const [deadlines, said] of bad) {
      const res = await a.request('PUT', `/jobs/${j.uuid}/deadlines?token=${a.adminToken()}`, {
        body: deadlines,
      });
      expect(res.status, JSON.stringify(deadlines)).toBe(400);
      expect(res.json.detail as string).toMatch(new RegExp(said.source.replace('\\/deadlines', '')));
    }
    expect((await a.request('GET', `/jobs/${j.uuid}`)).json).toEqual(shown);
    const query = await a.request('GET', '/jobs?overdue=maybe');
    expect(query.status).toBe(400);
    expect(query.json.detail).toMatch(/'overdue' must be true/);
  });
});

/** Which Manager sends a job's events: alternately, so both write transitions. */
function i(j: { uuid: string }): number {
  return Number.parseInt(j.uuid.slice(-1), 16);
}
