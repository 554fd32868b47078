import { type Env, runOne, runRounds, targetOf } from './compare.js';
import { createReporterKey, newSecret } from './credentials.js';
import { createBenchDatabase } from './database.js';
import type { Context } from './default-mode.js';
import { listLatency } from './http-load.js';
import { type LoadResult, loadJobs } from './load-data.js';
import { startManager } from './manager-process.js';
import { num, resultsHeader, type Target, table, targetLines, writeResults } from './report.js';

/**
 * Scale mode: the distinct-jobs measurement (pgbench and the Manager, alternating) and the
 * GET /jobs?state=RUNNING&limit=50 latency at each size, each size on a fresh database loaded
 * with ~10 history rows per job. Target: the Manager's drop in events/s from the smallest size
 * to the largest no larger than pgbench's (the locked transaction) plus 5 points.
 */

/** Points of events/s the Manager may lose over the sizes beyond what pgbench loses. */
const MAX_EXTRA_DROP_POINTS = 5;

interface SizeRow {
  size: number;
  load: LoadResult;
  concurrency: number;
  pgbenchEventsPerSecond: number | undefined;
  managerEventsPerSecond: number;
  ratio: number | undefined;
  managerP50: number;
  managerP99: number;
  listP50: number;
  listP99: number;
  rssMb: number | undefined;
}

export async function scaleMode(ctx: Context): Promise<void> {
  const { options, log, cleanup } = ctx;
  const started = performance.now();
  const concurrency = options.concurrency[0] ?? 8;
  const sizes: SizeRow[] = [];
  for (const size of options.sizes) {
    const db = await createBenchDatabase(ctx.server);
    const dropDb = cleanup.add(`drop database ${db.name}`, db.drop);
    log(`size ${size}: loading ${size} jobs x ${options.history} history rows into ${db.name}`);
    const load = await loadJobs(db.url, size, options.history, log);
    log(
      `  loaded ${load.jobs} jobs, ${load.events} history rows in ${load.totalSeconds.toFixed(1)} s ` +
        `(insert ${load.insertSeconds.toFixed(1)}, indexes ${load.indexSeconds.toFixed(1)}, vacuum ${load.vacuumSeconds.toFixed(1)}; ${load.databaseMb.toFixed(0)} MB)`,
    );
    const secret = newSecret();
    const apiKey = await createReporterKey(db.url);
    const manager = await startManager({ databaseUrl: db.url, secret, poolSize: options.poolSize });
    const stopManager = cleanup.add('stop the Manager', manager.stop);
    const env: Env = {
      servers: { manager: { url: manager.url, pid: manager.pid } },
      postmasterPid: ctx.server.postmasterPid,
      databaseUrl: db.url,
      apiKey,
      secret,
      pgbench: ctx.pgbench,
      jobs: size,
      log,
    };
    if (options.warmupSeconds > 0) {
      await runOne(env, 'manager', targetOf('distinct', size), concurrency, options.warmupSeconds);
      if (ctx.pgbench)
        await runOne(env, 'pgbench', targetOf('distinct', size), concurrency, options.warmupSeconds);
    }
    const rows = await runRounds(env, {
      cases: ['distinct'],
      concurrency: [concurrency],
      rounds: options.rounds,
      seconds: options.durationSeconds,
      engines: ctx.pgbench ? ['pgbench', 'manager'] : ['manager'],
    });
    const list = await listLatency(manager.url, apiKey, options.listRequests);
    log(
      `  GET /jobs?state=RUNNING&limit=50 x ${list.requests}: p50 ${list.p50.toFixed(1)} ms, p99 ${list.p99.toFixed(1)} ms`,
    );
    await stopManager();
    await dropDb();
    const m = rows.find((r) => r.engine === 'manager')!;
    const pg = rows.find((r) => r.engine === 'pgbench');
    sizes.push({
      size,
      load,
      concurrency,
      pgbenchEventsPerSecond: pg?.eventsPerSecond,
      managerEventsPerSecond: m.eventsPerSecond,
      ratio: m.ratios.pgbench,
      managerP50: m.p50,
      managerP99: m.p99,
      listP50: list.p50,
      listP99: list.p99,
      rssMb: m.rssMb,
    });
  }
  const first = sizes[0]!;
  const last = sizes.at(-1)!;
  const drop = 1 - last.managerEventsPerSecond / first.managerEventsPerSecond;
  const pgDrop =
    first.pgbenchEventsPerSecond === undefined || last.pgbenchEventsPerSecond === undefined
      ? undefined
      : 1 - last.pgbenchEventsPerSecond / first.pgbenchEventsPerSecond;
  const targets: Target[] = [
    {
      name: `the Manager's drop from ${first.size} to ${last.size} jobs <= pgbench's + ${MAX_EXTRA_DROP_POINTS} points${last.size < 1_000_000 ? ' (the target is at 1M jobs)' : ''}`,
      measured: `Manager ${(drop * 100).toFixed(1)}% (${num(first.managerEventsPerSecond)} -> ${num(last.managerEventsPerSecond)}), pgbench ${pgDrop === undefined ? '-' : `${(pgDrop * 100).toFixed(1)}%`}`,
      pass:
        sizes.length < 2 || pgDrop === undefined
          ? undefined
          : drop * 100 <= pgDrop * 100 + MAX_EXTRA_DROP_POINTS,
    },
  ];
  const minutes = (performance.now() - started) / 60_000;
  log('');
  log(scaleTable(sizes));
  log('');
  log('Targets (bench/README.md):');
  log(targetLines(targets));
  const path = writeResults(
    {
      ...resultsHeader('scale', ctx.machine, options),
      sizes,
      targets,
      minutes,
    },
    '-scale',
  );
  log(`\nwrote ${path} (${minutes.toFixed(1)} min)`);
}

function scaleTable(rows: SizeRow[]): string {
  return table(
    [
      'jobs',
      'history rows',
      'load s',
      'DB MB',
      'C',
      'pgbench ev/s',
      'Manager ev/s',
      'ratio',
      'event p50 ms',
      'event p99 ms',
      'list p50 ms',
      'list p99 ms',
      'RSS MB',
    ],
    rows.map((r) => [
      String(r.load.jobs),
      String(r.load.events),
      num(r.load.totalSeconds, 1),
      num(r.load.databaseMb),
      String(r.concurrency),
      num(r.pgbenchEventsPerSecond),
      num(r.managerEventsPerSecond),
      num(r.ratio, 2),
      num(r.managerP50, 1),
      num(r.managerP99, 1),
      num(r.listP50, 1),
      num(r.listP99, 1),
      num(r.rssMb),
    ]),
  );
}
