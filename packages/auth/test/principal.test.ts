import { describe, expect, it } from 'vitest';
import {
  type ApiKeyPort,
  type ApiKeyRecord,
  type Authentication,
  type AuthenticationDeps,
  authenticate,
  DEFAULT_NONCE_ROLE,
  generateApiKey,
  generateNonce,
  type JwtVerifier,
  type NonceConsumption,
  type NoncePort,
  type Role,
} from '../src/index.js';
import { leakCheck } from './support/leak-check.js';

// Tiny in-memory ports, for these tests only; the real ones live in storage, tested on PostgreSQL.

function memoryApiKeys() {
  const byHash = new Map<string, ApiKeyRecord>();
  const port: ApiKeyPort = {
    async findApiKeyByHash(hash) {
      return byHash.get(hash);
    },
  };
  return {
    port,
    issue(role: Role, revokedAt: Date | null = null): string {
      const { key, prefix, hash } = generateApiKey();
      const id = `key-${byHash.size + 1}`;
      byHash.set(hash, {
        id,
        prefix,
        role,
        label: id,
        createdAt: new Date(0),
        lastUsedAt: null,
        revokedAt,
        createdBy: null,
        revokedBy: null,
      });
      return key;
    },
  };
}

interface NonceRow {
  id: string;
  role: Role;
  jobUuid: string | null;
  maxUses: number | null;
  uses: number;
  expiresAt: Date;
  revoked: boolean;
}

function memoryNonces() {
  const byHash = new Map<string, NonceRow>();
  const check = (hash: string, jobUuid: string | undefined, now: Date): NonceConsumption => {
    const row = byHash.get(hash);
    if (row === undefined) return { ok: false, reason: 'unknown' };
    if (row.revoked) return { ok: false, reason: 'revoked' };
    if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    if (row.jobUuid !== null && row.jobUuid !== jobUuid) return { ok: false, reason: 'out_of_scope' };
    if (row.maxUses !== null && row.uses >= row.maxUses) return { ok: false, reason: 'exhausted' };
    const remainingUses = row.maxUses === null ? null : row.maxUses - row.uses;
    return { ok: true, id: row.id, role: row.role, jobUuid: row.jobUuid, remainingUses };
  };
  const port: NoncePort = {
    async checkNonce(hash, jobUuid, now) {
      return check(hash, jobUuid, now);
    },
    async consumeNonce(hash, jobUuid, now) {
      const checked = check(hash, jobUuid, now);
      const row = byHash.get(hash);
      if (!checked.ok || !row) return checked;
      row.uses += 1;
      return { ...checked, remainingUses: checked.remainingUses === null ? null : checked.remainingUses - 1 };
    },
  };
  return {
    port,
    rows: byHash,
    issue(options: Partial<Omit<NonceRow, 'id' | 'uses'>> = {}): string {
      const { nonce, hash } = generateNonce();
      byHash.set(hash, {
        id: `nonce-${byHash.size + 1}`,
        role: options.role ?? DEFAULT_NONCE_ROLE,
        jobUuid: options.jobUuid ?? null,
        maxUses: options.maxUses ?? null,
        uses: 0,
        expiresAt: options.expiresAt ?? new Date(NOW.getTime() + 3600_000),
        revoked: options.revoked ?? false,
      });
      return nonce;
    },
    usesOf(id: string): number | undefined {
      return [...byHash.values()].find((row) => row.id === id)?.uses;
    },
  };
}

const NOW = new Date('2025-03-01T12:00:00.000Z');
const JOB = '1070f0e2-9c3a-5d6e-8b11-7a2b3c4d5e6f';
const OTHER_JOB = '107aaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee';
const leaks = leakCheck();

function setup(jwt?: JwtVerifier) {
  const apiKeys = memoryApiKeys();
  const nonces = memoryNonces();
  const deps: AuthenticationDeps = { apiKeys: apiKeys.port, nonces: nonces.port, jwt, now: NOW };
  const auth = async (request: Parameters<typeof authenticate>[0]) =>
    leaks.record(await authenticate(request, deps));
  return { apiKeys, nonces, auth };
}

