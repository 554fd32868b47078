import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadOrCreateSecret, readConfig } from '@pipelinejobs/service';
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
    [{ PIPELINEJOBS_JWKS_URL: 'https://issuer/jwks' }, 'PIPELINEJOBS_JWT_ISSUER'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(error(env as Record<string, string>).variable).toBe(variable);
  });

  it('reads an external database with its secret and a JWT issuer', () => {
    const config = readConfig(
      {
        DATABASE_URL: 'postgresql://db/pj',
        PIPELINEJOBS_SECRET: 'a-long-enough-secret',
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
    });
    expect(config.port).toBe(9000);
  });
});

describe('loadOrCreateSecret', () => {
  it('generates the secret once, keeps it private, and returns the same one after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pj-secret-'));
    try {
      const first = loadOrCreateSecret(join(dir, 'data'));
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(loadOrCreateSecret(join(dir, 'data'))).toBe(first);
      expect(readFileSync(join(dir, 'data', 'secret'), 'utf8').trim()).toBe(first);
      expect(statSync(join(dir, 'data', 'secret')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
