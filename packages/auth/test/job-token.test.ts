import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthError, jobToken, TOKEN_LENGTH, verifyJobToken } from '../src/index.js';
import { leakCheck } from './support/leak-check.js';

const SECRET = 'job-token-test-secret-6f1d';
const UUID = '107d8a5e-4b40-5c27-9d6c-44c4f1d3b2a1';
const leaks = leakCheck();

function tamper(token: string): string {
  const i = 5;
  return token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
}

describe('jobToken', () => {
  it('is the first 16 lower-case hex of HMAC-SHA256(secret, "job:" + uuid + ":" + version)', () => {
    const expected = createHmac('sha256', SECRET).update(`job:${UUID}:0`).digest('hex').slice(0, 16);
    expect(jobToken(SECRET, UUID, 0)).toBe(expected);
    expect(jobToken(SECRET, UUID, 0)).toMatch(/^[0-9a-f]{16}$/);
    expect(TOKEN_LENGTH).toBe(16);
  });

  it('matches a fixed vector, so the derivation never changes silently', () => {
    expect(jobToken('s3cret', '107abc', 0)).toBe('e59fa0f84051c741');
  });

  it('is stable for a job and changes with the version, the uuid and the secret', () => {
    const token = jobToken(SECRET, UUID, 0);
    expect(jobToken(SECRET, UUID, 0)).toBe(token);
    expect(jobToken(SECRET, UUID, 1)).not.toBe(token);
    expect(jobToken(SECRET, `${UUID}x`, 0)).not.toBe(token);
    expect(jobToken(`${SECRET}x`, UUID, 0)).not.toBe(token);
  });

  it('refuses an empty secret, an empty uuid and a bad version with AuthError', () => {
    const empty = leaks.thrown(() => jobToken('', UUID, 0));
    expect(empty).toBeInstanceOf(AuthError);
    expect(empty).toMatchObject({ code: 'invalid_config' });
    expect(leaks.thrown(() => jobToken(SECRET, '', 0))).toMatchObject({ code: 'invalid_argument' });
    expect(leaks.thrown(() => jobToken(SECRET, UUID, -1))).toMatchObject({ code: 'invalid_argument' });
    expect(leaks.thrown(() => jobToken(SECRET, UUID, 1.5))).toMatchObject({ code: 'invalid_argument' });
  });
});

describe('verifyJobToken', () => {
  const token = jobToken(SECRET, UUID, 3);
  leaks.secret(SECRET, token);

  it('accepts the job token of the current version', () => {
    expect(verifyJobToken(SECRET, UUID, 3, token)).toBe(true);
  });

  it('refuses a wrong token, a token tampered by one character, and one upper-cased', () => {
    expect(verifyJobToken(SECRET, UUID, 3, '0123456789abcdef')).toBe(false);
    expect(verifyJobToken(SECRET, UUID, 3, tamper(token))).toBe(false);
    expect(token).toMatch(/[a-f]/);
    expect(verifyJobToken(SECRET, UUID, 3, token.toUpperCase())).toBe(false);
  });

  it('refuses the token of a previous version after rotation', () => {
    expect(verifyJobToken(SECRET, UUID, 4, token)).toBe(false);
  });

  it("refuses another job's token", () => {
    expect(verifyJobToken(SECRET, '107ffff0-0000-5000-8000-000000000000', 3, token)).toBe(false);
  });

  it('refuses tokens of the wrong length, empty strings and non-strings without throwing', () => {
    for (const candidate of [token.slice(0, 15), `${token}0`, '', ' ', null, undefined, 42, {}, [token]]) {
      expect(verifyJobToken(SECRET, UUID, 3, candidate)).toBe(false);
    }
  });

  it('returns false instead of throwing for a misconfigured secret or a bad version', () => {
    expect(verifyJobToken('', UUID, 3, token)).toBe(false);
    expect(verifyJobToken(SECRET, UUID, Number.NaN, token)).toBe(false);
    expect(verifyJobToken(SECRET, '', 3, token)).toBe(false);
  });

  it('never throws for any string input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(), fc.string(), (secret, uuid, version, candidate) => {
        expect(typeof verifyJobToken(secret, uuid, version, candidate)).toBe('boolean');
      }),
    );
  });

  it('accepts only the exact token among random candidates', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 16, maxLength: 16 }), (candidate) => {
        expect(verifyJobToken(SECRET, UUID, 3, candidate)).toBe(candidate === token);
      }),
    );
  });
});

it('puts no secret or token in any error message', () => {
  leaks.expectClean(4);
});
