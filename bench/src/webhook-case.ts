import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateWebhookSecret, sealSecret } from '@pipelinejobs/auth';
import { insertSubscription, openDatabase, updateSubscription } from '@pipelinejobs/storage';
import { type Env, runOne, targetOf } from './compare.js';
import type { Target } from './report.js';
import type { RunResult } from './run-result.js';

/** A subscription with an instant receiver may cost at most this share of events/s (bench/README.md). */
const MAX_COST = 0.15;
const ROUNDS = 2;

export interface WebhookCase {
  without: number;
  with: number;
  /** events/s with the subscription over events/s without it. */
  ratio: number;
  /** Notifications the receiver got during and after the runs with the subscription. */
  delivered: number;
  /** CPU ms per event of every process of the run, without and with the subscription. */
  cpuMsPerEvent: { without: number; with: number };
  runs: { without: RunResult[]; with: RunResult[] };
}

const mean = (runs: RunResult[]) => runs.reduce((sum, r) => sum + r.eventsPerSecond, 0) / runs.length;

/**
 * CPU milliseconds per event of the run's processes together (PostgreSQL when it runs here, the
 * Manager, the bench process with the load generator and the receiver): what a neighbour's load
 * moves less than events/s.
 */
function cpuMsPerEvent(runs: RunResult[]): number {
  const events = runs.reduce((sum, r) => sum + r.events, 0);
  const cpu = runs.reduce(
    (sum, r) => sum + (r.cpu?.postgres ?? 0) + (r.cpu?.server ?? 0) + (r.cpu?.client ?? 0),
    0,
  );
  return (cpu * 1000) / events;
}

/**
 * The price of notifying: distinct-jobs events/s of the Manager without a subscription and with
 * one (no filter, so every event is written to the outbox and delivered) whose receiver, in
 * this process, answers 204 at once; the two alternate, ROUNDS each, in the same run. The
 * subscription is disabled between its runs, so the runs without it write no notification.
 */
export async function webhookCase(env: Env, concurrency: number, seconds: number): Promise<WebhookCase> {
  let delivered = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const db = await openDatabase({ url: env.databaseUrl, poolSize: 1 }, { migrate: false });
  try {
    const subscription = await insertSubscription(
      db,
      {
        url,
        description: 'bench',
        filter: {},
        sealedSecret: sealSecret(env.secret, generateWebhookSecret()),
      },
      { kind: 'cli', id: 'bench' },
    );
    const runs = { without: [] as RunResult[], with: [] as RunResult[] };
    for (let round = 0; round < ROUNDS; round++) {
      await updateSubscription(db, subscription.id, {
        enabled: false,
        disabledReason: 'bench: a run without it',
      });
      runs.without.push(await runOne(env, 'manager', targetOf('distinct', env.jobs), concurrency, seconds));
      await updateSubscription(db, subscription.id, { enabled: true });
      runs.with.push(await runOne(env, 'manager', targetOf('distinct', env.jobs), concurrency, seconds));
      const last = (list: RunResult[]) => list.slice(-1);
      env.log(
        `  webhooks round ${round + 1}: ${runs.without.at(-1)?.eventsPerSecond.toFixed(0)} events/s without, ` +
          `${runs.with.at(-1)?.eventsPerSecond.toFixed(0)} with a subscription; CPU ms per event ` +
          `${cpuMsPerEvent(last(runs.without)).toFixed(2)} without, ${cpuMsPerEvent(last(runs.with)).toFixed(2)} with`,
      );
    }
    await updateSubscription(db, subscription.id, { enabled: false, disabledReason: 'bench: done' });
    const without = mean(runs.without);
    const withIt = mean(runs.with);
    return {
      without,
      with: withIt,
      ratio: withIt / without,
      delivered,
      cpuMsPerEvent: { without: cpuMsPerEvent(runs.without), with: cpuMsPerEvent(runs.with) },
      runs,
    };
  } finally {
    await db.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  }
}

export function webhookTarget(result: WebhookCase): Target {
  return {
    name: `events/s with one subscription (instant receiver) >= ${1 - MAX_COST}x without, same run`,
    measured:
      `${result.ratio.toFixed(2)}x (${result.with.toFixed(0)} with, ${result.without.toFixed(0)} without; ` +
      `CPU ms/event ${result.cpuMsPerEvent.with.toFixed(2)} with, ${result.cpuMsPerEvent.without.toFixed(2)} without; ` +
      `${result.delivered} delivered)`,
    pass: result.ratio >= 1 - MAX_COST,
  };
}
