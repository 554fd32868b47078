import { eventBodies, runManagerEvents } from './http-load.js';
import { measured } from './measure.js';
import { runPaced } from './paced-load.js';
import { runPgbench } from './pgbench.js';
import type { Engine, RunResult, Target } from './run-result.js';
import { mean } from './stats.js';

/**
 * The side-by-side rounds: for each round, concurrency and case, one pgbench run and one Manager
 * run back to back. Odd rounds start with pgbench, even rounds with the Manager, so neither
 * engine always runs on the warmer (or more fragmented, or checkpointing) database.
 */

export type CaseName = 'distinct' | 'hot';

/** What a run needs; also the context `measured` reads (the PostgreSQL and Manager pids). */
export interface Env {
  managerUrl: string;
  managerPid: number;
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
  /** Manager rows: Manager events/s over pgbench events/s for the same case and concurrency. */
  ratio: number | undefined;
  errors: number;
  /** CPU milliseconds per event, by process group. */
  cpuMsPerEvent: { postgres: number | undefined; manager: number | undefined; client: number };
  runs: RunResult[];
}

export const targetOf = (name: CaseName, jobs: number): Target =>
  name === 'hot' ? { kind: 'hot' } : { kind: 'distinct', jobs };

/** One run of one engine, measured. */
export function runOne(env: Env, engine: Engine, target: Target, concurrency: number, seconds: number) {
  return measured(env, () =>
    engine === 'pgbench'
      ? runPgbench({ bin: env.pgbench!, url: env.databaseUrl, target, clients: concurrency, seconds })
      : runManagerEvents({
          url: env.managerUrl,
          apiKey: env.apiKey,
          secret: env.secret,
          target,
          connections: concurrency,
          seconds,
        }),
  );
}

function describe(run: RunResult): string {
  return `${run.eventsPerSecond.toFixed(0)} events/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms${run.errors ? `, ${run.errors} errors` : ''}`;
}

export async function runRounds(
  env: Env,
  options: { cases: CaseName[]; concurrency: number[]; rounds: number; seconds: number },
): Promise<CaseRow[]> {
  const runs = new Map<string, RunResult[]>();
  const engines: Engine[] = env.pgbench ? ['pgbench', 'manager'] : ['manager'];
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
      const pg = runs.get(`${name}|${concurrency}|pgbench`);
      for (const engine of engines) {
        const list = runs.get(`${name}|${concurrency}|${engine}`) ?? [];
        const row = aggregate(name, concurrency, engine, list);
        if (engine === 'manager' && pg)
          row.ratio = row.eventsPerSecond / mean(pg.map((r) => r.eventsPerSecond));
        rows.push(row);
      }
    }
  }
  return rows;
}

function perEvent(runs: RunResult[], pick: (r: RunResult) => number | undefined): number | undefined {
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
    ratio: undefined,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    cpuMsPerEvent: {
      postgres: perEvent(runs, (r) => r.cpu?.postgres),
      manager: engine === 'manager' ? perEvent(runs, (r) => r.cpu?.manager) : undefined,
      client: perEvent(runs, (r) => r.cpu?.client) ?? Number.NaN,
    },
    runs,
  };
}

/** The Manager at a fixed rate (autocannon overallRate), to read its p99 below saturation. */
export async function fixedRateRun(env: Env, rate: number, concurrency: number, seconds: number) {
  return measured(env, () =>
    runManagerEvents({
      url: env.managerUrl,
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
  return measured(env, () =>
    runPaced({
      url: env.managerUrl,
      apiKey: env.apiKey,
      path: '/messages',
      rate,
      connections: concurrency,
      seconds,
      body: eventBodies(env.secret, targetOf('distinct', env.jobs)),
    }),
  );
}
