import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sizes } from './config.js';
import { type EmbeddedDb, type Keys, startEmbeddedDb } from './embedded-db.js';
import { type EventTally, pick, random, type SentEvent, sendEvent, shuffle, tally } from './events.js';
import { type CreatedJob, createJob, registerPipeline } from './fixtures.js';
import { checkHistories, type HistoryReport } from './history-checks.js';
import { pool } from './http.js';
import { finishFile } from './lifecycle.js';
import { ManagerProcess } from './manager-process.js';
import { report } from './results.js';

/**
 * Two Manager processes on one database, many concurrent callers: the row lock must serialise
 * every transition, so nothing acknowledged is lost, nothing is applied twice, and the history
 * of every job is a gapless chain of legal moves.
 */
let db: EmbeddedDb;
let keys: Keys;
let managers: ManagerProcess[] = [];

beforeAll(async () => {
  db = await startEmbeddedDb('contention');
  keys = await db.createKeys('contention');
  managers = await Promise.all(
    [0, 1].map((i) =>
      ManagerProcess.start({ name: `contention-${i}`, databaseUrl: db.url, secret: db.secret, poolSize: 20 }),
    ),
  );
  await registerPipeline(managers[0]!.base, keys.agent);
});

afterAll(async () => {
  await finishFile(managers, db);
});

const manager = (i: number) => managers[i % managers.length] as ManagerProcess;

/** Sends event `i` of a run through the Managers in turn, with `{ i }` as its data. */
async function sendVia(
  i: number,
  job: CreatedJob,
  name: string,
  form: 'json' | 'params',
): Promise<SentEvent> {
  return {
    job: job.uuid,
    name,
    res: await sendEvent(manager(i).base, keys.reporter, job, name, { form, data: { i } }),
  };
}

/** The counts of a tally, as both runs report them. */
const counts = (t: EventTally) => ({
  sent: t.sent,
  acknowledged: t.acknowledged,
  refused: t.refused,
  found: t.found,
  lost: t.lost,
  '5xx': t.fivexx,
  unanswered: t.unanswered,
});

/** What both runs must show: every event answered with a 200 or a 409, none lost, legal histories. */
function expectEveryEventAnswered(t: EventTally, history: HistoryReport): void {
  expect(t.problems).toEqual([]);
  expect(history.problems).toEqual([]);
  expect(t.fivexx).toBe(0);
  expect(t.unanswered).toBe(0);
  // Every answer is a 200 or a 409 (refused by the state machine, with a problem document).
  expect(t.acknowledged + t.refused).toBe(t.sent);
  expect(t.lost).toBe(0);
}

describe('contention: two Managers, one database', () => {
  it(`${sizes.hotEvents} concurrent events on one job lose nothing and apply nothing twice`, async () => {
    const job = await createJob(manager(0).base, keys.agent, 'contention-hot', 0);
    const rand = random(SEED);
    const n = sizes.hotEvents;
    // Self-loops and run first; near the end `finish`, after which run/update/resource are refused.
    const plan = Array.from({ length: n }, (_, i) =>
      i < n * 0.9
        ? pick(rand, [
            ['run', 2],
            ['update', 4],
            ['resource', 4],
          ])
        : pick(rand, [
            ['finish', 4],
            ['update', 2],
            ['resource', 2],
            ['run', 2],
          ]),
    );
    const started = performance.now();
    // All at once: each Manager gets half, through 64 keep-alive sockets each.
    const sent: SentEvent[] = await Promise.all(
      plan.map((name, i) => sendVia(i, job, name, i % 3 === 0 ? 'params' : 'json')),
    );
    const seconds = (performance.now() - started) / 1000;
    const history = await checkHistories(databaseOf(db.services).sql, [job.uuid]);
    const t = tally(sent, history);
    const entries = history.histories.get(job.uuid)?.length ?? 0;
    report('contention (one job)', {
      managers: managers.length,
      ...counts(t),
      history: entries,
      final: history.jobsByUuid.get(job.uuid)?.state ?? null,
      'events/s': Math.round(t.sent / seconds),
    });
    expectEveryEventAnswered(t, history);
    expect(t.found).toBe(t.acknowledged);
    // Nothing applied without an acknowledgement: the history is create + the acknowledged events.
    expect(entries).toBe(1 + t.acknowledged);
    for (const { res } of sent.filter((s) => s.res.status === 409)) {
      expect(res.json).toMatchObject({ status: 409, state: expect.any(String), allowed: expect.any(Array) });
    }
  });

  it(`${sizes.jobs} jobs x ${sizes.eventsPerJob} events, interleaved over both Managers`, async () => {
    const rand = random(SEED + 1);
    const jobs: CreatedJob[] = await pool(
      Array.from({ length: sizes.jobs }, (_, i) => i),
      16,
      (i) => createJob(manager(i).base, keys.agent, 'contention-many', i),
    );
    const per = sizes.eventsPerJob;
    // Each job's own events in order (its last few may be `finish`), the jobs interleaved in a
    // different order every round, so all jobs are hot at once.
    const eventsOf = jobs.map(() =>
      Array.from({ length: per }, (_, k) =>
        k < per - 5
          ? pick(rand, [
              ['run', 1],
              ['update', 2],
              ['resource', 2],
            ])
          : pick(rand, [
              ['finish', 1],
              ['update', 1],
              ['resource', 1],
            ]),
      ),
    );
    const plan = Array.from({ length: per }, (_, k) =>
      shuffle(
        rand,
        jobs.map((job, j) => ({ job, name: eventsOf[j]?.[k] as string })),
      ),
    ).flat();
    const started = performance.now();
    const sent: SentEvent[] = await pool(plan, 128, ({ job, name }, i) =>
      sendVia(i, job, name, i % 2 === 0 ? 'json' : 'params'),
    );
    const seconds = (performance.now() - started) / 1000;
    const history = await checkHistories(
      databaseOf(db.services).sql,
      jobs.map((j) => j.uuid),
    );
    const t = tally(sent, history);
    report('contention (many jobs)', {
      jobs: jobs.length,
      ...counts(t),
      history: history.events,
      'events/s': Math.round(t.sent / seconds),
    });
    expectEveryEventAnswered(t, history);
    // Per job: create + what was acknowledged on that job, nothing more.
    expect(history.events).toBe(jobs.length + t.acknowledged);
  });
});
