import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AdminTokenConfig,
  AuthError,
  adminToken,
  adminTokenValidUntil,
  DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS,
  verifyAdminToken,
} from '../src/index.js';
import { leakCheck } from './support/leak-check.js';

const config: AdminTokenConfig = { secret: 'admin-test-secret-91c2', adminKey: 'admin-test-key-d00d' };
const HOUR = 3600_000;
// Window 472222 of the default lifetime starts here.
const T0 = new Date(472222 * HOUR);
const at = (ms: number) => new Date(T0.getTime() + ms);
const leaks = leakCheck();
leaks.secret(config.secret, config.adminKey);

describe('adminToken', () => {
  it('is the first 16 hex of HMAC-SHA256(secret, adminKey + ":" + floor(nowSeconds / 3600))', () => {
    const expected = createHmac('sha256', config.secret)
      .update(`${config.adminKey}:472222`)
      .digest('hex')
      .slice(0, 16);
    expect(adminToken({ ...config, now: T0 })).toBe(expected);
    expect(DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS).toBe(3600);
  });

  it('matches a fixed vector, so the derivation never changes silently', () => {
    expect(adminToken({ secret: 's3cret', adminKey: 'admin-key', now: T0 })).toBe('b7e2cfdbe1ab949f');
  });

  it('stays the same within a window and changes at its boundary', () => {
    const token = adminToken({ ...config, now: T0 });
    expect(adminToken({ ...config, now: at(HOUR - 1) })).toBe(token);
    expect(adminToken({ ...config, now: at(HOUR) })).not.toBe(token);
  });

  it('uses the configured lifetime for the window', () => {
    const short = { ...config, lifetimeSeconds: 60 };
    const now = new Date(1_000_020_000);
    const expected = createHmac('sha256', config.secret)
      .update(`${config.adminKey}:${Math.floor(1_000_020 / 60)}`)
      .digest('hex')
      .slice(0, 16);
    expect(adminToken({ ...short, now })).toBe(expected);
  });

  it('refuses an empty secret, an empty key and a bad lifetime with AuthError invalid_config', () => {
    for (const bad of [
      { ...config, secret: '' },
      { ...config, adminKey: '' },
      { ...config, lifetimeSeconds: 0 },
      { ...config, lifetimeSeconds: -5 },
      { ...config, lifetimeSeconds: 1.5 },
    ]) {
      const error = leaks.thrown(() => adminToken({ ...bad, now: T0 }));
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ code: 'invalid_config' });
    }
  });

  it('says until when a token minted now is accepted', () => {
    expect(adminTokenValidUntil(config, at(10 * 60_000))).toEqual(at(2 * HOUR));
  });
});

describe('verifyAdminToken', () => {
  const token = adminToken({ ...config, now: T0 });
  leaks.secret(token);

  it('accepts the token of the current window', () => {
    expect(verifyAdminToken(config, token, at(59 * 60_000))).toBe(true);
  });

  it('accepts the token of the previous window', () => {
    expect(verifyAdminToken(config, token, at(HOUR))).toBe(true);
    expect(verifyAdminToken(config, token, at(2 * HOUR - 1))).toBe(true);
  });

  it('refuses the token of two windows ago', () => {
    expect(verifyAdminToken(config, token, at(2 * HOUR))).toBe(false);
  });

  it('refuses a token from a future window', () => {
    expect(verifyAdminToken(config, adminToken({ ...config, now: at(HOUR) }), T0)).toBe(false);
  });

  it('refuses a token tampered by one character', () => {
    const tampered = token.slice(0, 7) + (token[7] === '0' ? '1' : '0') + token.slice(8);
    expect(verifyAdminToken(config, tampered, T0)).toBe(false);
  });

  it('refuses a token minted with another key or secret', () => {
    expect(verifyAdminToken(config, adminToken({ ...config, adminKey: 'other', now: T0 }), T0)).toBe(false);
    expect(verifyAdminToken(config, adminToken({ ...config, secret: 'other', now: T0 }), T0)).toBe(false);
  });

  it('refuses a job-shaped or wrong-length candidate and non-strings without throwing', () => {
    for (const candidate of ['0123456789abcdef', token.slice(1), `${token}f`, '', null, undefined, 7]) {
      expect(verifyAdminToken(config, candidate, T0)).toBe(false);
    }
  });

  it('returns false instead of throwing for a bad configuration or an invalid date', () => {
    expect(verifyAdminToken({ ...config, secret: '' }, token, T0)).toBe(false);
    expect(verifyAdminToken({ ...config, lifetimeSeconds: 0 }, token, T0)).toBe(false);
    expect(verifyAdminToken(config, token, new Date(Number.NaN))).toBe(false);
  });
});

it('puts no secret, key or token in any error message', () => {
  leaks.expectClean(5);
});
