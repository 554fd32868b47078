import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

const LIMIT = 5;

function expectLimited(res: Awaited<ReturnType<Manager['request']>>) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
}

describe('the rate limit, with the socket address as the client address', () => {
  let m: Manager;
  beforeAll(async () => {
    m = await startManager({ rateLimitPerMinute: LIMIT });
  });
  afterAll(async () => {
    await m.stop();
  });

  it('charges every spelling of one API key to one budget, and another key keeps its own', async () => {
    const key = m.keys.admin;
    const spellings = [`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer  ${key}`, `Bearer\t${key}`];
    for (const authorization of spellings) {
      const res = await m.request('GET', '/jobs', { key: null, headers: { authorization } });
      expect(res.status, authorization).toBe(200);
    }
    expectLimited(
      await m.request('GET', '/jobs', { key: null, headers: { authorization: `bEaReR ${key}` } }),
    );
    expectLimited(await m.request('GET', '/jobs'));
    expect((await m.request('GET', '/jobs', { key: m.keys.reader })).status).toBe(200);
  });

  it('limits requests without a valid credential per address, whatever X-Forwarded-For says', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await m.request('GET', '/jobs', {
        key: `pjm_${String(i).padStart(32, 'x')}`,
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      expect(res.status).toBe(401);
    }
    expectLimited(
      await m.request('GET', '/jobs', { key: null, headers: { 'x-forwarded-for': '198.51.100.99' } }),
    );
    // A request refused before authentication (unreadable JSON) counts against the address too.
    expectLimited(
      await m.request('POST', '/messages', {
        key: null,
        raw: '{',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expectLimited(await m.request('GET', '/no-such-route', { key: null }));
    // Authenticated callers from the same address are charged to themselves, not to it.
    expect((await m.request('GET', '/jobs', { key: m.keys.agent })).status).toBe(200);
    // Probes and documentation are not limited.
    expect((await m.request('GET', '/healthz', { key: null })).status).toBe(200);
    expect((await m.request('GET', '/openapi.json', { key: null })).status).toBe(200);
  });
});

describe('the rate limit behind a trusted proxy (PIPELINEJOBS_TRUST_PROXY=1)', () => {
  let m: Manager;
  beforeAll(async () => {
    m = await startManager({ rateLimitPerMinute: LIMIT, trustProxy: 1 });
  });
  afterAll(async () => {
    await m.stop();
  });

  const anonymous = (forwardedFor: string) =>
    m.request('GET', '/jobs', { key: 'pjm_unknown', headers: { 'x-forwarded-for': forwardedFor } });

  it('takes the client address from X-Forwarded-For', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await anonymous('203.0.113.1')).status).toBe(401);
    expectLimited(await anonymous('203.0.113.1'));
    // Only the hop the proxy appended counts: a client cannot pick its address by prepending one.
    expectLimited(await anonymous('192.0.2.77, 203.0.113.1'));
    expect((await anonymous('203.0.113.2')).status).toBe(401);
  });

  it('gives an IPv6 client one budget for its whole /64', async () => {
    for (let i = 1; i <= LIMIT; i++) expect((await anonymous(`2001:db8::${i}`)).status).toBe(401);
    expectLimited(await anonymous('2001:db8:0:0:ffff::1'));
    expect((await anonymous('2001:db8:0:1::1')).status).toBe(401);
  });
});