function tamper(value: string): string {
  const i = value.length - 6;
  return value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
}

function refusalOf(result: Authentication) {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

describe('authenticate with an API key', () => {
  it('accepts a valid key and gives its role and id, unscoped', async () => {
    const { apiKeys, auth } = setup();
    const key = apiKeys.issue('agent');
    leaks.secret(key);
    expect(await auth({ authorization: `Bearer ${key}` })).toEqual({
      ok: true,
      principal: { kind: 'api_key', role: 'agent', scope: { jobUuid: null }, id: 'key-1' },
    });
  });

  it('accepts the scheme in any case and surrounding spaces', async () => {
    const { apiKeys, auth } = setup();
    const key = apiKeys.issue('reader');
    leaks.secret(key);
    expect((await auth({ authorization: `  bearer   ${key} ` })).ok).toBe(true);
  });

  it('refuses an unknown key', async () => {
    const { auth } = setup();
    const { key } = generateApiKey();
    leaks.secret(key);
    const result = refusalOf(await auth({ authorization: `Bearer ${key}` }));
    expect(result).toMatchObject({ refusal: 'unauthenticated' });
    expect(result.message).toContain('unknown API key');
  });

  it('refuses a key tampered by one character', async () => {
    const { apiKeys, auth } = setup();
    const key = apiKeys.issue('admin');
    leaks.secret(key, tamper(key));
    expect(refusalOf(await auth({ authorization: `Bearer ${tamper(key)}` })).refusal).toBe('unauthenticated');
  });

  it('refuses a revoked key with the message "API key revoked"', async () => {
    const { apiKeys, auth } = setup();
    const key = apiKeys.issue('admin', new Date(NOW.getTime() - 1000));
    leaks.secret(key);
    const result = refusalOf(await auth({ authorization: `Bearer ${key}` }));
    expect(result.refusal).toBe('unauthenticated');
    expect(result.message).toMatch(/^API key revoked/);
  });

  it("refuses a key revoked at a time ahead of this process's clock (the database's clock set it)", async () => {
    const { apiKeys, auth } = setup();
    const key = apiKeys.issue('reporter', new Date(NOW.getTime() + 60_000));
    leaks.secret(key);
    expect(refusalOf(await auth({ authorization: `Bearer ${key}` })).message).toMatch(/^API key revoked/);
  });

  it('refuses a malformed pjm_ key without looking it up, and says what a key looks like', async () => {
    const { auth } = setup();
    const result = refusalOf(await auth({ authorization: 'Bearer pjm_short-secret-value' }));
    leaks.secret('pjm_short-secret-value', 'short-secret-value');
    expect(result.message).toContain('`pjm_` followed by 32 characters');
  });
});

describe('authenticate with the Authorization header', () => {
  it('refuses a scheme other than Bearer', async () => {
    const { auth } = setup();
    const result = refusalOf(await auth({ authorization: 'Basic dXNlcjpodW50ZXIy' }));
    leaks.secret('dXNlcjpodW50ZXIy');
    expect(result.message).toContain('`Bearer <API key or JWT>`');
  });

  it('refuses a request without credentials and says what to send', async () => {
    const { auth } = setup();
    const result = refusalOf(await auth({}));
    expect(result.refusal).toBe('unauthenticated');
    expect(result.message).toContain('x-nonce');
    expect(result.message).toContain('Authorization: Bearer');
  });

  it('refuses a bearer JWT when no verifier is configured and says what to send instead', async () => {
    const { auth } = setup();
    const result = refusalOf(await auth({ authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }));
    leaks.secret('eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
    expect(result.refusal).toBe('unauthenticated');
    expect(result.message).toContain('API key');
  });

  it('hands other bearer values to the JWT verifier with the injected clock', async () => {
    const seen: [string, Date | undefined][] = [];
    const jwt: JwtVerifier = async (token, now) => {
      seen.push([token, now]);
      return token === 'good.jwt.value'
        ? { ok: true, subject: 'alice', role: 'agent', expiresAt: new Date(NOW.getTime() + 60_000) }
        : { ok: false, code: 'expired', message: 'the bearer token has expired' };
    };
    const { auth } = setup(jwt);
    leaks.secret('good.jwt.value', 'old.jwt.value');
    expect(await auth({ authorization: 'Bearer good.jwt.value' })).toEqual({
      ok: true,
      principal: {
        kind: 'jwt',
        role: 'agent',
        scope: { jobUuid: null },
        id: 'alice',
        expiresAt: new Date(NOW.getTime() + 60_000),
      },
    });
    expect(refusalOf(await auth({ authorization: 'Bearer old.jwt.value' })).refusal).toBe('expired');
    expect(seen).toEqual([
      ['good.jwt.value', NOW],
      ['old.jwt.value', NOW],
    ]);
  });

  it('lets the bearer decide when a nonce is sent too, without consuming the nonce', async () => {
    const { apiKeys, nonces, auth } = setup();
    const key = apiKeys.issue('reader');
    const nonce = nonces.issue({ maxUses: 1 });
    leaks.secret(key, nonce);
    expect(await auth({ authorization: `Bearer ${key}`, nonce })).toMatchObject({
      ok: true,
      principal: { kind: 'api_key' },
    });
    expect(nonces.usesOf('nonce-1')).toBe(0);
  });
});

describe('authenticate with a nonce', () => {
  it('accepts a valid nonce with the default reporter role and consumes one use', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue({ maxUses: 3 });
    leaks.secret(nonce);
    expect(await auth({ nonce, jobUuid: JOB })).toEqual({
      ok: true,
      principal: { kind: 'nonce', role: 'reporter', scope: { jobUuid: null }, id: 'nonce-1' },
    });
    expect(nonces.usesOf('nonce-1')).toBe(1);
  });

  it('gives a job-scoped nonce its scope', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue({ jobUuid: JOB });
    leaks.secret(nonce);
    expect(await auth({ nonce, jobUuid: JOB })).toMatchObject({
      ok: true,
      principal: { scope: { jobUuid: JOB } },
    });
  });

  it('refuses an unknown nonce', async () => {
    const { auth } = setup();
    const { nonce } = generateNonce();
    leaks.secret(nonce);
    expect(refusalOf(await auth({ nonce })).refusal).toBe('unauthenticated');
  });

  it('refuses a nonce tampered by one character', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue();
    leaks.secret(nonce, tamper(nonce));
    expect(refusalOf(await auth({ nonce: tamper(nonce) })).refusal).toBe('unauthenticated');
  });

  it('refuses a malformed nonce', async () => {
    const { auth } = setup();
    leaks.secret('SD2E_abcdef123456');
    const result = refusalOf(await auth({ nonce: 'SD2E_abcdef123456' }));
    expect(result.message).toContain('`pjn_` followed by 32 characters');
  });

  it('refuses an expired nonce with refusal expired', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue({ expiresAt: new Date(NOW.getTime() - 1) });
    leaks.secret(nonce);
    expect(refusalOf(await auth({ nonce })).refusal).toBe('expired');
  });

  it('refuses a nonce once its uses are exhausted', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue({ maxUses: 2 });
    leaks.secret(nonce);
    expect((await auth({ nonce })).ok).toBe(true);
    expect((await auth({ nonce })).ok).toBe(true);
    const result = refusalOf(await auth({ nonce }));
    expect(result.refusal).toBe('exhausted');
    expect(result.message).toContain('no uses left');
  });

  it('refuses a revoked nonce', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue({ revoked: true });
    leaks.secret(nonce);
    expect(refusalOf(await auth({ nonce })).refusal).toBe('unauthenticated');
  });

  it('refuses a nonce scoped to another job as forbidden, without using it up', async () => {
    const { nonces, auth } = setup();
    const nonce = nonces.issue({ jobUuid: JOB, maxUses: 1 });
    leaks.secret(nonce);
    expect(refusalOf(await auth({ nonce, jobUuid: OTHER_JOB })).refusal).toBe('forbidden');
    expect(nonces.usesOf('nonce-1')).toBe(0);
    expect((await auth({ nonce, jobUuid: JOB })).ok).toBe(true);
  });
});

it('puts no key, nonce or bearer value in any refusal message', () => {
  leaks.expectClean(15);
});
