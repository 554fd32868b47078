import { eventBodies, runManagerEvents } from './http-load.js';
import { measured } from './measure.js';
import { runPaced } from './paced-load.js';
import { runPgbench } from './pgbench.js';
import { type Engine, type HttpEngine, isPgbench, type RunResult, type Target } from './run-result.js';
import { mean } from './stats.js';

/**
 * The side-by-side rounds: for each round, concurrency and case, one run of every engine back to
 * back. Even rounds take the engines in reverse order, so none always runs on the warmer (or more
 * fragmented, or checkpointing) database.
 */

export type CaseName = 'distinct' | 'hot';

/** What a run needs; also the context `measured` reads (the PostgreSQL and Manager pids). */
export interface Env {
  /** The HTTP engines running: the Manager always, the floors in the default mode. */
  servers: Partial<Record<HttpEngine, { url: string; pid: number }>>;
  postmasterPid: number | undefined;
  databaseUrl: string;
  apiKey: string;
  secret: string;
  /** undefined: no pgbench on this machine, the pgbench rows are skipped. */
  pgbench: string | undefined;
  jobs: number;
  log: (line: string) => void;
}

export interface CaseRow {
  case: CaseName;
  concurrency: number;
  engine: Engine;
  /** Mean over rounds. */
  eventsPerSecond: number;
  /** Mean of the rounds' p50. */
  p50: number;
  /** Largest of the rounds' p99: the same rule for both engines. */
  p99: number;
  rssMb: number | undefined;
  /**
   * Manager rows: the Manager's events/s over each other engine's, same case and concurrency
   * (the engines that ran).
   */
  ratios: Partial<Record<Exclude<Engine, 'manager'>, number>>;
  errors: number;
  /** CPU milliseconds per event, by process group. */
  cpuMsPerEvent: { postgres: number | undefined; server: number | undefined; client: number };
  runs: RunResult[];
}

export const targetOf = (name: CaseName, jobs: number): Target =>
  name === 'hot' ? { kind: 'hot' } : { kind: 'distinct', jobs };

/** The HTTP server an engine runs on (throws when it is not running). */
function serverOf(env: Env, engine: HttpEngine) {
  const server = env.servers[engine];
  if (!server) throw new Error(`${engine} is not running`);
  return server;
}

/** One run of one engine, measured; pgbench at `rate` transactions per second when given. */
export function runOne(
  env: Env,
  engine: Engine,
  target: Target,
  concurrency: number,
  seconds: number,
  rate?: number,
) {
  if (isPgbench(engine)) {
    return measured({ postmasterPid: env.postmasterPid, serverPid: undefined }, () =>
      runPgbench({
        engine,
        bin: env.pgbench!,
        url: env.databaseUrl,
        target,
        clients: concurrency,
        seconds,
        ...(rate === undefined ? {} : { rate }),
      }),
    );
  }
  const server = serverOf(env, engine);
  return measured({ postmasterPid: env.postmasterPid, serverPid: server.pid }, async () => ({
    ...(await runManagerEvents({
      url: server.url,
      apiKey: env.apiKey,
      secret: env.secret,
      target,
      connections: concurrency,
      seconds,
    })),
    engine,
  }));
}

/** The engines of a comparison: the HTTP ones running, and pgbench's two scripts when it is here. */
export function enginesOf(env: Env): Engine[] {
  const http = (['node-floor', 'express-floor', 'manager'] as const).filter((e) => env.servers[e]);
  return env.pgbench ? ['pgbench', 'pgbench-one', ...http] : [...http];
}

function describe(run: RunResult): string {
  return `${run.eventsPerSecond.toFixed(0)} events/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms${run.errors ? `, ${run.errors} errors` : ''}`;
}

export async function runRounds(
  env: Env,
  options: { cases: CaseName[]; concurrency: number[]; rounds: number; seconds: number; engines?: Engine[] },
): Promise<CaseRow[]> {
  const runs = new Map<string, RunResult[]>();
  const engines = options.engines ?? enginesOf(env);
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? engines : [...engines].reverse();
    for (const concurrency of options.concurrency) {
      for (const name of options.cases) {
        for (const engine of order) {
          const run = await runOne(env, engine, targetOf(name, env.jobs), concurrency, options.seconds);
          env.log(`  round ${round} ${name} C=${concurrency} ${engine}: ${describe(run)}`);
          const key = `${name}|${concurrency}|${engine}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
        }
      }
    }
  }
  const rows: CaseRow[] = [];
  for (const concurrency of options.concurrency) {
    for (const name of options.cases) {
      const group = engines.map((engine) =>
        aggregate(name, concurrency, engine, runs.get(`${name}|${concurrency}|${engine}`) ?? []),
      );
      const manager = group.find((r) => r.engine === 'manager');
      for (const other of group) {
        if (manager && other.engine !== 'manager')
          manager.ratios[other.engine] = manager.eventsPerSecond / other.eventsPerSecond;
      }
      rows.push(...group);
    }
  }
  return rows;
}

export function perEvent(runs: RunResult[], pick: (r: RunResult) => number | undefined): number | undefined {
  const events = runs.reduce((a, r) => a + r.events, 0);
  let total = 0;
  for (const r of runs) {
    const v = pick(r);
    if (v === undefined) return undefined;
    total += v;
  }
  return events === 0 ? undefined : (total * 1000) / events;
}

function aggregate(name: CaseName, concurrency: number, engine: Engine, runs: RunResult[]): CaseRow {
  const rss = runs.map((r) => r.rssMb).filter((x): x is number => x !== undefined);
  return {
    case: name,
    concurrency,
    engine,
    eventsPerSecond: mean(runs.map((r) => r.eventsPerSecond)),
    p50: mean(runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    rssMb: rss.length ? Math.max(...rss) : undefined,
    ratios: {},
    errors: runs.reduce((a, r) => a + r.errors, 0),
    cpuMsPerEvent: {
      postgres: perEvent(runs, (r) => r.cpu?.postgres),
      server: isPgbench(engine) ? undefined : perEvent(runs, (r) => r.cpu?.server),
      client: perEvent(runs, (r) => r.cpu?.client) ?? Number.NaN,
    },
    runs,
  };
}

/** The Manager at a fixed rate (autocannon overallRate), to read its p99 below saturation. */
export async function fixedRateRun(env: Env, rate: number, concurrency: number, seconds: number) {
  const manager = serverOf(env, 'manager');
  return measured({ postmasterPid: env.postmasterPid, serverPid: manager.pid }, () =>
    runManagerEvents({
      url: manager.url,
      apiKey: env.apiKey,
      secret: env.secret,
      target: targetOf('distinct', env.jobs),
      connections: concurrency,
      seconds,
      overallRate: Math.round(rate),
    }),
  );
}

/** The Manager at a fixed rate, open loop (see paced-load.ts for why this differs from autocannon). */
export async function pacedRun(env: Env, rate: number, concurrency: number, seconds: number) {
  const manager = serverOf(env, 'manager');
  return measured({ postmasterPid: env.postmasterPid, serverPid: manager.pid }, () =>
    runPaced({
      url: manager.url,
      apiKey: env.apiKey,
      path: '/messages',
      rate,
      connections: concurrency,
      seconds,
      body: eventBodies(env.secret, targetOf('distinct', env.jobs)),
    }),
  );
}
