import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { validateProblem } from '@pipelinejobs/schemas';
import { createNonce, systemPrincipal } from '@pipelinejobs/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/openapi.js';
import { PROBLEM_TYPES } from '../src/problem.js';
import { type Manager, startManager } from './harness.js';

const TEST_ADMIN = systemPrincipal('tests');
const DASHBOARD = 'https://dashboard.example.org';

let m: Manager;
let job: { uuid: string; token: string };

beforeAll(async () => {
  m = await startManager({ corsOrigins: [DASHBOARD] });
  await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  const created = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { conventions: 1 } },
  });
  job = created.json as { uuid: string; token: string };
});
afterAll(async () => {
  await m.stop();
});

describe('caching', () => {
  it('marks every answer carrying a token no-store, and every other API answer too', async () => {
    const created = await m.request('POST', '/jobs', {
      key: m.keys.agent,
      body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { conventions: 2 } },
    });
    expect(created.json.token).toBeDefined();
    expect(created.headers.get('cache-control')).toBe('no-store');
    const again = await m.request('POST', '/jobs', {
      key: m.keys.agent,
      body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { conventions: 2 } },
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('cache-control')).toBe('no-store');
    const rotated = await m.request('POST', `/jobs/${job.uuid}/token`, { body: { token: m.adminToken() } });
    expect(rotated.json.token).toBeDefined();
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    job.token = rotated.json.token as string;
    for (const path of ['/jobs', `/jobs/${job.uuid}`, '/fsm', '/metrics', '/readyz', '/nope']) {
      expect((await m.request('GET', path)).headers.get('cache-control'), path).toBe('no-store');
    }
  });
});

