import type { JobUuid } from '@pipelinejobs/core';
import { jobUuid, parseJsonExact } from '@pipelinejobs/core';
import { loadFixture, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import {
  schemaNames,
  schemas,
  validate,
  validateMessageResponse,
  validateProblem,
} from '@pipelinejobs/schemas';
import { createNonce, systemPrincipal } from '@pipelinejobs/service';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

/** The tests act as the Manager itself would (an admin principal of kind system). */
const TEST_ADMIN = systemPrincipal('tests');

let m: Manager;
/** Every error body the suite sees; each must be a valid problem document. */
const problems: unknown[] = [];
const tokens: string[] = [];

beforeAll(async () => {
  m = await startManager();
});
afterAll(async () => {
  await m.stop();
});

async function call(method: string, path: string, init: Parameters<Manager['request']>[2] = {}) {
  const res = await m.request(method, path, init);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    problems.push(res.json);
  }
  return res;
}

async function job(uuid: string) {
  return (await call('GET', `/jobs/${uuid}`)).json as { state: string; version: number; last_event: string };
}

async function createJob(data: Record<string, unknown>) {
  const res = await call('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data },
  });
  expect(res.status).toBe(201);
  tokens.push(res.json.token as string);
  return res.json as { uuid: JobUuid; token: string; state: string };
}

