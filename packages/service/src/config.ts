import { isAbsolute, resolve } from 'node:path';

/** Configuration of both apps (DESIGN.md §7), read once from the environment and validated. */
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
  jwt: { jwksUrl: string; issuer: string; audience: string } | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Requests per minute per credential before 429. */
  rateLimitPerMinute: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/**
 * Reads and validates the configuration. A bad or missing value throws a ConfigError whose
 * message is one line naming the variable; the apps print it and stop.
 */
export function readConfig(env: Env, cwd: string): Config {
  const url = env.DATABASE_URL || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const dataDirRaw = env.PIPELINEJOBS_DATA_DIR || '.pipelinejobs';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const secret = env.PIPELINEJOBS_SECRET || undefined;
  if (url !== undefined && secret === undefined) {
    throw new ConfigError(
      'PIPELINEJOBS_SECRET',
      'is required with DATABASE_URL (job tokens derive from it); generate one with `openssl rand -base64 32`',
    );
  }
  if (secret !== undefined && secret.length < 16) {
    throw new ConfigError(
      'PIPELINEJOBS_SECRET',
      'must be at least 16 characters; use `openssl rand -base64 32`',
    );
  }
  const jwksUrl = env.PIPELINEJOBS_JWKS_URL || undefined;
  let jwt: Config['jwt'];
  if (jwksUrl !== undefined) {
    if (!/^https?:\/\//.test(jwksUrl))
      throw new ConfigError('PIPELINEJOBS_JWKS_URL', 'must be an http(s) URL');
    const issuer = env.PIPELINEJOBS_JWT_ISSUER;
    const audience = env.PIPELINEJOBS_JWT_AUDIENCE;
    if (!issuer) throw new ConfigError('PIPELINEJOBS_JWT_ISSUER', 'is required with PIPELINEJOBS_JWKS_URL');
    if (!audience)
      throw new ConfigError('PIPELINEJOBS_JWT_AUDIENCE', 'is required with PIPELINEJOBS_JWKS_URL');
    jwt = { jwksUrl, issuer, audience };
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of: ${LOG_LEVELS.join(', ')}`);
  }
  return {
    database: url !== undefined ? { url } : { dataDir },
    dataDir,
    secret,
    // Admin tokens need the server secret too; the key lets them be rotated on their own.
    adminKey: env.PIPELINEJOBS_ADMIN_KEY || 'admin',
    adminTokenLifetimeSeconds: integer(env, 'PIPELINEJOBS_ADMIN_TOKEN_LIFETIME', 3600, 30, 86_400 * 7),
    poolSize: integer(env, 'PIPELINEJOBS_POOL_SIZE', 10, 1, 500),
    poolIdleTimeoutSeconds: integer(env, 'PIPELINEJOBS_POOL_IDLE_TIMEOUT', 60, 1, 86_400),
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    jwt,
    logLevel,
    rateLimitPerMinute: integer(env, 'PIPELINEJOBS_RATE_LIMIT', 6000, 1, 10_000_000),
  };
}
