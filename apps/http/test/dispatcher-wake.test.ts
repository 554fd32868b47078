import { loadFixture } from '@pipelinejobs/fixtures';
import { startDispatcher } from '@pipelinejobs/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/webhook-receiver.js';
import { type Manager, runningJob, startManager } from './harness.js';

/**
 * The dispatcher is woken by this process's transitions only when they queued notifications: a
 * claim after every write was a statement per gathering window for nothing while no subscription
 * wanted them (a tenth of the statements of a busy Manager).
 */
let m: Manager;

beforeAll(async () => {
  m = await startManager();
  const res = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  expect(res.status).toBe(201);
});
afterAll(() => m.stop());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the dispatcher woken by this process's transitions", () => {
  it('claims after a transition that queued a notification, and not after those that queued none', async () => {
    const job = await runningJob(m, { wake: 'dispatcher' });
    const claims: number[] = [];
    const dispatcher = startDispatcher(m.services, { claimed: (count) => claims.push(count) });
    try {
      // The first poll claims once, at start; the next is 5 s away.
      await eventually('the first poll', () => claims.length >= 1);
      const afterStart = claims.length;
      for (let i = 0; i < 10; i++) {
        const res = await m.request('POST', '/messages', {
          key: m.keys.reporter,
          body: { uuid: job.uuid, name: 'update', token: job.token },
        });
        expect(res.status, res.text).toBe(200);
        // Longer than the dispatcher's gathering window: each event would have had its own claim.
        await pause(25);
      }
      await pause(50);
      expect(claims.length).toBe(afterStart);

      const subscribed = await m.request('POST', '/subscriptions', {
        body: { url: 'https://receiver.example/hook', filter: { job_uuid: job.uuid } },
      });
      expect(subscribed.status, subscribed.text).toBe(201);
      const res = await m.request('POST', '/messages', {
        key: m.keys.reporter,
        body: { uuid: job.uuid, name: 'update', token: job.token },
      });
      expect(res.status, res.text).toBe(200);
      await eventually('the notification claimed', () => claims.slice(afterStart).includes(1));
    } finally {
      await dispatcher.stop();
    }
  });
});
