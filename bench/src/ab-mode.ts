import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import postgres from 'postgres';
import { type CaseName, targetOf } from './compare.js';
import { createReporterKey, newSecret } from './credentials.js';
import { createBenchDatabase } from './database.js';
import type { Context } from './default-mode.js';
import { runManagerEvents } from './http-load.js';
import { loadJobs } from './load-data.js';
import { startManager } from './manager-process.js';
import { measured } from './measure.js';
import { num, table } from './report.js';
import type { RunResult } from './run-result.js';
import { mean } from './stats.js';

/**
 * `pnpm bench --ab DIR`: this checkout's Manager (A) against another checkout's (B, built in
 * DIR), both running at once on one bench database, in runs of A B B A per round, case and
 * concurrency, so that the machine's drift falls on both alike. Besides events/s and CPU per
 * event, it counts PostgreSQL transactions per event (pg_stat_database), which says whether a
 * change added or removed statements. Both must expect the same schema (the database is migrated
 * by this checkout's migrations).
 */
export async function abMode(ctx: Context, otherCheckout: string): Promise<void> {
  const { options, server, log, cleanup } = ctx;
  const otherMain = resolve(otherCheckout, 'apps/http/dist/main.js');
  if (!existsSync(otherMain))
    throw new Error(`${otherMain} is missing: install and build that checkout first`);
  const db = await createBenchDatabase(server);
  const dropDb = cleanup.add(`drop database ${db.name}`, db.drop);
  const load = await loadJobs(db.url, options.jobs, options.history, log);
  log(`loaded ${load.jobs} jobs, ${load.events} history rows`);
  const secret = newSecret();
  const apiKey = await createReporterKey(db.url);
  const common = { databaseUrl: db.url, secret, poolSize: options.poolSize };
  const managers = {
    A: await startManager(common),
    B: await startManager({ ...common, main: otherMain }),
  };
  const stopA = cleanup.add('stop Manager A', managers.A.stop);
  const stopB = cleanup.add('stop Manager B', managers.B.stop);
  log(`A: this checkout, pid ${managers.A.pid}; B: ${otherCheckout}, pid ${managers.B.pid}`);
  const stats = postgres(db.url, { max: 1, onnotice: () => {} });
  const stopStats = cleanup.add('close the statistics connection', () => stats.end({ timeout: 5 }));

  const runOne = async (which: 'A' | 'B', name: CaseName, concurrency: number, seconds: number) => {
    const manager = managers[which];
    const xacts0 = await transactions(stats);
    const run = await measured({ postmasterPid: server.postmasterPid, serverPid: manager.pid }, () =>
      runManagerEvents({
        url: manager.url,
        apiKey,
        secret,
        target: targetOf(name, options.jobs),
        connections: concurrency,
        seconds,
      }),
    );
    const xacts = (await transactions(stats)) - xacts0;
    return { run, xactsPerEvent: run.events === 0 ? Number.NaN : xacts / run.events };
  };

  if (options.warmupSeconds > 0) {
    log(`warm-up: ${options.warmupSeconds} s of each (not counted)`);
    for (const which of ['A', 'B'] as const) await runOne(which, 'distinct', 8, options.warmupSeconds);
  }
  const cases: CaseName[] = options.cases;
  const rows: string[][] = [];
  for (const concurrency of options.concurrency) {
    for (const name of cases) {
      const got = { A: [] as Measured[], B: [] as Measured[] };
      for (let round = 1; round <= options.rounds; round++) {
        for (const which of ['A', 'B', 'B', 'A'] as const) {
          const measuredRun = await runOne(which, name, concurrency, options.durationSeconds);
          got[which].push(measuredRun);
          log(
            `  ${name} C=${concurrency} round ${round} ${which}: ${num(measuredRun.run.eventsPerSecond)} events/s, ` +
              `${num(measuredRun.xactsPerEvent, 2)} xacts/event${measuredRun.run.errors ? `, ${measuredRun.run.errors} errors` : ''}`,
          );
        }
      }
      const a = summary(got.A);
      const b = summary(got.B);
      for (const [which, s] of [
        ['A', a],
        ['B', b],
      ] as const) {
        rows.push([
          name,
          String(concurrency),
          which,
          num(s.eventsPerSecond),
          num(s.serverCpu, 3),
          num(s.postgresCpu, 3),
          num(s.xacts, 2),
          num(s.p99, 1),
          which === 'B' ? `${(b.eventsPerSecond / a.eventsPerSecond).toFixed(3)}x` : '',
        ]);
      }
    }
  }
  await stopA();
  await stopB();
  await stopStats();
  await dropDb();
  log('');
  log(
    table(
      ['case', 'C', 'Manager', 'events/s', 'server CPU', 'PG CPU', 'PG xacts/event', 'p99 ms', 'B/A'],
      rows,
    ),
  );
  log('(CPU in ms per event, totals over the runs; events/s the mean of the runs; p99 the largest)');
}

interface Measured {
  run: RunResult;
  xactsPerEvent: number;
}

function summary(runs: Measured[]) {
  const events = runs.reduce((sum, m) => sum + m.run.events, 0);
  const cpu = (pick: (r: RunResult) => number | undefined) =>
    (runs.reduce((sum, m) => sum + (pick(m.run) ?? Number.NaN), 0) * 1000) / events;
  return {
    eventsPerSecond: mean(runs.map((m) => m.run.eventsPerSecond)),
    serverCpu: cpu((r) => r.cpu?.server),
    postgresCpu: cpu((r) => r.cpu?.postgres),
    xacts: mean(runs.map((m) => m.xactsPerEvent)),
    p99: Math.max(...runs.map((m) => m.run.p99)),
  };
}

/**
 * The bench database's committed and rolled-back transactions so far. Backends report their
 * counts at most once a second, and within a second of going idle: read after that long.
 */
async function transactions(sql: postgres.Sql): Promise<number> {
  await new Promise((done) => setTimeout(done, 1_200));
  const [row] = await sql<{ n: string }[]>`
    select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()`;
  return Number(row?.n ?? Number.NaN);
}
