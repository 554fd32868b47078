import { ConfigError, readConfig } from '@pipelinejobs/service';
import { describe, expect, it } from 'vitest';

const error = (env: Record<string, string>): ConfigError => {
  try {
    readConfig(env, '/srv');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('readConfig', () => {
  it('needs nothing for the embedded default', () => {
    const config = readConfig({}, '/srv');
    expect(config.database).toEqual({ dataDir: '/srv/.pipelinejobs' });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      secret: undefined,
      adminTokenLifetimeSeconds: 3600,
      poolIdleTimeoutSeconds: 60,
    });
    expect(readConfig({ PIPELINEJOBS_POOL_IDLE_TIMEOUT: '2' }, '/srv').poolIdleTimeoutSeconds).toBe(2);
  });

  it('refuses DATABASE_URL without a secret, naming the variable in one line', () => {
    const e = error({ DATABASE_URL: 'postgres://db/pj' });
    expect(e.variable).toBe('PIPELINEJOBS_SECRET');
    expect(e.message).toMatch(/^PIPELINEJOBS_SECRET: /);
    expect(e.message).not.toContain('\n');
  });

  it.each([
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PIPELINEJOBS_ADMIN_TOKEN_LIFETIME: '5' }, 'PIPELINEJOBS_ADMIN_TOKEN_LIFETIME'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PIPELINEJOBS_POOL_IDLE_TIMEOUT: '0' }, 'PIPELINEJOBS_POOL_IDLE_TIMEOUT'],
    [{ PIPELINEJOBS_SECRET: 'short' }, 'PIPELINEJOBS_SECRET'],
    [{ PIPELINEJOBS_SECRET: '' }, 'PIPELINEJOBS_SECRET'],
    [{ PIPELINEJOBS_SECRET: ' '.repeat(40) }, 'PIPELINEJOBS_SECRET'],
    [{ PIPELINEJOBS_SECRET: 'ab'.repeat(30) }, 'PIPELINEJOBS_SECRET'],
    [{ PIPELINEJOBS_SECRET: 'abcdefghijkl'.repeat(3) }, 'PIPELINEJOBS_SECRET'],
    [{ PIPELINEJOBS_SECRET: ' padded-secret-0123456789abcdefghijkl' }, 'PIPELINEJOBS_SECRET'],
    [{ PIPELINEJOBS_JWKS_URL: 'https://issuer/jwks' }, 'PIPELINEJOBS_JWT_ISSUER'],
    [
      {
        PIPELINEJOBS_JWKS_URL: 'http://issuer.example/jwks',
        PIPELINEJOBS_JWT_ISSUER: 'https://issuer.example/',
        PIPELINEJOBS_JWT_AUDIENCE: 'pipelinejobs',
      },
      'PIPELINEJOBS_JWKS_URL',
    ],
  ])('refuses %o naming %s', (env, variable) => {
    expect(error(env as Record<string, string>).variable).toBe(variable);
  });

  it('accepts a plain-http JWKS on this machine only', () => {
    for (const jwksUrl of ['http://127.0.0.1:9000/jwks', 'http://localhost/jwks', 'http://[::1]:9000/jwks']) {
      const config = readConfig(
        {
          PIPELINEJOBS_JWKS_URL: jwksUrl,
          PIPELINEJOBS_JWT_ISSUER: 'https://issuer.example/',
          PIPELINEJOBS_JWT_AUDIENCE: 'pipelinejobs',
        },
        '/tmp',
      );
      expect(config.jwt?.jwksUrl).toBe(jwksUrl);
    }
  });

  it('reads an external database with its secret and a JWT issuer', () => {
    const config = readConfig(
      {
        DATABASE_URL: 'postgresql://db/pj',
        PIPELINEJOBS_SECRET: 'a-long-enough-secret-0123456789abcdef',
        PIPELINEJOBS_JWKS_URL: 'https://issuer/jwks',
        PIPELINEJOBS_JWT_ISSUER: 'https://issuer',
        PIPELINEJOBS_JWT_AUDIENCE: 'pipelinejobs',
        PORT: '9000',
      },
      '/srv',
    );
    expect(config.database).toEqual({ url: 'postgresql://db/pj' });
    expect(config.jwt).toEqual({
      jwksUrl: 'https://issuer/jwks',
      issuer: 'https://issuer',
      audience: 'pipelinejobs',
      jwksMaxStaleMs: 86_400_000,
    });
    expect(config.port).toBe(9000);
  });
});

