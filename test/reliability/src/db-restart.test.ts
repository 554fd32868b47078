import { setTimeout as sleep } from 'node:timers/promises';
import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sizes } from './config.js';
import { type EmbeddedDb, type Keys, startEmbeddedDb } from './embedded-db.js';
import { type EventOutcome, is2xx, problemIssue, sendEvent } from './events.js';
import { type CreatedJob, createJob, registerPipeline } from './fixtures.js';
import { checkHistories } from './history-checks.js';
import { type HttpResponse, pool, send, statusCounts } from './http.js';
import { finishFile } from './lifecycle.js';
import { ManagerProcess } from './manager-process.js';
import { report } from './results.js';
import { type Logged, timedLoad } from './timed-load.js';

/**
 * PostgreSQL stops under load (fast shutdown, clients connected) and starts again on the same
 * port. While it is down every request must fail fast with a 503 problem document and /readyz
 * must say 503; afterwards the same Manager process must recover by itself.
 */
let db: EmbeddedDb;
let keys: Keys;
let manager: ManagerProcess | undefined;

const FAST_MS = 5000;

beforeAll(async () => {
  db = await startEmbeddedDb('db-restart');
  keys = await db.createKeys('db-restart');
  manager = await ManagerProcess.start({ name: 'db-restart', databaseUrl: db.url, secret: db.secret });
  await registerPipeline(manager.base, keys.agent);
});

afterAll(async () => {
  await finishFile([manager], db);
});

interface Request {
  kind: 'event' | 'read' | 'readyz';
  key?: string;
  job?: string;
  res: HttpResponse;
}
type Timed = Logged<Request>;

interface Outage {
  /** releaseEmbeddedServer called; returned (server gone); acquireEmbeddedServer called; returned. */
  stopping: number;
  down: number;
  starting: number;
  up: number;
  /** First successful event that started after `up`. */
  recovered?: number;
  readyAgain?: number;
}

