import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS,
  DEFAULT_JWKS_MAX_STALE_MS,
  secretWeakness,
} from '@pipelinejobs/auth';
import { parseDurationMs } from '@pipelinejobs/core';
import { DEFAULT_POOL_IDLE_SECONDS, databaseUrlFault, schemaNameFault } from '@pipelinejobs/storage';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from './stream-settings.js';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './webhook-settings.js';

/** Configuration of both apps (every variable: apps/http/README.md), read once from the environment and validated. */
export interface Config {
  /** An external PostgreSQL, or the embedded default in `dataDir`. */
  database: { url: string } | { dataDir: string };
  /** Where the embedded database, the generated secret and other local state live. */
  dataDir: string;
  /** Undefined with the embedded default: then it is generated once and kept in `dataDir`. */
  secret: string | undefined;
  adminKey: string;
  adminTokenLifetimeSeconds: number;
  poolSize: number;
  /** Seconds an unused PostgreSQL connection stays open. */
  poolIdleTimeoutSeconds: number;
  port: number;
  host: string;
  jwt: { jwksUrl: string; issuer: string; audience: string; jwksMaxStaleMs: number } | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Requests per minute per principal (and per client address without a valid credential) before 429. */
  rateLimitPerMinute: number;
  /** Express `trust proxy`: how many proxies, or which proxy addresses, may say who the client is. */
  trustProxy: TrustProxy;
  /** Socket limits of the HTTP server. */
  http: HttpLimits;
  /**
   * Who changes the database schema: `auto` applies pending migrations at start (under an
   * advisory lock), `check` refuses to start while any is pending, `off` never looks.
   */
  migrate: MigrateMode;
  /** The PostgreSQL schema of the tables; undefined: `public`. */
  dbSchema: string | undefined;
  /** How long the Manager keeps retrying a database it cannot reach at start (0: not at all). */
  startRetryMs: number;
  /** Log lines: JSON, readable lines, or `auto` (readable on a terminal, JSON otherwise). */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Browser origins allowed to call the API (CORS); empty: none, the default. */
  corsOrigins: readonly string[] | '*';
  /** GET /metrics without a credential (for a scraper on a trusted network). */
  metricsPublic: boolean;
  /** Outbound notifications: retries, timeouts, which targets. */
  webhooks: WebhookSettings;
  /** Event streams: caps, the slow-consumer bound, heartbeats, polling. */
  streams: StreamSettings;
}

export type MigrateMode = 'auto' | 'check' | 'off';

/** false: the socket's address is the client's; a number of proxy hops; or the proxies' addresses. */
export type TrustProxy = false | number | readonly string[];

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** 0: no cap per address. */
  maxConnectionsPerAddress: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${message}`, options);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Digits only (blanks around forgiven): Number() would read ' ' as 0 and '0x10' as 16.
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address or subnet Express's `trust proxy` accepts (checked here: Express throws at start). */
function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return version === 4 && isIP(bits) === 4; // a netmask
  return Number(bits) <= (version === 4 ? 32 : 128);
}

function trustProxy(env: Env): TrustProxy {
  const raw = (env.PIPELINEJOBS_TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (/^\d+$/.test(raw)) return integer(env, 'PIPELINEJOBS_TRUST_PROXY', 0, 1, 10);
  if (raw === 'true') {
    throw new ConfigError(
      'PIPELINEJOBS_TRUST_PROXY',
      "'true' would let any client choose its address (X-Forwarded-For); give the number of proxies in front (e.g. 1) or their addresses",
    );
  }
  const entries = raw.split(',').map((e) => e.trim());
  const bad = entries.find((e) => !isProxyAddress(e));
  if (bad !== undefined) {
    throw new ConfigError(
      'PIPELINEJOBS_TRUST_PROXY',
      `'${bad}' is not an address, a subnet (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`,
    );
  }
  return entries;
}

/**
 * The HTTP server's defaults (Node's, 60 s for headers, 300 s for a request and no cap, suit no
 * JSON API): timeouts sized for small JSON requests (a 1 MiB body at 35 KB/s still fits), and
 * connection caps. The one definition; the settings below override it.
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
  maxConnectionsPerAddress: 100,
};

function httpLimits(env: Env): HttpLimits {
  const d = DEFAULT_HTTP_LIMITS;
  const seconds = (name: string, fallbackMs: number, max: number) =>
    integer(env, name, fallbackMs / 1000, 1, max) * 1000;
  const limits: HttpLimits = {
    headersTimeoutMs: seconds('PIPELINEJOBS_HEADERS_TIMEOUT', d.headersTimeoutMs, 3600),
    requestTimeoutMs: seconds('PIPELINEJOBS_REQUEST_TIMEOUT', d.requestTimeoutMs, 3600),
    keepAliveTimeoutMs: seconds('PIPELINEJOBS_KEEP_ALIVE_TIMEOUT', d.keepAliveTimeoutMs, 3600),
    maxConnections: integer(env, 'PIPELINEJOBS_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
    maxConnectionsPerAddress: integer(
      env,
      'PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS',
      d.maxConnectionsPerAddress,
      0,
      1_000_000,
    ),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      'PIPELINEJOBS_HEADERS_TIMEOUT',
      'must not be longer than PIPELINEJOBS_REQUEST_TIMEOUT (the headers are part of the request)',
    );
  }
  return limits;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase() as T;
  if (!values.includes(value))
    throw new ConfigError(name, `must be one of: ${values.join(', ')}; got '${raw}'`);
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `must be true or false, got '${env[name]}'`);
}

/** A schema name as PostgreSQL folds unquoted names, so it is the same in SQL, psql and grants. */
function dbSchema(env: Env): string | undefined {
  const raw = env.PIPELINEJOBS_DB_SCHEMA;
  if (raw === undefined || raw === '' || raw === 'public') return undefined;
  const fault = schemaNameFault(raw);
  if (fault !== undefined) {
    throw new ConfigError('PIPELINEJOBS_DB_SCHEMA', `'${raw.slice(0, 70)}' is not usable: ${fault}`);
  }
  return raw;
}

/** `*`, or browser origins (`https://dashboard.example.org`), comma-separated. */
function corsOrigins(env: Env): readonly string[] | '*' {
  const raw = (env.PIPELINEJOBS_CORS_ORIGINS ?? '').trim();
  if (raw === '') return [];
  if (raw === '*') return '*';
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(
        'PIPELINEJOBS_CORS_ORIGINS',
        `'${origin.slice(0, 100)}' is not an origin: scheme, host and port only, as a browser sends it (https://app.example.org), or * for any`,
      );
    }
    return parsed.origin;
  });
}