describe('readConfig: rate limit, proxies, sockets, JWKS grace', () => {
  const jwt = {
    PIPELINEJOBS_JWKS_URL: 'https://issuer/jwks',
    PIPELINEJOBS_JWT_ISSUER: 'https://issuer',
    PIPELINEJOBS_JWT_AUDIENCE: 'pipelinejobs',
  };

  it('defaults to no trusted proxy, timeouts for small JSON requests and connection caps', () => {
    const config = readConfig({}, '/srv');
    expect(config.trustProxy).toBe(false);
    expect(config.http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1000,
      maxConnectionsPerAddress: 100,
    });
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['false', false],
    ['0', false],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7,fd00::/8,loopback', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']],
  ])('reads PIPELINEJOBS_TRUST_PROXY=%s', (raw, expected) => {
    expect(readConfig({ PIPELINEJOBS_TRUST_PROXY: raw }, '/srv').trustProxy).toEqual(expected);
  });

  it.each(['true', 'yes', '10.0.0.0/33', '300.1.1.1', 'proxy.internal', '11'])(
    'refuses PIPELINEJOBS_TRUST_PROXY=%s in one line',
    (raw) => {
      const e = error({ PIPELINEJOBS_TRUST_PROXY: raw });
      expect(e.variable).toBe('PIPELINEJOBS_TRUST_PROXY');
      expect(e.message).not.toContain('\n');
    },
  );

  it('reads the socket limits in seconds and counts', () => {
    const config = readConfig(
      {
        PIPELINEJOBS_HEADERS_TIMEOUT: '2',
        PIPELINEJOBS_REQUEST_TIMEOUT: '4',
        PIPELINEJOBS_KEEP_ALIVE_TIMEOUT: '65',
        PIPELINEJOBS_MAX_CONNECTIONS: '50',
        PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS: '0',
      },
      '/srv',
    );
    expect(config.http).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 50,
      maxConnectionsPerAddress: 0,
    });
  });

  it.each([
    [{ PIPELINEJOBS_HEADERS_TIMEOUT: '0' }, 'PIPELINEJOBS_HEADERS_TIMEOUT'],
    [{ PIPELINEJOBS_REQUEST_TIMEOUT: 'soon' }, 'PIPELINEJOBS_REQUEST_TIMEOUT'],
    [
      { PIPELINEJOBS_HEADERS_TIMEOUT: '60', PIPELINEJOBS_REQUEST_TIMEOUT: '30' },
      'PIPELINEJOBS_HEADERS_TIMEOUT',
    ],
    [{ PIPELINEJOBS_MAX_CONNECTIONS: '0' }, 'PIPELINEJOBS_MAX_CONNECTIONS'],
    [{ PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS: '-1' }, 'PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS'],
    [{ ...jwt, PIPELINEJOBS_JWKS_MAX_STALE: 'forever' }, 'PIPELINEJOBS_JWKS_MAX_STALE'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(error(env as Record<string, string>).variable).toBe(variable);
  });

  it('reads PIPELINEJOBS_JWKS_MAX_STALE in seconds; 0 turns the grace off', () => {
    expect(readConfig({ ...jwt, PIPELINEJOBS_JWKS_MAX_STALE: '3600' }, '/srv').jwt?.jwksMaxStaleMs).toBe(
      3_600_000,
    );
    expect(readConfig({ ...jwt, PIPELINEJOBS_JWKS_MAX_STALE: '0' }, '/srv').jwt?.jwksMaxStaleMs).toBe(0);
  });

  it('reads how to deploy: migrations, schema, start retry, log format, CORS and public metrics', () => {
    expect(readConfig({}, '/srv')).toMatchObject({
      migrate: 'auto',
      dbSchema: undefined,
      startRetryMs: 30_000,
      logFormat: 'auto',
      corsOrigins: [],
      metricsPublic: false,
    });
    expect(
      readConfig(
        {
          PIPELINEJOBS_MIGRATE: 'Check',
          PIPELINEJOBS_DB_SCHEMA: 'pipelinejobs',
          PIPELINEJOBS_START_RETRY: '0',
          LOG_FORMAT: 'json',
          PIPELINEJOBS_CORS_ORIGINS: 'https://a.example.org, http://localhost:5173',
          PIPELINEJOBS_METRICS_PUBLIC: 'true',
        },
        '/srv',
      ),
    ).toMatchObject({
      migrate: 'check',
      dbSchema: 'pipelinejobs',
      startRetryMs: 0,
      logFormat: 'json',
      corsOrigins: ['https://a.example.org', 'http://localhost:5173'],
      metricsPublic: true,
    });
    expect(
      readConfig({ PIPELINEJOBS_DB_SCHEMA: 'public', PIPELINEJOBS_CORS_ORIGINS: '*' }, '/srv'),
    ).toMatchObject({
      dbSchema: undefined,
      corsOrigins: '*',
    });
    // Surrounding blanks are forgiven, as for the named values.
    expect(readConfig({ PIPELINEJOBS_START_RETRY: ' 10 ' }, '/srv').startRetryMs).toBe(10_000);
    const padded = readConfig(
      {
        DATABASE_URL: ' postgres://db/pj\n',
        PIPELINEJOBS_SECRET: 'a-long-enough-secret-0123456789abcdef',
        HOST: ' 0.0.0.0 ',
      },
      '/srv',
    );
    expect(padded.database).toEqual({ url: 'postgres://db/pj' });
    expect(padded.host).toBe('0.0.0.0');
    // LOG_LEVEL is read as LOG_FORMAT is: any case, blanks forgiven.
    expect(readConfig({ LOG_LEVEL: ' WARN ', LOG_FORMAT: 'JSON' }, '/srv')).toMatchObject({
      logLevel: 'warn',
      logFormat: 'json',
    });
  });

  it.each([
    [{ PIPELINEJOBS_MIGRATE: 'sometimes' }, 'PIPELINEJOBS_MIGRATE'],
    [{ PIPELINEJOBS_DB_SCHEMA: 'Pipeline Jobs' }, 'PIPELINEJOBS_DB_SCHEMA'],
    [{ PIPELINEJOBS_DB_SCHEMA: 'x";drop' }, 'PIPELINEJOBS_DB_SCHEMA'],
    [{ PIPELINEJOBS_DB_SCHEMA: 'pg_catalog' }, 'PIPELINEJOBS_DB_SCHEMA'],
    [{ PIPELINEJOBS_START_RETRY: '-1' }, 'PIPELINEJOBS_START_RETRY'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ PIPELINEJOBS_CORS_ORIGINS: 'https://a.example.org/path' }, 'PIPELINEJOBS_CORS_ORIGINS'],
    [{ PIPELINEJOBS_CORS_ORIGINS: 'a.example.org' }, 'PIPELINEJOBS_CORS_ORIGINS'],
    [{ PIPELINEJOBS_METRICS_PUBLIC: 'yes please' }, 'PIPELINEJOBS_METRICS_PUBLIC'],
    // Numbers as a person writes them, not as JavaScript reads them: blank is not 0, and hex,
    // binary, exponents and decimals are not whole numbers of seconds.
    [{ PIPELINEJOBS_START_RETRY: ' ' }, 'PIPELINEJOBS_START_RETRY'],
    [{ PIPELINEJOBS_START_RETRY: '0x10' }, 'PIPELINEJOBS_START_RETRY'],
    [{ PIPELINEJOBS_START_RETRY: '1e1' }, 'PIPELINEJOBS_START_RETRY'],
    [{ PIPELINEJOBS_START_RETRY: '10.0' }, 'PIPELINEJOBS_START_RETRY'],
    [{ PORT: ' ' }, 'PORT'],
    [{ PORT: '0b1010' }, 'PORT'],
    // Schemas another user of the database already has: drizzle holds the migration bookkeeping
    // of a Manager in public; information_schema is PostgreSQL's.
    [{ PIPELINEJOBS_DB_SCHEMA: 'drizzle' }, 'PIPELINEJOBS_DB_SCHEMA'],
    [{ PIPELINEJOBS_DB_SCHEMA: 'information_schema' }, 'PIPELINEJOBS_DB_SCHEMA'],
  ])('refuses %j, naming %s', (env, variable) => {
    const e = error(env);
    expect(e.variable).toBe(variable);
    expect(e.message).not.toContain('\n');
  });
});

