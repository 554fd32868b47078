/** Which jobs a run's transitions go to. */
export type Target = { kind: 'distinct'; jobs: number } | { kind: 'hot' };

export type Engine = 'pgbench' | 'manager';

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
  /** The Manager's largest RSS during the run (MB). */
  rssMb?: number;
  /** CPU seconds of PostgreSQL, the Manager and the load generator during the run. */
  cpu?: CpuSplit;
}

export interface CpuSplit {
  postgres: number | undefined;
  manager: number | undefined;
  client: number;
}