describe('201 Created', () => {
  it('says where the job and the pipeline are, and the Location answers with them', async () => {
    const created = await m.request('POST', '/jobs', {
      key: m.keys.agent,
      body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { conventions: 3 } },
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location');
    expect(location).toBe(`/jobs/${created.json.uuid}`);
    expect((await m.request('GET', location ?? '')).json.uuid).toBe(created.json.uuid);
    const pipeline = await m.request('POST', '/pipelines', {
      body: { ...loadFixture<Record<string, unknown>>('sd2e/pipelines/tacobot.json'), id: 'tacobot-other' },
    });
    expect(pipeline.status).toBe(201);
    expect(pipeline.headers.get('location')).toBe(`/pipelines/${pipeline.json.uuid}`);
    // Nothing was created: no Location.
    const same = await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
    expect(same.status).toBe(200);
    expect(same.headers.get('location')).toBeNull();
  });
});

describe('401', () => {
  it('says how to authenticate, and that a credential sent was refused', async () => {
    const none = await m.request('GET', '/jobs', { key: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="pipelinejobs"');
    const wrong = await m.request('GET', '/jobs', { key: 'pjm_not-a-key-at-all-000000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="pipelinejobs", error="invalid_token"/,
    );
  });
});

describe('405 and OPTIONS', () => {
  it('answers a known path with another method 405, with Allow naming its methods', async () => {
    const put = await m.request('PUT', '/jobs', { body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    expect(put.json).toMatchObject({ status: 405, type: '/problems/method-not-allowed' });
    expect(validateProblem(put.json).ok).toBe(true);
    const patch = await m.request('PATCH', `/jobs/${job.uuid}`);
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS');
    expect((await m.request('DELETE', '/pipelines', { key: null })).headers.get('allow')).toBe(
      'GET, HEAD, OPTIONS, POST',
    );
    // An unknown path stays a 404.
    expect((await m.request('PUT', '/nothing-here')).status).toBe(404);
  });

  it('answers OPTIONS with 204 and Allow, without a credential', async () => {
    const res = await m.request('OPTIONS', '/messages', { key: null });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('OPTIONS, POST');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path = '/jobs') =>
    m.request('OPTIONS', path, {
      key: null,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('answers a preflight from an allowed origin before authentication', async () => {
    const res = await preflight(DASHBOARD);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS, POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('lets an allowed origin read answers and their headers, and says nothing to another origin', async () => {
    const allowed = await m.request('GET', '/jobs', { headers: { origin: DASHBOARD } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/Link/);
    const refusedToo = await m.request('GET', '/jobs', { key: null, headers: { origin: DASHBOARD } });
    expect(refusedToo.status).toBe(401);
    expect(refusedToo.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-methods')).toBeNull();
    const otherGet = await m.request('GET', '/jobs', { headers: { origin: 'https://evil.example.com' } });
    expect(otherGet.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('says every answer depends on Origin, so a shared cache keeps one per origin', async () => {
    // The problem pages may be kept an hour by any cache: one kept from a request of another
    // origin (or none), without Vary, would be served to the dashboard with no CORS header.
    for (const origin of ['https://evil.example.com', undefined]) {
      const page = await m.request('GET', '/problems/not-found', {
        key: null,
        headers: origin ? { origin } : {},
      });
      expect(page.headers.get('cache-control')).toMatch(/public/);
      expect(page.headers.get('vary'), String(origin)).toMatch(/\bOrigin\b/);
    }
  });

  it('is off by default', async () => {
    const plain = await startManager();
    try {
      const res = await plain.request('OPTIONS', '/jobs', {
        key: null,
        headers: { origin: DASHBOARD, 'access-control-request-method': 'GET' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const get = await plain.request('GET', '/jobs', { headers: { origin: DASHBOARD } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.stop();
    }
  });
});

describe('Link rel="next"', () => {
  it('goes with next on job listings and leads to the next page', async () => {
    const first = await m.request('GET', '/jobs?limit=1');
    expect(first.json.next).not.toBeNull();
    const link = first.headers.get('link') ?? '';
    const target = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    expect(target).toBe(`/jobs?limit=1&cursor=${encodeURIComponent(String(first.json.next))}`);
    const second = await m.request('GET', target ?? '');
    expect(second.status).toBe(200);
    const firstItems = first.json.items as { uuid: string }[];
    const secondItems = second.json.items as { uuid: string }[];
    expect(secondItems[0]?.uuid).not.toBe(firstItems[0]?.uuid);
    // The last page has no next, and no Link.
    const all = await m.request('GET', '/jobs?limit=500');
    expect(all.json.next).toBeNull();
    expect(all.headers.get('link')).toBeNull();
  });

  it('goes with next on history (after) and pipelines, without the credential of the query', async () => {
    await m.request('POST', '/messages', { body: { uuid: job.uuid, name: 'run', token: job.token } });
    const nonce = await createNonce(m.services, TEST_ADMIN, { role: 'reader', maxUses: 10 });
    const history = await m.request('GET', `/jobs/${job.uuid}/history?limit=1&x-nonce=${nonce.nonce}`, {
      key: null,
    });
    expect(history.status).toBe(200);
    expect(history.headers.get('link')).toBe(`</jobs/${job.uuid}/history?limit=1&after=1>; rel="next"`);
    expect(history.headers.get('link')).not.toContain(nonce.nonce);
    const pipelines = await m.request('GET', '/pipelines?limit=1');
    expect(pipelines.headers.get('link')).toBe(
      `</pipelines?limit=1&cursor=${encodeURIComponent(String(pipelines.json.next))}>; rel="next"`,
    );
  });
});

describe('traceparent', () => {
  it('is logged with the request id, and a malformed one is ignored', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const traced = await m.request('GET', '/jobs', {
      headers: { traceparent: `00-${traceId}-${parentId}-01`, 'x-request-id': 'traced-request-1' },
    });
    expect(traced.status).toBe(200);
    const line = m.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.requestId === 'traced-request-1');
    expect(line).toMatchObject({ msg: 'request', traceId, parentId, status: 200 });
    await m.request('GET', '/jobs', {
      headers: { traceparent: `00-${'0'.repeat(32)}-${parentId}-01`, 'x-request-id': 'traced-request-2' },
    });
    const ignored = m.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.requestId === 'traced-request-2');
    expect(ignored).toBeDefined();
    expect(ignored?.traceId).toBeUndefined();
  });
});

describe('problem types', () => {
  it('resolve to a page of the Manager for every code, listed at /problems', async () => {
    const missing = await m.request('GET', '/jobs/107b93f3-1eae-5e79-8a18-0a480f8aa3a5');
    expect(missing.status).toBe(404);
    const type = new URL(String(missing.json.type), `${m.base}/jobs/whatever`);
    const page = await fetch(type);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<h1>Not found</h1>');
    const index = await (await fetch(`${m.base}/problems`)).text();
    for (const [code, { status, title }] of Object.entries(PROBLEM_TYPES)) {
      const slug = code.replaceAll('_', '-');
      expect(index).toContain(`href="/problems/${slug}"`);
      const res = await fetch(`${m.base}/problems/${slug}`);
      expect(res.status, slug).toBe(200);
      const html = await res.text();
      expect(html).toContain(`HTTP status ${status}`);
      expect(html).toContain(title.replace(/'/g, '&#39;'));
    }
    // One address per page: the code's own spelling is not a second one.
    expect((await m.request('GET', '/problems/not_found', { key: null })).status).toBe(404);
    const none = await m.request('GET', '/problems/no-such-problem', { key: null });
    expect(none.status).toBe(404);
    expect(none.json.type).toBe('/problems/not-found');
  });
});

describe('metrics', () => {
  const sample = (text: string, name: string) => {
    const match = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };

  it('report the pool, jobs by state, events by form and result, and history rows', async () => {
    const metrics = async () => (await m.request('GET', '/metrics', { key: m.keys.reader })).text;
    const before = await metrics();
    const created = await m.request('POST', '/jobs', {
      key: m.keys.agent,
      body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { metrics: 1 } },
    });
    const { uuid, token } = created.json as { uuid: string; token: string };
    await m.request('POST', '/messages', { body: { uuid, name: 'run', token } });
    await m.request('POST', '/messages', { body: { uuid, name: 'update', token } });
    await m.request('POST', `/messages?uuid=${uuid}&event=update&token=${token}`, { body: { a: 1 } });
    await m.request('POST', '/messages', { body: { uuid, name: 'validate', token } });
    await m.request('POST', '/messages', { body: { nothing: 'recognisable' } });
    const count = (text: string, name: string) => sample(text, name) ?? 0;
    const added = (text: string, name: string) => count(text, name) - count(before, name);
    let text = '';
    // History rows come from PostgreSQL's statistics, which lag writes by up to a second or so.
    for (let i = 0; i < 50; i++) {
      text = await metrics();
      if (added(text, 'pipelinejobs_history_rows') >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(sample(text, 'pipelinejobs_db_pool_connections{state="max"}')).toBe(20);
    expect(sample(text, 'pipelinejobs_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'pipelinejobs_db_pool_waiting')).toBe(0);
    expect(added(text, 'pipelinejobs_jobs{state="RUNNING"}')).toBe(1);
    expect(sample(text, 'pipelinejobs_jobs{state="RETIRED"}')).toBe(0);
    expect(added(text, 'pipelinejobs_events_total{event="run",form="json",result="applied"}')).toBe(1);
    expect(added(text, 'pipelinejobs_events_total{event="update",form="json",result="applied"}')).toBe(1);
    expect(added(text, 'pipelinejobs_events_total{event="update",form="params",result="applied"}')).toBe(1);
    expect(added(text, 'pipelinejobs_events_total{event="validate",form="json",result="not_allowed"}')).toBe(
      1,
    );
    expect(
      added(text, 'pipelinejobs_events_total{event="unknown",form="unrecognised",result="invalid"}'),
    ).toBe(1);
    // An estimate: at least the rows written here (writes of the tests before may still arrive).
    expect(added(text, 'pipelinejobs_history_rows')).toBeGreaterThanOrEqual(4);
  });

  it('need a reader credential unless the operator allows them without, as the OpenAPI document says', async () => {
    const refused = await m.request('GET', '/metrics', { key: null });
    expect(refused.status).toBe(401);
    const operation = openApiDocument().paths['/metrics'].get;
    expect(operation.responses['401']).toBeDefined();
    expect(operation.security).toContainEqual({});
    const open = await startManager({ metricsPublic: true });
    try {
      const res = await open.request('GET', '/metrics', { key: null });
      expect(res.status).toBe(200);
      expect(res.text).toContain('pipelinejobs_jobs{state="CREATED"}');
      // Everything else still needs a credential.
      expect((await open.request('GET', '/fsm', { key: null })).status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});
