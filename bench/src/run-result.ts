/** Which jobs a run's transitions go to. */
export type Target = { kind: 'distinct'; jobs: number } | { kind: 'hot' };

/**
 * `pgbench`: the locked transaction of five round trips a hand-written service would run;
 * `pgbench-one`: the Manager's one transition statement; `node-floor` and `express-floor`: the
 * reference floors (floor-server.ts); `manager`: the Manager.
 */
export type Engine = 'pgbench' | 'pgbench-one' | 'node-floor' | 'express-floor' | 'manager';

/** The engines served over HTTP (and loaded by autocannon the same way). */
export type HttpEngine = Exclude<Engine, 'pgbench' | 'pgbench-one'>;

export const isPgbench = (engine: Engine): engine is 'pgbench' | 'pgbench-one' =>
  engine === 'pgbench' || engine === 'pgbench-one';

/** One measured run of one engine. */
export interface RunResult {
  engine: Engine;
  /** Transitions that succeeded (2xx for the Manager, committed for pgbench). */
  events: number;
  /** Measured seconds the rate is over. */
  seconds: number;
  /** Wall time including start-up. */
  wallSeconds: number;
  eventsPerSecond: number;
  /** Latency percentiles in ms, of successful transitions only. */
  p50: number;
  p99: number;
  /** Failed transitions, non-2xx responses and connection errors. */
  errors: number;
  /** The HTTP server's largest RSS during the run (MB). */
  rssMb?: number;
  /** CPU seconds of PostgreSQL, the HTTP server under test and the load generator during the run. */
  cpu?: CpuSplit;
}

export interface CpuSplit {
  postgres: number | undefined;
  /** The HTTP server under test (the Manager or a floor); undefined for pgbench. */
  server: number | undefined;
  client: number;
}