/** Whether a URL names this machine (localhost, 127.0.0.0/8, [::1]). */
function isLoopbackUrl(url: string): boolean {
  try {
    const { hostname } = new URL(url);
    return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

/** A duration such as `250ms`, `30s`, `5m`, `2h`, `5d`, in milliseconds. */
function duration(env: Env, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const ms = parseDurationMs(raw);
  if (ms === undefined) {
    throw new ConfigError(
      name,
      `must be a duration such as 250ms, 30s, 5m, 2h or 5d; got '${raw.slice(0, 40)}'`,
    );
  }
  return ms;
}

function webhookSettings(env: Env): WebhookSettings {
  const d = DEFAULT_WEBHOOK_SETTINGS;
  const name = 'PIPELINEJOBS_WEBHOOK_RETRY_SCHEDULE';
  const raw = (env[name] ?? '').trim();
  let retryScheduleMs = d.retryScheduleMs;
  if (raw === 'none') retryScheduleMs = [];
  else if (raw !== '') {
    retryScheduleMs = raw.split(',').map((step) => {
      const ms = parseDurationMs(step);
      if (ms === undefined) {
        throw new ConfigError(
          name,
          `'${step.trim().slice(0, 40)}' is not a duration: give the waits before each retry, comma-separated (5s,5m,30m,2h), or none`,
        );
      }
      return ms;
    });
  }
  return {
    allowPrivate: flag(env, 'PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE'),
    retryScheduleMs,
    timeoutMs: duration(env, 'PIPELINEJOBS_WEBHOOK_TIMEOUT', d.timeoutMs),
    disableAfterMs: duration(env, 'PIPELINEJOBS_WEBHOOK_DISABLE_AFTER', d.disableAfterMs),
    secretGraceMs: duration(env, 'PIPELINEJOBS_WEBHOOK_SECRET_GRACE', d.secretGraceMs),
    pollMs: duration(env, 'PIPELINEJOBS_WEBHOOK_POLL', d.pollMs),
    concurrency: integer(env, 'PIPELINEJOBS_WEBHOOK_CONCURRENCY', d.concurrency, 1, 1000),
  };
}

/**
 * Reads and validates the configuration. A bad or missing value throws a ConfigError whose
 * message is one line naming the variable; the apps print it and stop.
 */
export function readConfig(env: Env, cwd: string): Config {
  // Blanks around it (a copied .env line) are not part of any URL.
  const url = env.DATABASE_URL?.trim() || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  // Said here, not as the driver's bare "Invalid URL" at the first connection (or not at all).
  const urlFault = url === undefined ? undefined : databaseUrlFault(url);
  if (urlFault !== undefined) throw new ConfigError('DATABASE_URL', urlFault);
  const dataDirRaw = env.PIPELINEJOBS_DATA_DIR || '.pipelinejobs';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  // Empty counts as unset only when the variable is absent: `PIPELINEJOBS_SECRET=` is refused.
  const secret = env.PIPELINEJOBS_SECRET;
  if (url !== undefined && secret === undefined) {
    throw new ConfigError(
      'PIPELINEJOBS_SECRET',
      'is required with DATABASE_URL (job tokens derive from it); generate one with `openssl rand -base64 32`',
    );
  }
  const weakness = secret === undefined ? undefined : secretWeakness(secret);
  if (weakness !== undefined) {
    throw new ConfigError(
      'PIPELINEJOBS_SECRET',
      `${weakness}; generate one with \`openssl rand -base64 32\``,
    );
  }
  const jwksUrl = env.PIPELINEJOBS_JWKS_URL || undefined;
  let jwt: Config['jwt'];
  if (jwksUrl !== undefined) {
    if (!/^https?:\/\//.test(jwksUrl))
      throw new ConfigError('PIPELINEJOBS_JWKS_URL', 'must be an http(s) URL');
    // The keys every JWT is checked against: over plain http, anyone on the path could swap them
    // and sign their own tokens. Only this machine (a test issuer, a sidecar) may be plain.
    if (jwksUrl.startsWith('http:') && !isLoopbackUrl(jwksUrl)) {
      throw new ConfigError(
        'PIPELINEJOBS_JWKS_URL',
        'must be https (plain http only to this machine: localhost, 127.0.0.1, [::1]); a JWKS fetched over http can be replaced on the way, and with it who may sign tokens',
      );
    }
    const issuer = env.PIPELINEJOBS_JWT_ISSUER;
    const audience = env.PIPELINEJOBS_JWT_AUDIENCE;
    if (!issuer) throw new ConfigError('PIPELINEJOBS_JWT_ISSUER', 'is required with PIPELINEJOBS_JWKS_URL');
    if (!audience)
      throw new ConfigError('PIPELINEJOBS_JWT_AUDIENCE', 'is required with PIPELINEJOBS_JWKS_URL');
    jwt = {
      jwksUrl,
      issuer,
      audience,
      jwksMaxStaleMs:
        integer(env, 'PIPELINEJOBS_JWKS_MAX_STALE', DEFAULT_JWKS_MAX_STALE_MS / 1000, 0, 86_400 * 30) * 1000,
    };
  }
  return {
    database: url !== undefined ? { url } : { dataDir },
    dataDir,
    secret,
    // Admin tokens need the server secret too; the key lets them be rotated on their own.
    adminKey: env.PIPELINEJOBS_ADMIN_KEY || 'admin',
    adminTokenLifetimeSeconds: integer(
      env,
      'PIPELINEJOBS_ADMIN_TOKEN_LIFETIME',
      DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS,
      30,
      86_400 * 7,
    ),
    poolSize: integer(env, 'PIPELINEJOBS_POOL_SIZE', 10, 1, 500),
    poolIdleTimeoutSeconds: integer(
      env,
      'PIPELINEJOBS_POOL_IDLE_TIMEOUT',
      DEFAULT_POOL_IDLE_SECONDS,
      1,
      86_400,
    ),
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: env.HOST?.trim() || '127.0.0.1',
    jwt,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    rateLimitPerMinute: integer(env, 'PIPELINEJOBS_RATE_LIMIT', 6000, 1, 10_000_000),
    trustProxy: trustProxy(env),
    http: httpLimits(env),
    migrate: oneOf(env, 'PIPELINEJOBS_MIGRATE', ['auto', 'check', 'off'], 'auto'),
    dbSchema: dbSchema(env),
    startRetryMs: integer(env, 'PIPELINEJOBS_START_RETRY', 30, 0, 3600) * 1000,
    logFormat: oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'], 'auto'),
    corsOrigins: corsOrigins(env),
    metricsPublic: flag(env, 'PIPELINEJOBS_METRICS_PUBLIC'),
    webhooks: webhookSettings(env),
    streams: streamSettings(env),
  };
}

function streamSettings(env: Env): StreamSettings {
  const d = DEFAULT_STREAM_SETTINGS;
  return {
    perCredential: integer(env, 'PIPELINEJOBS_STREAMS_PER_CREDENTIAL', d.perCredential, 1, 100_000),
    total: integer(env, 'PIPELINEJOBS_STREAMS_MAX', d.total, 1, 1_000_000),
    maxBufferedBytes: integer(env, 'PIPELINEJOBS_STREAM_BUFFER_BYTES', d.maxBufferedBytes, 1024, 1 << 30),
    heartbeatMs: duration(env, 'PIPELINEJOBS_STREAM_HEARTBEAT', d.heartbeatMs),
    pollMs: duration(env, 'PIPELINEJOBS_STREAM_POLL', d.pollMs),
    retryMs: d.retryMs,
  };
}