describe('database restart under load', () => {
  it(`${sizes.dbRestarts} PostgreSQL restart(s): fast 503s while down, recovery without restarting the Manager`, async () => {
    const m = manager as ManagerProcess;
    const jobs: CreatedJob[] = await pool(
      Array.from({ length: 10 }, (_, i) => i),
      4,
      (i) => createJob(m.base, keys.agent, 'db-restart', i),
    );
    // Load: 8 callers sending events (each with an idempotency key) and reads, back to back.
    const load = timedLoad<Request>(8, async (i, c) => {
      const job = jobs[i % jobs.length] as CreatedJob;
      if (i % 5 === 4) {
        const res = await send(m.base, {
          method: 'GET',
          path: `/jobs/${job.uuid}`,
          headers: { authorization: `Bearer ${keys.reader}` },
          timeoutMs: 30_000,
        });
        return { kind: 'read', job: job.uuid, res };
      }
      const key = `restart-${c}-${i}`;
      const res = await sendEvent(m.base, keys.reporter, job, i % 2 ? 'update' : 'resource', {
        key,
        data: { i },
        timeoutMs: 30_000,
      });
      return { kind: 'event', key, job: job.uuid, res };
    });
    const { now, log } = load;
    // /readyz every 250 ms.
    const poller = async () => {
      while (load.running()) {
        const start = now();
        const res = await send(m.base, { method: 'GET', path: '/readyz', timeoutMs: 30_000 });
        log.push({ kind: 'readyz', start, end: now(), res });
        await sleep(250);
      }
    };
    const polling = poller();

    const outages: Outage[] = [];
    await sleep(2000);
    for (let r = 0; r < sizes.dbRestarts; r++) {
      const stopping = now();
      await db.stopServer();
      const down = now();
      await sleep(sizes.outageMs);
      const starting = now();
      await db.startServer();
      const up = now();
      const outage: Outage = { stopping, down, starting, up };
      outages.push(outage);
      // Wait for the Manager to recover by itself (30 s at most), then keep the load on a while.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        outage.recovered = log.find((e) => e.kind === 'event' && e.start >= up && is2xx(e.res.status))?.end;
        outage.readyAgain = log.find(
          (e) => e.kind === 'readyz' && e.start >= up && e.res.status === 200,
        )?.end;
        if (outage.recovered !== undefined && outage.readyAgain !== undefined) break;
        await sleep(100);
      }
      await sleep(3000);
    }
    await Promise.all([load.stop(), polling]);
    const alive = m.running;

    // Classify every request by when it ran.
    const downWindow = (e: Timed) => outages.some((o) => e.start >= o.down && e.end <= o.starting);
    // Untouched by any outage: ended before it began, or started once the Manager had recovered.
    const afterRecovery = (e: Timed) =>
      outages.every((o) => e.end < o.stopping || (o.recovered !== undefined && e.start >= o.recovered));
    const requests = log.filter((e) => e.kind !== 'readyz');
    const readyz = log.filter((e) => e.kind === 'readyz');
    const duringOutage = requests.filter(downWindow);
    const wrongDuringOutage = duringOutage.filter(
      (e) =>
        e.res.status !== 503 ||
        problemIssue(e.res) !== undefined ||
        e.res.headers['retry-after'] === undefined,
    );
    const slow = log.filter((e) => e.end - e.start > FAST_MS || e.res.status === 0);
    const fivehundreds = requests.filter((e) => e.res.status >= 500 && e.res.status !== 503);
    const failedAfterRecovery = requests.filter((e) => afterRecovery(e) && !is2xx(e.res.status));
    const readyzDuringOutage = readyz.filter(downWindow);
    const maxLatency = Math.max(...log.map((e) => e.end - e.start));
    // Overlapping an outage at all (a request that hangs through it is not "during" it).
    const overlapping = requests.filter((e) => outages.some((o) => e.start < o.starting && e.end > o.down));
    const maxOutageLatency = Math.max(0, ...overlapping.map((e) => e.end - e.start));

    // Nothing acknowledged is lost, and the histories are intact.
    const history = await checkHistories(
      databaseOf(db.services).sql,
      jobs.map((j) => j.uuid),
    );
    const acknowledged = requests.filter((e) => e.kind === 'event' && is2xx(e.res.status));
    const lost = acknowledged.filter((e) => {
      const uuid = (e.res.json as EventOutcome).event.uuid;
      return history.byUuid.get(uuid)?.length !== 1;
    });
    const refusedButApplied = requests.filter(
      (e) => e.kind === 'event' && !is2xx(e.res.status) && history.byKey.has(`${e.job}/${e.key}`),
    );
    const sample = (list: Timed[]) =>
      list
        .slice(0, 5)
        .map(
          (e) =>
            `${e.kind} at ${Math.round(e.start)} ms: ${e.res.status || e.res.error} in ${Math.round(e.end - e.start)} ms ${e.res.text.slice(0, 300)}`,
        );

    report('db restart', {
      'manager alive': alive,
      restarts: outages.length,
      'outage ms': sizes.outageMs,
      requests: requests.length,
      statuses: statusCounts(requests.map((e) => e.res)),
      'during outage': duringOutage.length,
      'overlapping outage': overlapping.length,
      'during outage not 503 problem': wrongDuringOutage.length,
      '5xx other than 503': fivehundreds.length,
      'max latency ms': Math.round(maxLatency),
      'max latency overlapping outage ms': Math.round(maxOutageLatency),
      'slower than 5 s or no answer': slow.length,
      'recovery ms (first 2xx after start)': Math.round(
        Math.max(...outages.map((o) => (o.recovered ?? Number.NaN) - o.up)),
      ),
      'readyz 200 again ms': Math.round(Math.max(...outages.map((o) => (o.readyAgain ?? Number.NaN) - o.up))),
      'readyz during outage': readyzDuringOutage.length,
      'readyz during outage not 503': readyzDuringOutage.filter((e) => e.res.status !== 503).length,
      'failed after recovery': failedAfterRecovery.length,
      acknowledged: acknowledged.length,
      lost: lost.length,
      // An error answer for an event that did commit (the answer was lost with the connection):
      // callers retrying with the same idempotency key get it replayed, so it is reported, not failed.
      'not acknowledged but applied': statusCounts(refusedButApplied.map((e) => e.res)),
    });

    expect(alive, `the Manager process survives the outage; its log ends:\n${m.logText().slice(-3000)}`).toBe(
      true,
    );
    expect(sample(fivehundreds), 'no 500 (or other non-503 5xx) at any time').toEqual([]);
    expect(sample(slow), `no request takes more than ${FAST_MS} ms, none hangs`).toEqual([]);
    expect(sample(wrongDuringOutage), 'while down: 503 problem+json with Retry-After').toEqual([]);
    expect(duringOutage.length, 'requests ran (and ended) while the database was down').toBeGreaterThan(10);
    expect(readyzDuringOutage.length).toBeGreaterThan(0);
    expect(
      sample(readyzDuringOutage.filter((e) => e.res.status !== 503)),
      '/readyz is 503 while down',
    ).toEqual([]);
    for (const o of outages) {
      expect(o.recovered, 'events succeed again after the restart').toBeDefined();
      expect(o.readyAgain, '/readyz is 200 again after the restart').toBeDefined();
    }
    expect(sample(failedAfterRecovery), 'every request succeeds once recovered').toEqual([]);
    expect(history.problems).toEqual([]);
    expect(lost.length).toBe(0);
  });
});