describe('readConfig: notifications', () => {
  it("defaults to Svix's retry schedule, 15 s attempts, 5 days before disabling, no private targets", () => {
    expect(readConfig({}, '/srv').webhooks).toEqual({
      allowPrivate: false,
      retryScheduleMs: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      timeoutMs: 15_000,
      disableAfterMs: 432_000_000,
      secretGraceMs: 86_400_000,
      pollMs: 5000,
      concurrency: 16,
    });
  });

  it('reads each setting, durations with their unit', () => {
    const webhooks = readConfig(
      {
        PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE: 'true',
        PIPELINEJOBS_WEBHOOK_RETRY_SCHEDULE: '100ms, 1s,2m',
        PIPELINEJOBS_WEBHOOK_TIMEOUT: '3s',
        PIPELINEJOBS_WEBHOOK_DISABLE_AFTER: '1d',
        PIPELINEJOBS_WEBHOOK_SECRET_GRACE: '1h',
        PIPELINEJOBS_WEBHOOK_POLL: '250ms',
        PIPELINEJOBS_WEBHOOK_CONCURRENCY: '4',
      },
      '/srv',
    ).webhooks;
    expect(webhooks).toEqual({
      allowPrivate: true,
      retryScheduleMs: [100, 1000, 120_000],
      timeoutMs: 3000,
      disableAfterMs: 86_400_000,
      secretGraceMs: 3_600_000,
      pollMs: 250,
      concurrency: 4,
    });
    expect(
      readConfig({ PIPELINEJOBS_WEBHOOK_RETRY_SCHEDULE: 'none' }, '/srv').webhooks.retryScheduleMs,
    ).toEqual([]);
  });

  it('refuses an interval longer than a Node timer can wait (it would fire every millisecond), naming the variable', () => {
    expect(readConfig({ PIPELINEJOBS_DEADLINE_SWEEP: '24d' }, '/srv').deadlineSweepMs).toBe(24 * 86_400_000);
    expect(error({ PIPELINEJOBS_DEADLINE_SWEEP: '30d' }).message).toMatch(
      /^PIPELINEJOBS_DEADLINE_SWEEP: must be at most 24d/,
    );
    expect(error({ PIPELINEJOBS_WEBHOOK_POLL: '4w' }).variable).toBe('PIPELINEJOBS_WEBHOOK_POLL');
  });

  it('refuses a duration without its unit and a schedule step that is not one, naming the variable', () => {
    expect(error({ PIPELINEJOBS_WEBHOOK_TIMEOUT: '15' }).message).toMatch(
      /^PIPELINEJOBS_WEBHOOK_TIMEOUT: must be a duration such as 250ms/,
    );
    expect(error({ PIPELINEJOBS_WEBHOOK_RETRY_SCHEDULE: '5s,soon' }).message).toMatch(
      /^PIPELINEJOBS_WEBHOOK_RETRY_SCHEDULE: 'soon' is not a duration/,
    );
    expect(error({ PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE: 'yes' }).variable).toBe(
      'PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE',
    );
  });
});
