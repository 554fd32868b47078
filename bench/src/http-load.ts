import { jobToken } from '@pipelinejobs/auth';
import autocannon from 'autocannon';
import { benchJobUuid, HOT_JOB } from './job-ids.js';
import type { RunResult, Target } from './run-result.js';
import { Samples } from './stats.js';

interface HttpRun {
  url: string;
  apiKey: string;
  connections: number;
  /** Run for this long, or until `amount` requests. */
  seconds?: number;
  amount?: number;
  /** Requests per second over all connections (autocannon's overallRate). */
  overallRate?: number;
  method: 'GET' | 'POST';
  path: string;
  /** A fresh body for every request (a random job each time for the distinct case). */
  body?: () => string;
}

interface HttpResult {
  ok: number;
  seconds: number;
  wallSeconds: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<string, number>;
  /** The first non-2xx response body, to say why requests failed. */
  firstFailure: string | undefined;
}

/**
 * One autocannon run. Latencies are collected from autocannon's per-response event rather than
 * its histogram, which has 1 ms resolution: at 2-5 ms per transition that is too coarse, and
 * pgbench's latencies are computed from raw samples the same way.
 */
function runHttp(run: HttpRun): Promise<HttpResult> {
  const samples = new Samples();
  let firstFailure: string | undefined;
  const body = run.body;
  const request: autocannon.Request = {
    method: run.method,
    path: run.path,
    headers: {
      authorization: `Bearer ${run.apiKey}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }) } : {}),
    onResponse: (status: number, responseBody: string) => {
      if (status >= 300 && firstFailure === undefined)
        firstFailure = `${status} ${responseBody.slice(0, 500)}`;
    },
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: run.url,
        connections: run.connections,
        ...(run.amount ? { amount: run.amount } : { duration: run.seconds ?? 10 }),
        ...(run.overallRate ? { overallRate: run.overallRate } : {}),
        requests: [request],
        // The latency of an event is what the caller waits for; keep autocannon's 10 s timeout.
        timeout: 10,
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) return reject(error);
        const [p50 = Number.NaN, p99 = Number.NaN] = samples.percentiles(50, 99);
        const statuses: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
          statuses[code] = stat.count ?? 0;
        resolve({
          ok: result['2xx'],
          seconds: result.duration,
          wallSeconds: (performance.now() - started) / 1000,
          p50,
          p99,
          errors: result.non2xx + result.errors,
          statuses,
          firstFailure,
        });
      },
    );
    instance.on('response', (_client: autocannon.Client, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) samples.push(ms);
    });
  });
}

export interface EventLoad {
  url: string;
  apiKey: string;
  secret: string;
  target: Target;
  connections: number;
  seconds: number;
  overallRate?: number;
}

/** Drives POST /messages with JSON events `{uuid, name: 'update', token}`, as a platform would. */
/** JSON event bodies `{uuid, name: 'update', token}` for the target: a random job each call, or the hot one. */
export function eventBodies(secret: string, target: Target): () => string {
  if (target.kind === 'hot') {
    const uuid = benchJobUuid(HOT_JOB);
    const body = JSON.stringify({ uuid, name: 'update', token: jobToken(secret, uuid, 1) });
    return () => body;
  }
  return () => {
    const uuid = benchJobUuid(1 + Math.floor(Math.random() * target.jobs));
    return JSON.stringify({ uuid, name: 'update', token: jobToken(secret, uuid, 1) });
  };
}

/** Drives POST /messages with JSON events, as a platform would. */
export async function runManagerEvents(load: EventLoad): Promise<RunResult & { firstFailure?: string }> {
  const body = eventBodies(load.secret, load.target);
  const result = await runHttp({
    url: load.url,
    apiKey: load.apiKey,
    connections: load.connections,
    seconds: load.seconds,
    overallRate: load.overallRate,
    method: 'POST',
    path: '/messages',
    body,
  });
  if (result.errors > 0) {
    process.stderr.write(
      `  manager: ${result.errors} failed requests (${JSON.stringify(result.statuses)}); first: ${result.firstFailure ?? 'connection error'}\n`,
    );
  }
  return {
    engine: 'manager',
    events: result.ok,
    seconds: result.seconds,
    wallSeconds: result.wallSeconds,
    eventsPerSecond: result.ok / result.seconds,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    ...(result.firstFailure ? { firstFailure: result.firstFailure } : {}),
  };
}

/** p50/p99 of GET /jobs?state=RUNNING&limit=50, one request at a time. */
export async function listLatency(url: string, apiKey: string, requests: number) {
  const result = await runHttp({
    url,
    apiKey,
    connections: 1,
    amount: requests,
    method: 'GET',
    path: '/jobs?state=RUNNING&limit=50',
  });
  if (result.errors > 0) throw new Error(`GET /jobs failed: ${result.firstFailure ?? 'connection errors'}`);
  return { requests: result.ok, p50: result.p50, p99: result.p99 };
}
