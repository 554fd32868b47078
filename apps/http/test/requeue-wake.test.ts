import { loadFixture } from '@pipelinejobs/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Receiver, startReceiver } from '../../../test/webhook-receiver.js';
import { type Manager, runningJob, startManager } from './harness.js';

/**
 * A replay or a redelivery queues notifications without a transition: this process's dispatcher
 * is woken by it as by a transition that queued some, not left to its next poll (a minute away
 * here; 5 s by default).
 */
let m: Manager;
let receiver: Receiver;

beforeAll(async () => {
  m = await startManager({ webhooks: { allowPrivate: true, pollMs: 60_000, timeoutMs: 2000 } });
  const res = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  expect(res.status).toBe(201);
  receiver = await startReceiver();
});
afterAll(async () => {
  await m?.stop();
  await receiver?.stop();
});

const delivered = (uuid: string) =>
  receiver.accepted().filter((r) => (JSON.parse(r.body) as { job_uuid?: string }).job_uuid === uuid);

describe('notifications queued by an admin', () => {
  it('are delivered at once after a replay, not at the next poll', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const job = await runningJob(m, { requeue: 'replay' });
    // Subscribed after the job's two entries: nothing was queued for them.
    const sub = await m.request('POST', '/subscriptions', {
      body: { url: receiver.url, filter: { job_uuid: job.uuid } },
    });
    expect(sub.status, sub.text).toBe(201);
    const replay = await m.request('POST', `/subscriptions/${sub.json.id}/replay`, { body: { since } });
    expect(replay.status, replay.text).toBe(202);
    expect(replay.json).toEqual({ queued: 2 });
    await eventually('the replayed notifications', () => delivered(job.uuid).length >= 2, 3000);
  });

  it('are delivered at once after a redelivery, not at the next poll', async () => {
    const job = await runningJob(m, { requeue: 'redeliver' });
    // Wants only overdue notifications: the job's entries queued nothing for it.
    const sub = await m.request('POST', '/subscriptions', {
      body: { url: receiver.url, filter: { job_uuid: job.uuid, events: ['overdue'] } },
    });
    expect(sub.status, sub.text).toBe(201);
    const again = await m.request('POST', `/subscriptions/${sub.json.id}/redeliver`, {
      body: { job_uuid: job.uuid, seq: 2 },
    });
    expect(again.status, again.text).toBe(202);
    await eventually('the redelivered notification', () => delivered(job.uuid).length >= 1, 3000);
  });
});
