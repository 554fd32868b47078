import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Receiver, startReceiver } from '../../../test/webhook-receiver.js';
import { createJob, registerPipeline, sendEvent } from './deadline-helpers.js';
import { type Manager, startManager } from './harness.js';

/**
 * A job the sweeper failed without queueing a notification (no subscription wanted the `fail`)
 * keeps the deadline of the state it failed into: the sweep does not mark it as dealt with, which
 * is only for a fail the state machine refused.
 */
const HOUR = 3_600_000;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

let m: Manager;
let receiver: Receiver;

beforeAll(async () => {
  m = await startManager({
    clock,
    webhooks: { allowPrivate: true, retryScheduleMs: Array(20).fill(100), pollMs: 200, timeoutMs: 2000 },
    deadlineSweepMs: 3_600_000,
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  await m?.stop();
  await receiver?.stop();
});

describe('a fail by the sweeper that queued no notification', () => {
  it("leaves the FAILED state's notify-only deadline to fire", async () => {
    // Wants overdue notifications only: the sweeper's `fail` queues nothing for it.
    const sub = await m.request('POST', '/subscriptions', {
      body: { url: receiver.url, filter: { events: ['overdue'] }, description: 'overdue only' },
    });
    expect(sub.status, sub.text).toBe(201);
    const p = await registerPipeline(m, 'tacc/deadlines:fail-then-overdue', {
      RUNNING: '1h',
      FAILED: { budget: '1h', action: 'notify' },
    });
    const j = await createJob(m, p);
    await sendEvent(m, j, 'run');

    // What the sweeps tell this process's streams and dispatcher: (queued, transition).
    const told: [boolean, boolean][] = [];
    const stopHearing = m.services.outbox.listen((queued, transition) => told.push([queued, transition]));
    offsetMs = 2 * HOUR;
    const failed = await m.sweeper?.sweep();
    expect(failed?.failed.map((f) => [f.uuid, Boolean(f.applied)])).toEqual([[j.uuid, true]]);
    expect(failed?.queued).toBe(false);
    expect(told.splice(0)).toEqual([[false, true]]);
    const shown = await m.request('GET', `/jobs/${j.uuid}`);
    expect(shown.json.state).toBe('FAILED');
    expect(shown.json.deadline).toMatchObject({ state: 'FAILED', action: 'notify', notified: false });

    offsetMs = 4 * HOUR;
    const notified = await m.sweeper?.sweep();
    expect(notified?.notified.map((n) => n.uuid)).toEqual([j.uuid]);
    expect(notified?.queued).toBe(true);
    // Overdue notifications without a fail: the dispatcher's, not a transition for the streams.
    expect(told.splice(0)).toEqual([[true, false]]);
    stopHearing();
    await eventually('the overdue notification of FAILED', () => receiver.accepted().length >= 1);
    const [got] = receiver.accepted();
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({
      type: 'job.overdue',
      job_uuid: j.uuid,
      overdue: { state: 'FAILED', budget: '1h' },
    });
  });
});
