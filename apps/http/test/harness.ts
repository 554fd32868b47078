import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { adminToken, type JwtVerifier } from '@pipelinejobs/auth';
import { TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import {
  createApiKey,
  DEFAULT_STREAM_SETTINGS,
  databaseStats,
  type HttpLimits,
  type StreamSettings,
  startEventStreams,
  streamStats,
  systemPrincipal,
  type TrustProxy,
  type WebhookSettings,
} from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { openDatabase } from '@pipelinejobs/storage';
import { openTestDatabase } from '../../../test/database.js';
import { createApp } from '../src/app.js';
import { startDelivering, startSweeping } from '../src/dispatch.js';
import { createLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { operatorAlarm } from '../src/operator-alarm.js';
import { listen } from '../src/server.js';

/** The tests act as the Manager itself would (an admin principal of kind system). */
const TEST_ADMIN = systemPrincipal('tests');

/** The password of roles a test creates for `databaseRole`. */
export const ROLE_PASSWORD = 'pj-operator-test-password';

/** Another Manager's database: closed, not dropped, when this one stops. */
async function sharedDatabase(url: string) {
  const db = await openDatabase({ url, poolSize: 10 }, { migrate: false });
  return { db, url, cleanup: () => db.close() };
}

/** The real app over a real socket on a real database; logs are captured for the secret checks. */
export async function startManager(
  options: {
    rateLimitPerMinute?: number;
    trustProxy?: TrustProxy;
    limits?: HttpLimits;
    /** How long an operator problem keeps /readyz at 503 after it was last seen. */
    operatorHoldMs?: number;
    /**
     * An existing role the Manager connects as instead of the owner: it is granted what the
     * Manager needs on the test database, so a test can revoke some of it.
     */
    /** Serve as this login role (created by the caller with ROLE_PASSWORD), not as the owner. */
    databaseRole?: string;
    /** Browser origins allowed (CORS). */
    corsOrigins?: readonly string[] | '*';
    /** GET /metrics without a credential. */
    metricsPublic?: boolean;
    /** The Manager's clock, for a process whose clock is not the database's. */
    clock?: () => Date;
    /** Run a notification dispatcher, with these settings over the defaults. */
    webhooks?: Partial<WebhookSettings>;
    /** Run a deadline sweeper every so many milliseconds (its clock: `clock`). */
    deadlineSweepMs?: number;
    /** Jobs one sweep claims at most (a small batch makes two Managers' sweeps interleave). */
    deadlineBatch?: number;
    /** Serve this test database (another Manager's) instead of a new one. */
    sharedDatabaseUrl?: string;
    /** Event stream settings over the defaults (caps, heartbeat, polling). */
    streams?: Partial<StreamSettings>;
    /** How bearer JWTs are verified (none: they are refused). */
    jwt?: JwtVerifier;
  } = {},
) {
  const opened = options.sharedDatabaseUrl
    ? await sharedDatabase(options.sharedDatabaseUrl)
    : await openTestDatabase();
  let db = opened.db;
  if (options.databaseRole) {
    const role = options.databaseRole;
    await opened.db.sql.unsafe(`grant usage on schema public to ${role};
      grant select, insert, update, delete on all tables in schema public to ${role};
      grant usage, select on all sequences in schema public to ${role}`);
    const asRole = new URL(opened.url);
    asRole.username = role;
    // The embedded server authenticates with scram (the machine's PostgreSQL may trust).
    asRole.password = ROLE_PASSWORD;
    db = await openDatabase({ url: asRole.href, poolSize: 5 }, { migrate: false });
  }
  const cleanup = async () => {
    if (db !== opened.db) await db.close();
    await opened.cleanup();
  };
  const services = createTestServices(db, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    ...(options.jwt ? { jwt: options.jwt } : {}),
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', sink);
  const metrics = createMetrics(databaseStats(services, { maxAgeMs: 0 }), () => streamStats(services).open);
  const dispatcher = options.webhooks ? startDelivering(services, metrics, logger) : undefined;
  const sweeper =
    options.deadlineSweepMs === undefined
      ? undefined
      : startSweeping(services, metrics, logger, {
          intervalMs: options.deadlineSweepMs,
          ...(options.deadlineBatch === undefined ? {} : { batch: options.deadlineBatch }),
        });
  const streamSettings = { ...DEFAULT_STREAM_SETTINGS, ...options.streams };
  const streams = startEventStreams(services, streamSettings);
  const app = createApp({
    streams: streamSettings,
    services,
    logger,
    metrics,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 1_000_000,
    trustProxy: options.trustProxy,
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
    ...(options.metricsPublic === undefined ? {} : { metricsPublic: options.metricsPublic }),
    ...(options.operatorHoldMs === undefined ? {} : { alarm: operatorAlarm(logger, options.operatorHoldMs) }),
  });
  const server = await listen(app, 0, '127.0.0.1', options.limits ? { limits: options.limits } : {});
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const made = {
    admin: await createApiKey(services, TEST_ADMIN, { role: 'admin', label: 'test admin' }),
    agent: await createApiKey(services, TEST_ADMIN, { role: 'agent', label: 'test agent' }),
    otherAgent: await createApiKey(services, TEST_ADMIN, { role: 'agent', label: 'another agent' }),
    reporter: await createApiKey(services, TEST_ADMIN, { role: 'reporter', label: 'test reporter' }),
    reader: await createApiKey(services, TEST_ADMIN, { role: 'reader', label: 'test reader' }),
  };
  const keys = Object.fromEntries(Object.entries(made).map(([role, { key }]) => [role, key])) as Record<
    keyof typeof made,
    string
  >;
  /** Each key's id: what the Manager records as the principal of what the key did. */
  const keyIds = Object.fromEntries(
    Object.entries(made).map(([role, { record }]) => [role, record.id]),
  ) as Record<keyof typeof made, string>;
  return {
    base,
    server,
    /** The test database, as its owner. */
    url: opened.url,
    services,
    keys,
    keyIds,
    logLines,
    adminToken: () => adminToken({ ...services.admin, now: new Date() }),
    async request(
      method: string,
      path: string,
      init: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> } = {},
    ) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? keys.admin : init.key;
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = init.raw;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${base}${path}`, { method, headers, body });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> };
    },
    sweeper,
    async stop() {
      await sweeper?.stop();
      await dispatcher?.stop();
      await streams.stop();
      await new Promise((resolve) => server.close(resolve));
      await cleanup();
    },
  };
}

export type Manager = Awaited<ReturnType<typeof startManager>>;

/** A tacobot job with this data, created by the agent and sent `run` by the reporter: RUNNING. */
export async function runningJob(m: Manager, data: Record<string, unknown>) {
  const created = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const job = created.json as { uuid: string; token: string };
  const run = await m.request('POST', '/messages', {
    key: m.keys.reporter,
    body: { uuid: job.uuid, name: 'run', token: job.token },
  });
  if (run.status !== 200) throw new Error(`run: ${run.status} ${run.text}`);
  return job;
}
