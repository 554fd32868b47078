import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthError,
  createJwtVerifier,
  type JwtVerification,
  type JwtVerifier,
  roleFromClaims,
} from '../src/index.js';
import { leakCheck } from './support/leak-check.js';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'pipelinejobs';
const leaks = leakCheck();

let server: Server;
let jwksUrl: string;
let rsa: CryptoKey;
let ec: CryptoKey;
let stranger: CryptoKey;
let verify: JwtVerifier;
let jwksStatus = 200;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  const strangerPair = await generateKeyPair('RS256');
  rsa = rsaPair.privateKey;
  ec = ecPair.privateKey;
  stranger = strangerPair.privateKey;
  const keys: JWK[] = [
    { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  server = createServer((req, res) => {
    if (req.url !== '/jwks.json' || jwksStatus !== 200) {
      res.writeHead(jwksStatus === 200 ? 404 : jwksStatus).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  jwksUrl = `http://127.0.0.1:${await listen(server)}/jwks.json`;
  verify = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface SignOptions {
  key?: CryptoKey | Uint8Array;
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string;
  expiresAt?: number;
  subject?: string | null;
}

async function sign(claims: JWTPayload = {}, options: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(options.expiresAt ?? now + 300);
  if (options.subject !== null) jwt.setSubject(options.subject ?? 'user-1');
  const token = await jwt.sign(options.key ?? rsa);
  leaks.secret(token, token.split('.')[2] ?? token);
  return token;
}

async function refused(token: string, now?: Date): Promise<Extract<JwtVerification, { ok: false }>> {
  const result = leaks.record(await verify(token, now));
  if (result.ok) throw new Error('expected the token to be refused');
  return result;
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('createJwtVerifier', () => {
  it('accepts a valid RS256 token from the JWKS and gives its subject', async () => {
    expect(await verify(await sign())).toMatchObject({ ok: true, subject: 'user-1', role: 'reader' });
  });

  it("gives the token's expiry (what an event stream opened with it ends at)", async () => {
    const exp = Math.floor(Date.now() / 1000) + 120;
    expect(await verify(await sign({}, { expiresAt: exp }))).toEqual({
      ok: true,
      subject: 'user-1',
      role: 'reader',
      expiresAt: new Date(exp * 1000),
    });
  });

  it('accepts a valid ES256 token from the JWKS', async () => {
    const token = await sign({}, { key: ec, alg: 'ES256', kid: 'ec-1' });
    expect(await verify(token)).toMatchObject({ ok: true, subject: 'user-1' });
  });

  it('refuses a token from another issuer', async () => {
    const result = await refused(await sign({}, { issuer: 'https://evil.test/' }));
    expect(result.code).toBe('unauthenticated');
    expect(result.message).toContain(`accepts tokens issued by ${ISSUER}`);
  });

  it('refuses a token for another audience', async () => {
    const result = await refused(await sign({}, { audience: 'someone-else' }));
    expect(result.code).toBe('unauthenticated');
    expect(result.message).toContain('another audience');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ alg: 'none', typ: 'JWT' });
    const payload = b64({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-1',
      exp: now + 300,
      pipelinejobs_role: 'admin',
    });
    const result = await refused(`${header}.${payload}.`);
    expect(result.code).toBe('unauthenticated');
    expect(result.message).toContain('algorithm is not accepted');
  });

  it('refuses an HMAC-signed (HS256) token', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-that-is-long-enough!');
    const result = await refused(await sign({}, { alg: 'HS256', key: secret }));
    expect(result.message).toContain('algorithm is not accepted');
  });

  it('refuses an expired token with code expired', async () => {
    const result = await refused(await sign({}, { expiresAt: Math.floor(Date.now() / 1000) - 120 }));
    expect(result.code).toBe('expired');
    expect(result.message).toContain('expired');
  });

  it('judges expiry by the injected clock', async () => {
    const token = await sign();
    expect((await verify(token, new Date(Date.now() + 60_000))).ok).toBe(true);
    expect((await refused(token, new Date(Date.now() + 3600_000))).code).toBe('expired');
  });

  it('refuses a token signed by a key that is not in the JWKS (unknown kid)', async () => {
    const result = await refused(await sign({}, { key: stranger, kid: 'rsa-unknown' }));
    expect(result.code).toBe('unauthenticated');
    expect(result.message).toContain('signature does not verify');
  });

  it('refuses a token signed by another key under a known kid', async () => {
    const result = await refused(await sign({}, { key: stranger }));
    expect(result.message).toContain('signature does not verify');
  });

  it('refuses a token whose signature is tampered by one character', async () => {
    const token = await sign();
    const [header, payload, signature = ''] = token.split('.');
    const i = 40;
    const changed = signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
    expect((await refused(`${header}.${payload}.${changed}`)).code).toBe('unauthenticated');
  });

  it('refuses a token whose payload is tampered to claim admin', async () => {
    const token = await sign();
    const [header, , signature] = token.split('.');
    const payload = b64({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-1',
      exp: 9_999_999_999,
      pipelinejobs_role: 'admin',
    });
    expect((await refused(`${header}.${payload}.${signature}`)).code).toBe('unauthenticated');
  });

  it('refuses a token without a subject', async () => {
    const result = await refused(await sign({}, { subject: null }));
    expect(result.message).toContain('`sub`');
  });

  it('refuses strings that are not JWTs', async () => {
    for (const junk of ['', 'not-a-jwt', 'a.b.c', '...']) {
      expect((await refused(junk)).code).toBe('unauthenticated');
    }
  });

  it('maps the pipelinejobs_role claim and the pipelinejobs: scopes to a role', async () => {
    const role = async (claims: JWTPayload) => {
      const result = await verify(await sign(claims));
      return result.ok ? result.role : result.code;
    };
    expect(await role({ pipelinejobs_role: 'agent' })).toBe('agent');
    expect(await role({ scope: 'openid pipelinejobs:reporter pipelinejobs:agent email' })).toBe('agent');
    expect(await role({ scp: ['pipelinejobs:admin'] })).toBe('admin');
    expect(await role({ scope: 'openid email' })).toBe('reader');
    expect(await role({ pipelinejobs_role: 'reporter', scope: 'pipelinejobs:admin' })).toBe('reporter');
  });

  it('refuses a token whose role claim names no role', async () => {
    const result = await refused(await sign({ pipelinejobs_role: 'root' }));
    expect(result.message).toContain('`pipelinejobs_role` claim is not a role');
  });

  it('reads the role from a configured claim name', async () => {
    const custom = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, roleClaim: 'pj/role' });
    expect(await custom(await sign({ 'pj/role': 'admin' }))).toMatchObject({ ok: true, role: 'admin' });
  });

  it('rejects with AuthError jwks_unavailable when the JWKS cannot be fetched', async () => {
    jwksStatus = 500;
    try {
      const fresh = createJwtVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
      const error = await fresh(await sign()).catch((e: unknown) => leaks.record(e));
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ code: 'jwks_unavailable' });
    } finally {
      jwksStatus = 200;
    }
  });

  it('rejects with AuthError jwks_unavailable when nothing listens at the JWKS URL', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createJwtVerifier({
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    await expect(unreachable(await sign())).rejects.toMatchObject({ code: 'jwks_unavailable' });
  });

  it('refuses bad options with AuthError invalid_config', () => {
    for (const bad of [
      { jwksUrl: 'not a url', issuer: ISSUER, audience: AUDIENCE },
      { jwksUrl: 'file:///etc/jwks.json', issuer: ISSUER, audience: AUDIENCE },
      { jwksUrl, issuer: '', audience: AUDIENCE },
      { jwksUrl, issuer: ISSUER, audience: '' },
      { jwksUrl, issuer: ISSUER, audience: [] },
    ]) {
      expect(leaks.thrown(() => createJwtVerifier(bad))).toMatchObject({ code: 'invalid_config' });
    }
  });
});

