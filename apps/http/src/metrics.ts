import { STATE_NAMES } from '@pipelinejobs/core';
import type { databaseStats } from '@pipelinejobs/service';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Where the database gauges come from: the pool of this process and the database's counts. */
export type DatabaseSource = ReturnType<typeof databaseStats>;

/**
 * Prometheus metrics of one Manager process (with `openStreams`, its open event streams). With a
 * database source, also the pool's connections
 * and waiting queries (read at each scrape), jobs by state and history rows (counted by the
 * database at most every few seconds, whatever the scrape rate).
 */
export function createMetrics(database?: DatabaseSource, openStreams?: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (database) registerDatabaseGauges(registry, database);
  if (openStreams) {
    new Gauge({
      name: 'pipelinejobs_event_streams_open',
      help: 'Event streams (Server-Sent Events) this process serves now',
      registers: [registry],
      collect() {
        this.set(openStreams());
      },
    });
  }
  return {
    registry,
    requests: new Counter({
      name: 'pipelinejobs_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'pipelinejobs_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    events: new Counter({
      name: 'pipelinejobs_events_total',
      help: 'Events received at /messages, by event name, inbound form (json, params, agave, tapis, delete, unrecognised) and result (applied, replayed, or the refusal code)',
      labelNames: ['event', 'form', 'result'] as const,
      registers: [registry],
    }),
    transitions: new Counter({
      name: 'pipelinejobs_transitions_total',
      help: 'Applied transitions by from and to state',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'pipelinejobs_webhook_deliveries_total',
      help: "Notification delivery attempts by this process's dispatcher, by outcome: delivered, retry (failed, another attempt scheduled), failed (given up)",
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'pipelinejobs_webhook_delivery_duration_seconds',
      help: 'How long receivers took to answer a notification (or to fail)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

function registerDatabaseGauges(registry: Registry, database: DatabaseSource): void {
  new Gauge({
    name: 'pipelinejobs_db_pool_connections',
    help: "This process's PostgreSQL connections by state (idle, busy, connecting) and the pool's size (max)",
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = database.pool();
      this.set({ state: 'max' }, pool.max);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'busy' }, pool.busy);
      this.set({ state: 'connecting' }, pool.connecting);
    },
  });
  new Gauge({
    name: 'pipelinejobs_db_pool_waiting',
    help: 'Queries of this process waiting for a PostgreSQL connection',
    registers: [registry],
    collect() {
      this.set(database.pool().waiting);
    },
  });
  new Gauge({
    name: 'pipelinejobs_jobs',
    help: 'Visible jobs by state (counted by the database at most every 15 s)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const { jobsByState } = await database.read();
      // Every state, 0 included: a series that comes and goes reads as missing data.
      for (const state of STATE_NAMES) this.set({ state }, jobsByState[state] ?? 0);
    },
  });
  new Gauge({
    name: 'pipelinejobs_webhook_lag_seconds',
    help: 'Age of the oldest notification still pending for an enabled subscription (0: none; read at most every 15 s)',
    registers: [registry],
    async collect() {
      this.set((await database.read()).outboxLagSeconds);
    },
  });
  new Gauge({
    name: 'pipelinejobs_history_rows',
    help: "History rows in the database, about (PostgreSQL's live-row statistics, read at most every 15 s)",
    registers: [registry],
    async collect() {
      this.set((await database.read()).historyRows);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