describe('the tacobot job over HTTP', () => {
  let token: string;

  it('registers the tacobot pipeline (201, then 200 with the same uuid)', async () => {
    const first = await call('POST', '/pipelines', {
      key: m.keys.agent,
      body: loadFixture('sd2e/pipelines/tacobot.json'),
    });
    expect(first.status).toBe(201);
    expect(first.json.uuid).toBe(TACOBOT_PIPELINE);
    const again = await call('POST', '/pipelines', {
      key: m.keys.agent,
      body: loadFixture('sd2e/pipelines/tacobot.json'),
    });
    expect(again.status).toBe(200);
  });

  it('creates the tacobot job with its token, and returns the same job and token when created again', async () => {
    const created = await call('POST', '/jobs', {
      key: m.keys.agent,
      body: loadFixture('sd2e/jobs/tacobot.json'),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ uuid: TACOBOT_JOB, state: 'CREATED', last_event: 'create' });
    expect(created.json.token).toMatch(/^[0-9a-f]{16}$/);
    token = created.json.token as string;
    tokens.push(token);
    const again = await call('POST', '/jobs', {
      key: m.keys.agent,
      body: loadFixture('sd2e/jobs/tacobot.json'),
    });
    expect(again.status).toBe(200);
    expect(again.json.token).toBe(token);
  });

  it('moves with a JSON event message', async () => {
    const res = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { ...loadFixture<Record<string, unknown>>('sd2e/jobs/tacobot-run.json'), token },
    });
    expect(res.status).toBe(200);
    expect(validateMessageResponse(res.json).ok).toBe(true);
    expect(res.json).toMatchObject({
      job: { uuid: TACOBOT_JOB, state: 'RUNNING' },
      event: { name: 'run', seq: 2 },
    });
  });

  it('moves with URL parameters, attaching the JSON body as data', async () => {
    const res = await call('POST', `/messages?uuid=${TACOBOT_JOB}&event=update&token=${token}`, {
      key: m.keys.reporter,
      body: { arbitrary: 'key value data' },
    });
    expect(res.status).toBe(200);
    const history = await call('GET', `/jobs/${TACOBOT_JOB}/history`);
    const items = history.json.items as { name: string; data: unknown; source: string }[];
    expect(items.at(-1)).toMatchObject({
      name: 'update',
      data: { arbitrary: 'key value data' },
      source: 'params',
    });
  });

  it('moves with an Agave callback at the actor alias path (FINISHED maps to finish)', async () => {
    const res = await call(
      'POST',
      `/actors/v2/jobs-manager.prod/messages?uuid=${TACOBOT_JOB}&token=${token}`,
      {
        key: m.keys.reporter,
        body: loadFixture('sd2e/manager/2-local-event-tacobot-agave-finished.json'),
      },
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      job: { state: 'FINISHED' },
      event: { name: 'finish', from: 'RUNNING' },
    });
  });

  it('lists the history oldest first with seq, paginated', async () => {
    const first = await call('GET', `/jobs/${TACOBOT_JOB}/history?limit=2`);
    expect((first.json.items as { seq: number }[]).map((e) => e.seq)).toEqual([1, 2]);
    const rest = await call('GET', `/jobs/${TACOBOT_JOB}/history?after=${first.json.next}`);
    expect((rest.json.items as { seq: number; name: string }[]).map((e) => [e.seq, e.name])).toEqual([
      [3, 'update'],
      [4, 'finish'],
    ]);
    expect(rest.json.next).toBeNull();
    for (const item of [...(first.json.items as unknown[]), ...(rest.json.items as unknown[])]) {
      expect(validate('history-event', item).ok).toBe(true);
    }
  });

  it('refuses an illegal event with 409 naming the state and the allowed events, and changes nothing', async () => {
    const res = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: TACOBOT_JOB, name: 'run', token },
    });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({
      state: 'FINISHED',
      allowed: ['finish', 'index', 'indexed', 'validate', 'retire', 'reset'],
    });
    expect((await job(TACOBOT_JOB)).version).toBe(4);
  });

  it('draws the job FSM with the current state highlighted', async () => {
    const res = await call('GET', `/jobs/${TACOBOT_JOB}/fsm.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(res.text).toContain('<svg');
    expect(res.text.replaceAll('&#45;', '-')).toContain(`job:${TACOBOT_JOB}`);
    // The highlighted node is FINISHED: its group holds the highlight fill.
    const finished = res.text.split('<g id="node').find((g) => g.includes('>FINISHED<'));
    expect(finished).toContain('#ffd54f');
    const created = res.text.split('<g id="node').find((g) => g.includes('>CREATED<'));
    expect(created).not.toContain('#ffd54f');
  });
});

describe('inbound forms and refusals', () => {
  it('maps the Agave RUNNING fixture to run, keeping the record without _links, retries and localId', async () => {
    const j = await createJob({ form: 'agave' });
    const res = await call('POST', `/messages?uuid=${j.uuid}&token=${j.token}`, {
      key: m.keys.reporter,
      body: loadFixture('sd2e/manager/2-local-event-tacobot-agave-running.json'),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ event: { name: 'run', to: 'RUNNING' } });
    const history = await call('GET', `/jobs/${j.uuid}/history`);
    const data = (history.json.items as { data: Record<string, unknown> }[])[1]?.data ?? {};
    expect(data.appId).toBe('fcs-etl-0.3.6u12');
    expect(data).not.toHaveProperty('_links');
    expect(data).not.toHaveProperty('retries');
    expect(data).not.toHaveProperty('localId');
  });

  it('applies a Tapis notification once, replaying a redelivery with Idempotent-Replayed', async () => {
    const j = await createJob({ form: 'tapis' });
    const body = loadFixture('tapis/notification-running.json');
    const path = `/messages?uuid=${j.uuid}&token=${j.token}`;
    const first = await call('POST', path, { key: m.keys.reporter, body });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await call('POST', path, { key: m.keys.reporter, body });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect((await job(j.uuid)).version).toBe(2);
    const history = await call('GET', `/jobs/${j.uuid}/history`);
    expect(history.text).not.toContain('0dc73dc3ff39b49a');
  });

  it('replays an Idempotency-Key header with the first response', async () => {
    const j = await createJob({ form: 'key' });
    const send = () =>
      call('POST', '/messages', {
        key: m.keys.reporter,
        headers: { 'idempotency-key': 'delivery-42' },
        body: { uuid: j.uuid, name: 'update', token: j.token, data: { n: 1 } },
      });
    const first = await send();
    const second = await send();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.json).toEqual(first.json);
  });

  it('refuses a wrong job token with 403 and changes nothing', async () => {
    const j = await createJob({ form: 'wrong-token' });
    const wrong = j.token.startsWith('0') ? `1${j.token.slice(1)}` : `0${j.token.slice(1)}`;
    const res = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, name: 'run', token: wrong },
    });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain(wrong);
    const missing = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, name: 'run' },
    });
    expect(missing.status).toBe(403);
    expect(await job(j.uuid)).toMatchObject({ state: 'CREATED', version: 1 });
  });

  it('needs an admin token for reset and ready', async () => {
    const j = await createJob({ form: 'reset' });
    const withJobToken = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, name: 'reset', token: j.token },
    });
    expect(withJobToken.status).toBe(403);
    const admin = m.adminToken();
    tokens.push(admin);
    const reset = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, name: 'reset', token: admin },
    });
    expect(reset.status).toBe(200);
    const ready = await call('POST', `/messages?uuid=${j.uuid}&event=ready&token=${admin}`, {
      key: m.keys.reporter,
    });
    expect(ready.status).toBe(200);
    expect(await job(j.uuid)).toMatchObject({ state: 'CREATED', version: 3 });
  });

  it('refuses create at /messages with a pointer to POST /jobs', async () => {
    const j = await createJob({ form: 'create' });
    const res = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, name: 'create', token: j.token },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain('POST /jobs');
  });

  it('answers 404 for an unknown job and 410 for a deleted one', async () => {
    const unknown = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: loadFixture('sd2e/jobs/tacobot-run-wrong-uuid.json'),
    });
    expect(unknown.status).toBe(404);
    const j = await createJob({ form: 'deleted' });
    const deleted = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, action: 'delete', token: m.adminToken() },
    });
    expect(deleted.status).toBe(200);
    const gone = await call('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: j.uuid, name: 'run', token: j.token },
    });
    expect(gone.status).toBe(410);
    expect((await call('GET', `/jobs/${j.uuid}`)).status).toBe(410);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const res = await call('POST', '/messages', {
      key: m.keys.reporter,
      raw: `{"x":"${'a'.repeat(1024 * 1024)}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
  });

  it('refuses bad JSON with 400 and a non-JSON body with 415', async () => {
    const bad = await call('POST', '/messages', {
      key: m.keys.reporter,
      raw: '{"uuid": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    const xml = await call('POST', '/messages', {
      key: m.keys.reporter,
      raw: '<event/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(415);
  });

  it('explains the accepted forms for a body it does not recognise', async () => {
    const res = await call('POST', '/messages', { key: m.keys.reporter, body: { hello: 'world' } });
    expect(res.status).toBe(400);
    expect(String(res.json.detail)).toMatch(/uuid/);
  });

  it('needs a credential on every route but health and docs', async () => {
    expect((await call('GET', '/jobs', { key: null })).status).toBe(401);
    expect((await call('POST', '/messages', { key: null, body: {} })).status).toBe(401);
    expect((await call('GET', '/jobs', { key: 'pjm_notarealkeyatallnotarealkeyatall' })).status).toBe(401);
    expect((await call('GET', '/healthz', { key: null })).status).toBe(200);
    expect((await call('GET', '/readyz', { key: null })).json).toMatchObject({ status: 'ready' });
  });

  it('keeps readers from writing and reporters from creating', async () => {
    expect(
      (await call('POST', '/jobs', { key: m.keys.reporter, body: loadFixture('sd2e/jobs/tacobot.json') }))
        .status,
    ).toBe(403);
    expect(
      (
        await call('POST', '/messages', {
          key: m.keys.reader,
          body: { uuid: TACOBOT_JOB, name: 'update', token: '0123456789abcdef' },
        })
      ).status,
    ).toBe(403);
  });

  it('lists jobs by state with keyset pagination', async () => {
    const page = await call('GET', '/jobs?state=CREATED&limit=2');
    expect(page.status).toBe(200);
    expect((page.json.items as { state: string }[]).every((j) => j.state === 'CREATED')).toBe(true);
    const next = await call('GET', `/jobs?state=CREATED&limit=2&cursor=${page.json.next}`);
    expect(next.status).toBe(200);
    expect((await call('GET', '/jobs?state=BOGUS')).status).toBe(400);
  });

  it('refuses malformed list parameters and cursors with 400, never 500', async () => {
    const forged = Buffer.from(JSON.stringify(['not a time', TACOBOT_JOB])).toString('base64url');
    for (const query of [
      `cursor=${forged}`,
      'cursor=%%%',
      'updated_since=yesterday',
      'updated_since=2026-02-30',
      'updated_since=2026-11-28T09:30:00',
      'updated_since=99999-01-01',
    ]) {
      const res = await call('GET', `/jobs?${query}`);
      expect(res.status, query).toBe(400);
    }
    expect((await call('GET', '/pipelines?cursor=nope')).status).toBe(400);
    const since = await call('GET', '/jobs?updated_since=2000-01-01');
    expect(since.status).toBe(200);
    expect((since.json.items as unknown[]).length).toBeGreaterThan(0);
  });

  it('refuses a body that does not inflate as its Content-Encoding says (400) or an unknown encoding (415)', async () => {
    const garbage = await call('POST', '/messages', {
      key: m.keys.reporter,
      raw: 'this is not gzip',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(garbage.status).toBe(400);
    const unknown = await call('POST', '/messages', {
      key: m.keys.reporter,
      raw: '{}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'snappy' },
    });
    expect(unknown.status).toBe(415);
  });

  it('answers requests the HTTP parser refuses with problem+json (431 for huge headers)', async () => {
    const res = await call('GET', '/healthz', { key: null, headers: { 'x-padding': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.json).toMatchObject({ status: 431 });
  });

  it('gives a valid URI reference as the problem instance, whatever the path holds', async () => {
    const res = await call('GET', '/jobs/%zz%E2%9C%93"{}|');
    expect(res.status).toBe(400);
    expect(res.json.instance).toBe('/jobs/%25zz%E2%9C%93%22%7B%7D%7C');
  });

  it('answers a dry run without writing', async () => {
    const j = await createJob({ form: 'dry' });
    const res = await call('POST', `/jobs/${j.uuid}/events/dry-run`, {
      body: { name: 'finish', token: j.token },
    });
    expect(res.json).toMatchObject({ accepted: false, from: 'CREATED', status: 409 });
    const ok = await call('POST', `/jobs/${j.uuid}/events/dry-run`, {
      body: { name: 'run', token: j.token },
    });
    expect(ok.json).toMatchObject({ accepted: true, to: 'RUNNING' });
    expect((await job(j.uuid)).version).toBe(1);
  });
});

describe('nonces and exact identity', () => {
  it('authenticates with an x-nonce until its uses run out, and only for its job', async () => {
    const j = await createJob({ form: 'nonce' });
    const other = await createJob({ form: 'nonce-other' });
    const { nonce } = await createNonce(m.services, TEST_ADMIN, { maxUses: 2, jobUuid: j.uuid });
    tokens.push(nonce);
    const send = (uuid: string, token: string) =>
      call('POST', `/messages?x-nonce=${nonce}&uuid=${uuid}&event=update&token=${token}`, { key: null });
    expect((await send(j.uuid, j.token)).status).toBe(200);
    expect((await send(other.uuid, other.token)).status).toBe(403);
    expect((await send(j.uuid, j.token)).status).toBe(200);
    const exhausted = await send(j.uuid, j.token);
    expect(exhausted.status).toBe(401);
    expect(exhausted.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="pipelinejobs", error="invalid_token"/,
    );
    expect(exhausted.json.title).toBe('Nonce used up');
    expect(exhausted.text).not.toContain(nonce);
  });

  it('tells 1.0 from 1 in job data, as the original Python identity did', async () => {
    const send = (raw: string) =>
      call('POST', '/jobs', { key: m.keys.agent, raw, headers: { 'content-type': 'application/json' } });
    const body = (x: string) =>
      `{"pipeline_uuid": "${TACOBOT_PIPELINE}", "child_of": [], "data": {"x": ${x}}}`;
    const asInt = await send(body('1'));
    const asFloat = await send(body('1.0'));
    expect(asInt.status).toBe(201);
    expect(asFloat.status).toBe(201);
    expect(asFloat.json.uuid).not.toBe(asInt.json.uuid);
    expect(asInt.json.uuid).toBe(jobUuid({ pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { x: 1 } }));
    expect(asFloat.json.uuid).toBe(
      jobUuid({
        pipeline_uuid: TACOBOT_PIPELINE,
        child_of: [],
        data: parseJsonExact('{"x": 1.0}') as object,
      }),
    );
  });
});

describe('documents', () => {
  it('serves OpenAPI 3.1 that validates, whose schema examples pass their schemas', async () => {
    const res = await call('GET', '/openapi.json', { key: null });
    const result = await new Validator().validate(res.json as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(res.json.openapi).toBe('3.1.0');
    for (const name of schemaNames) {
      for (const example of (schemas[name] as unknown as { examples?: unknown[] }).examples ?? []) {
        expect(validate(name, example).ok).toBe(true);
      }
    }
  });

  it('serves the FSM as JSON and SVG and each schema', async () => {
    expect((await call('GET', '/fsm')).json.states).toHaveLength(11);
    expect((await call('GET', '/fsm.svg')).text).toContain('<svg');
    expect((await call('GET', '/schemas/event', { key: null })).json.$id).toBeDefined();
    expect((await call('GET', '/schemas/nope', { key: null })).status).toBe(404);
  });

  it('exposes Prometheus metrics with event and transition counts', async () => {
    const res = await call('GET', '/metrics');
    expect(res.text).toMatch(/pipelinejobs_events_total\{event="run",form="\w+",result="applied"\}/);
    expect(res.text).toContain('pipelinejobs_transitions_total{from="RUNNING",to="FINISHED"}');
  });
});

describe('after the suite', () => {
  it('answered every error with a valid problem document', () => {
    expect(problems.length).toBeGreaterThan(10);
    for (const p of problems) expect(validateProblem(p)).toMatchObject({ ok: true });
  });

  it('logged no token, key or admin token', () => {
    const log = m.logLines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [...tokens, ...Object.values(m.keys)]) expect(log).not.toContain(secret);
  });
});