describe('a JWKS outage', () => {
  let publicKeys: JWK[];

  beforeAll(async () => {
    publicKeys = ((await (await fetch(jwksUrl)).json()) as { keys: JWK[] }).keys;
  });

  /** A JWKS server of the test's own, which the test stops for real. */
  async function issuer(keys: () => JWK[]) {
    const own = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys() }));
    });
    const url = `http://127.0.0.1:${await listen(own)}/jwks.json`;
    return {
      url,
      stop: () =>
        new Promise<void>((resolve) => {
          own.close(() => resolve());
          own.closeAllConnections();
        }),
    };
  }
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A verifier of the keys at `url` that fetches them again after 50 ms, with `options` on top. */
  const verifierOf = (url: string, options: { jwksMaxStaleMs?: number } = {}) =>
    createJwtVerifier({
      jwksUrl: url,
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksCacheMaxAgeMs: 50,
      ...options,
    });

  it('keeps verifying valid tokens with the last keys fetched while the JWKS server is down', async () => {
    const up = await issuer(() => publicKeys);
    const graceful = verifierOf(up.url, { jwksMaxStaleMs: 60_000 });
    expect(await graceful(await sign())).toMatchObject({ ok: true, subject: 'user-1' });
    await up.stop();
    await pause(120); // the cached keys are now older than the cache period
    expect(await graceful(await sign({}, { subject: 'user-2' }))).toMatchObject({
      ok: true,
      subject: 'user-2',
    });
    expect(await graceful(await sign({}, { key: ec, alg: 'ES256', kid: 'ec-1' }))).toMatchObject({
      ok: true,
    });
    // Still a signature check: a forged token is refused, not waved through.
    expect(await graceful(await sign({}, { key: stranger }))).toMatchObject({
      ok: false,
      code: 'unauthenticated',
    });
    // A key the last set does not hold may be new at the issuer: 503, try again, not 401.
    const unknownKid = await sign({}, { key: stranger, kid: 'rsa-2' });
    await expect(graceful(unknownKid)).rejects.toMatchObject({ code: 'jwks_unavailable' });
  });

  it('refuses with jwks_unavailable once the last keys are older than the grace', async () => {
    const up = await issuer(() => publicKeys);
    const brief = verifierOf(up.url, { jwksMaxStaleMs: 200 });
    expect((await brief(await sign())).ok).toBe(true);
    await up.stop();
    await pause(100);
    expect((await brief(await sign())).ok).toBe(true);
    await pause(200);
    await expect(brief(await sign())).rejects.toMatchObject({ code: 'jwks_unavailable' });
  });

  it('uses the keys the issuer publishes when it answers: a removed key stops verifying at once', async () => {
    let published = publicKeys;
    const up = await issuer(() => published);
    try {
      const rotating = verifierOf(up.url);
      expect((await rotating(await sign())).ok).toBe(true);
      published = publicKeys.filter((k) => k.kid !== 'rsa-1');
      await pause(120);
      expect(await rotating(await sign())).toMatchObject({ ok: false, code: 'unauthenticated' });
    } finally {
      await up.stop();
    }
  });
});

describe('roleFromClaims', () => {
  it('takes the highest pipelinejobs: scope and ignores unknown ones', () => {
    expect(roleFromClaims({ scope: 'pipelinejobs:reader pipelinejobs:root pipelinejobs:reporter' })).toEqual({
      ok: true,
      role: 'reporter',
    });
    expect(roleFromClaims({ scp: 'pipelinejobs:agent' })).toEqual({ ok: true, role: 'agent' });
  });

  it('refuses a role claim that is not a string', () => {
    expect(roleFromClaims({ pipelinejobs_role: ['admin'] }).ok).toBe(false);
  });

  it('defaults to reader', () => {
    expect(roleFromClaims({})).toEqual({ ok: true, role: 'reader' });
  });
});

it('puts no token or signature in any refusal message', () => {
  leaks.expectClean(15);
});
