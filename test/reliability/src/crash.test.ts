import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sizes } from './config.js';
import { type EmbeddedDb, type Keys, startEmbeddedDb } from './embedded-db.js';
import { type EventOutcome, is2xx, pick, random, type SentEvent, sendEvent, tally } from './events.js';
import { type CreatedJob, createJob, registerPipeline } from './fixtures.js';
import { checkHistories } from './history-checks.js';
import { pool } from './http.js';
import { finishFile } from './lifecycle.js';
import { ManagerProcess } from './manager-process.js';
import { report } from './results.js';

/**
 * kill -9 of the only Manager in the middle of a load: what it acknowledged is in the history,
 * what it did not answer is either wholly applied or not at all, and a retry with the same
 * idempotency key completes it exactly once.
 */
let db: EmbeddedDb;
let keys: Keys;
let manager: ManagerProcess | undefined;
const retired: ManagerProcess[] = [];

const start = (n: number) =>
  ManagerProcess.start({ name: `crash-${n}`, databaseUrl: db.url, secret: db.secret, poolSize: 20 });

beforeAll(async () => {
  db = await startEmbeddedDb('crash');
  keys = await db.createKeys('crash');
  manager = await start(1);
  await registerPipeline(manager.base, keys.agent);
});

afterAll(async () => {
  await finishFile([...retired, manager], db);
});

describe('crash: kill -9 of the Manager under load', () => {
  it(`${sizes.crashEvents} events at concurrency ${sizes.crashConcurrency}, the Manager killed half-way and restarted`, async () => {
    const rand = random(SEED + 2);
    const jobs: CreatedJob[] = await pool(
      Array.from({ length: sizes.crashJobs }, (_, i) => i),
      16,
      (i) => createJob((manager as ManagerProcess).base, keys.agent, 'crash', i),
    );
    // Only moves legal in CREATED and RUNNING, so every event that reaches the database applies.
    const plan = Array.from({ length: sizes.crashEvents }, (_, i) => ({
      job: jobs[i % jobs.length] as CreatedJob,
      name: pick(rand, [
        ['run', 1],
        ['update', 3],
        ['resource', 2],
      ]),
      key: `crash-${i}`,
    }));

    let acknowledged = 0;
    let killedAt = -1;
    let restart: Promise<void> | undefined;
    let downMs = 0;
    const killAndRestart = async () => {
      const old = manager as ManagerProcess;
      const t0 = performance.now();
      await old.kill9();
      retired.push(old);
      manager = await start(2);
      downMs = performance.now() - t0;
    };
    const sent: SentEvent[] = await pool(plan, sizes.crashConcurrency, async ({ job, name, key }, i) => {
      if (restart) await restart;
      const data = { i };
      const res = await sendEvent((manager as ManagerProcess).base, keys.reporter, job, name, {
        key,
        data,
        timeoutMs: 15_000,
      });
      if (is2xx(res.status)) acknowledged += 1;
      if (!restart && acknowledged >= plan.length / 2) {
        killedAt = i;
        restart = killAndRestart();
      }
      return { job: job.uuid, name, key, data, res };
    });
    if (restart) await restart;
    expect(killedAt, 'the Manager was killed').toBeGreaterThan(0);

    // Before any retry: the events that got no answer are each wholly applied or not at all.
    const before = await checkHistories(databaseOf(db.services).sql);
    expect(before.problems).toEqual([]);
    const unanswered = sent.filter((s) => !is2xx(s.res.status));
    const appliedUnanswered = unanswered.filter((s) => before.byKey.has(`${s.job}/${s.key}`));
    const first = tally(sent, before, { unansweredExpected: true });

    // The callers retry what got no answer: the same request with the same idempotency key.
    const retried = await pool(unanswered, 8, async (s) => {
      const job = jobs.find((j) => j.uuid === s.job) as CreatedJob;
      const res = await sendEvent((manager as ManagerProcess).base, keys.reporter, job, s.name, {
        key: s.key,
        data: s.data,
      });
      return { ...s, res };
    });
    const after = await checkHistories(databaseOf(db.services).sql);
    const retryProblems: string[] = [];
    for (const r of retried) {
      const stored = before.byKey.get(`${r.job}/${r.key}`)?.[0];
      const outcome = r.res.json as EventOutcome;
      if (r.res.status !== 200)
        retryProblems.push(`retry of ${r.key}: ${r.res.status} ${r.res.text.slice(0, 200)}`);
      else if (
        stored &&
        (r.res.headers['idempotent-replayed'] !== 'true' || outcome.event.uuid !== stored.uuid)
      ) {
        retryProblems.push(
          `retry of ${r.key} (applied before the crash) was not replayed: ${r.res.text.slice(0, 200)}`,
        );
      } else if (!stored && r.res.headers['idempotent-replayed'] === 'true') {
        retryProblems.push(`retry of ${r.key} (never applied) claims a replay`);
      }
    }
    const afterTally = tally([...sent.filter((s) => is2xx(s.res.status)), ...retried], after);
    const missingKeys = plan.filter((p) => (after.byKey.get(`${p.job.uuid}/${p.key}`)?.length ?? 0) !== 1);

    report('crash', {
      sent: first.sent,
      acknowledged: first.acknowledged,
      unanswered: unanswered.length,
      'unanswered but applied': appliedUnanswered.length,
      'unanswered not applied': unanswered.length - appliedUnanswered.length,
      found: first.found,
      lost: first.lost,
      '5xx': first.fivexx,
      'killed after request': killedAt,
      'restart ms': Math.round(downMs),
      retried: retried.length,
      'events in history (exactly once)': plan.length - missingKeys.length,
    });
    expect(first.problems).toEqual([]);
    expect(first.fivexx).toBe(0);
    expect(first.lost).toBe(0);
    expect(first.found).toBe(first.acknowledged);
    // Every answer is a 200, or no answer at all (the kill); nothing else.
    expect(unanswered.every((s) => s.res.status === 0)).toBe(true);
    expect(after.problems).toEqual([]);
    expect(retryProblems).toEqual([]);
    expect(afterTally.lost).toBe(0);
    // After the retries every event is in the history exactly once, and nothing else is.
    expect(missingKeys.map((p) => p.key)).toEqual([]);
    expect(after.events).toBe(jobs.length + plan.length);
  });
});
