import type { JobUuid } from '@pipelinejobs/core';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { createNonce, systemPrincipal } from '@pipelinejobs/service';
import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';
import { rawRequest } from './raw-request.js';

/** The tests act as the Manager itself would (an admin principal of kind system). */
const TEST_ADMIN = systemPrincipal('tests');

/**
 * Regression tests of the adversarial probe's authorisation and data-integrity findings, each
 * through the real app on a real socket and a real database.
 */
let m: Manager;

beforeAll(async () => {
  m = await startManager();
  await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
});
afterAll(() => m.stop());

let serial = 0;
/** A new job created by `key` (the agent's by default). */
async function created(key = m.keys.agent) {
  serial += 1;
  const body = { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { hardening: serial } };
  const res = await m.request('POST', '/jobs', { key, body });
  expect(res.status).toBe(201);
  return { body, uuid: res.json.uuid as JobUuid, token: res.json.token as string };
}

async function history(uuid: string) {
  const res = await m.request('GET', `/jobs/${uuid}/history`);
  expect(res.status).toBe(200);
  return res.json.items as { name: string; data: unknown; principal: { kind: string; id: string } | null }[];
}

describe('authorisation', () => {
  it("gives a job's token on a re-create only to its creator or an admin", async () => {
    const job = await created();
    const again = (key: string) => m.request('POST', '/jobs', { key, body: job.body });

    const byCreator = await again(m.keys.agent);
    expect(byCreator.status).toBe(200);
    expect(byCreator.json.token).toBe(job.token);

    const byOther = await again(m.keys.otherAgent);
    expect(byOther.status).toBe(200);
    expect(byOther.json.uuid).toBe(job.uuid);
    expect(byOther.json).not.toHaveProperty('token');
    expect(byOther.json.token_withheld).toMatch(/creator or an admin/);
    expect(byOther.text).not.toContain(job.token);

    const byAdmin = await again(m.keys.admin);
    expect(byAdmin.json.token).toBe(job.token);

    // After a rotation the creator gets the new token, the other agent still none.
    const rotated = await m.request('POST', `/jobs/${job.uuid}/token`, {
      key: m.keys.admin,
      body: { token: m.adminToken() },
    });
    expect(rotated.status).toBe(200);
    expect((await again(m.keys.agent)).json.token).toBe(rotated.json.token);
    expect((await again(m.keys.otherAgent)).text).not.toContain(rotated.json.token as string);
  });

  it('records who created the job and who sent each event, and audits admin actions', async () => {
    const job = await created();
    expect((await m.request('GET', `/jobs/${job.uuid}`)).json.created_by).toEqual({
      kind: 'api_key',
      id: m.keyIds.agent,
    });
    const sent = await m.request('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: job.uuid, name: 'run', token: job.token },
    });
    expect(sent.status).toBe(200);
    const reset = await m.request('POST', '/messages', {
      key: m.keys.admin,
      body: { uuid: job.uuid, name: 'reset', token: m.adminToken() },
    });
    expect(reset.status).toBe(200);
    expect((await history(job.uuid)).map((e) => [e.name, e.principal])).toEqual([
      ['create', { kind: 'api_key', id: m.keyIds.agent }],
      ['run', { kind: 'api_key', id: m.keyIds.reporter }],
      ['reset', { kind: 'api_key', id: m.keyIds.admin }],
    ]);

    const { nonce, record } = await createNonce(m.services, TEST_ADMIN, { role: 'admin', jobUuid: job.uuid });
    const rotated = await m.request('POST', `/jobs/${job.uuid}/token?x-nonce=${nonce}`, {
      key: null,
      body: { token: m.adminToken() },
    });
    expect(rotated.status).toBe(200);
    const deleted = await m.request('DELETE', `/jobs/${job.uuid}?force=true&token=${m.adminToken()}`, {
      key: m.keys.admin,
    });
    expect(deleted.status).toBe(200);
    // The audit record outlives the force-deleted job.
    const audit = await databaseOf(m.services).sql<
      { action: string; principal_kind: string; principal_id: string }[]
    >`
      select action, principal_kind, principal_id from job_audit where job_uuid = ${job.uuid} order by id`;
    expect(audit.map((a) => [a.action, a.principal_kind, a.principal_id])).toEqual([
      ['rotate_token', 'nonce', record.id],
      ['force_delete', 'api_key', m.keyIds.admin],
    ]);
    // The same over HTTP, for admins only.
    const read = await m.request('GET', `/jobs/${job.uuid}/audit`, { key: m.keys.admin });
    expect(read.status).toBe(200);
    expect(
      (read.json.items as { action: string; principal: unknown }[]).map((a) => [a.action, a.principal]),
    ).toEqual([
      ['rotate_token', { kind: 'nonce', id: record.id }],
      ['force_delete', { kind: 'api_key', id: m.keyIds.admin }],
    ]);
    expect((await m.request('GET', `/jobs/${job.uuid}/audit`, { key: m.keys.agent })).status).toBe(403);
  });

  it('never makes a force-deleted job’s old tokens valid again when it is re-created', async () => {
    const job = await created();
    const beforeRotation = job.token;
    const rotated = await m.request('POST', `/jobs/${job.uuid}/token`, { body: { token: m.adminToken() } });
    const afterRotation = rotated.json.token as string;
    await m.request('DELETE', `/jobs/${job.uuid}?force=true&token=${m.adminToken()}`);
    const again = await m.request('POST', '/jobs', { key: m.keys.agent, body: job.body });
    expect(again.status).toBe(201);
    expect(again.json.uuid).toBe(job.uuid);
    for (const old of [beforeRotation, afterRotation]) {
      expect(again.json.token).not.toBe(old);
      const refused = await m.request('POST', '/messages', {
        key: m.keys.reporter,
        body: { uuid: job.uuid, name: 'run', token: old },
      });
      expect(refused.status).toBe(403);
    }
    const accepted = await m.request('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: job.uuid, name: 'run', token: again.json.token },
    });
    expect(accepted.status).toBe(200);
  });

  it('answers an expired or used-up nonce with 401 and WWW-Authenticate, like an expired token', async () => {
    const job = await created();
    const used = await createNonce(m.services, TEST_ADMIN, { maxUses: 1, jobUuid: job.uuid });
    const expiring = await createNonce(m.services, TEST_ADMIN, { expiresInSeconds: 1, jobUuid: job.uuid });
    const send = (nonce: string) =>
      m.request('POST', `/messages?x-nonce=${nonce}&uuid=${job.uuid}&event=update&token=${job.token}`, {
        key: null,
      });
    expect((await send(used.nonce)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const nonce of [used.nonce, expiring.nonce]) {
      const res = await send(nonce);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="pipelinejobs", error="invalid_token"/,
      );
    }
    // A valid credential lacking the right stays 403.
    const reader = await m.request('POST', '/messages', {
      key: m.keys.reader,
      body: { uuid: job.uuid, name: 'update', token: job.token },
    });
    expect(reader.status).toBe(403);
    expect(reader.headers.get('www-authenticate')).toBeNull();
    // No credential at all: 401 with a challenge and no error.
    const anonymous = await m.request('GET', `/jobs/${job.uuid}`, { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="pipelinejobs"');
  });
});

describe('idempotency keys bound to their request', () => {
  it('refuses a key reused with other data, another note or another form (422), and writes nothing', async () => {
    const job = await created();
    const key = { 'idempotency-key': 'fingerprint-1' };
    const first = await m.request('POST', '/messages', {
      key: m.keys.reporter,
      headers: key,
      body: { uuid: job.uuid, name: 'update', token: job.token, data: { n: 1 } },
    });
    expect(first.status).toBe(200);
    const same = await m.request('POST', '/messages', {
      key: m.keys.reporter,
      headers: key,
      body: { uuid: job.uuid, name: 'update', token: job.token, data: { n: 1 } },
    });
    expect(same.status).toBe(200);
    expect(same.headers.get('idempotent-replayed')).toBe('true');
    expect(same.json).toEqual(first.json);

    const variants = [
      { body: { uuid: job.uuid, name: 'update', token: job.token, data: { n: 2 } } },
      { body: { uuid: job.uuid, name: 'update', token: job.token, data: { n: 1, note: 'x' } } },
      // The same event and data, sent as URL parameters: another inbound form.
      { path: `/messages?uuid=${job.uuid}&event=update&token=${job.token}`, body: { n: 1 } },
    ];
    for (const variant of variants) {
      const res = await m.request('POST', variant.path ?? '/messages', {
        key: m.keys.reporter,
        headers: key,
        body: variant.body,
      });
      expect(res.status).toBe(422);
      expect(res.json.title).toBe('Idempotency key reused');
      expect(res.json.detail).toMatch(/another request/);
    }
    expect((await history(job.uuid)).map((e) => e.name)).toEqual(['create', 'update']);
  });

  it('refuses a request carrying two Idempotency-Key headers with a 400', async () => {
    const job = await created();
    const body = JSON.stringify({ uuid: job.uuid, name: 'run', token: job.token });
    const answer = await rawRequest(
      m.base,
      'POST /messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
        `Authorization: Bearer ${m.keys.reporter}\r\nContent-Type: application/json\r\n` +
        `Idempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    expect(answer).toContain('Repeated Idempotency-Key');
    expect((await history(job.uuid)).map((e) => e.name)).toEqual(['create']);
  });
});

describe('input means what it says', () => {
  it('refuses a JSON event whose body and URL name different jobs, events or tokens, writing nothing', async () => {
    const a = await created();
    const b = await created();
    const res = await m.request('POST', `/messages?uuid=${b.uuid}&event=fail&token=${b.token}`, {
      key: m.keys.reporter,
      body: { uuid: a.uuid, name: 'run', token: a.token },
    });
    expect(res.status).toBe(400);
    expect(res.json.title).toBe('Body and URL disagree');
    expect((res.json.errors as { path: string }[]).map((e) => e.path)).toEqual(['/uuid', '/url/uuid']);
    expect(res.text).not.toContain(a.token);
    expect((await history(a.uuid)).length).toBe(1);
    expect((await history(b.uuid)).length).toBe(1);
  });

  it('takes upper-case UUIDs in a JSON event, in URL parameters, in paths and in filters', async () => {
    const job = await created();
    const upper = job.uuid.toUpperCase();
    const json = await m.request('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: upper, name: 'run', token: job.token },
    });
    expect(json.status).toBe(200);
    expect((json.json.job as { uuid: string }).uuid).toBe(job.uuid);
    const params = await m.request('POST', `/messages?uuid=${upper}&event=update&token=${job.token}`, {
      key: m.keys.reporter,
    });
    expect(params.status).toBe(200);
    expect((await m.request('GET', `/jobs/${upper}/history`)).json.items).toHaveLength(3);
    const listed = await m.request('GET', `/jobs?pipeline_uuid=${TACOBOT_PIPELINE.toUpperCase()}&limit=500`);
    expect((listed.json.items as { uuid: string }[]).map((j) => j.uuid)).toContain(job.uuid);
    // The same job whatever the case of the pipeline UUID it is created with.
    const recreated = await m.request('POST', '/jobs', {
      key: m.keys.agent,
      body: { ...job.body, pipeline_uuid: TACOBOT_PIPELINE.toUpperCase() },
    });
    expect(recreated.status).toBe(200);
    expect(recreated.json.uuid).toBe(job.uuid);
  });
});

describe('dry run', () => {
  const dry = (uuid: string, body: Record<string, unknown>, key = m.keys.reporter) =>
    m.request('POST', `/jobs/${uuid}/events/dry-run`, { key, body });
  const send = (uuid: string, body: Record<string, unknown>, key = m.keys.reporter) =>
    m.request('POST', '/messages', { key, body: { uuid, ...body } });

  it('answers what sending the same event with the same credentials would, without writing', async () => {
    const job = await created();
    const cases: [Record<string, unknown>, string?][] = [
      [{ name: 'create', token: job.token }],
      [{ name: 'reset', token: job.token }],
      [{ name: 'finish', token: job.token }],
      [{ name: 'run' }],
      [{ name: 'run', token: 'ffffffffffffffff' }],
      [{ name: 'run', token: job.token }, m.keys.reader],
    ];
    for (const [body, key] of cases) {
      const tried = await dry(job.uuid, body, key);
      expect(tried.status).toBe(200);
      const real = await send(job.uuid, body, key);
      expect(real.status).toBeGreaterThanOrEqual(400);
      expect({ body, status: tried.json.status, accepted: tried.json.accepted }).toEqual({
        body,
        status: real.status,
        accepted: false,
      });
      expect((tried.json.problem as { type: string }).type).toBe(real.json.type);
    }
    expect((await dry(job.uuid, { name: 'reset', token: job.token })).json.reason).toMatch(/admin token/);
    expect(await dry(job.uuid, { name: 'reset', token: m.adminToken() })).toMatchObject({
      json: { accepted: true, to: 'RESET' },
    });
    expect(await dry(job.uuid, { name: 'run', token: job.token })).toMatchObject({
      json: { accepted: true, from: 'CREATED', to: 'RUNNING' },
    });
    expect((await history(job.uuid)).length).toBe(1);
  });
});

describe('nothing spent before the checks that can refuse', () => {
  it('checks a nonce in a dry run without using it up', async () => {
    const job = await created();
    const { nonce } = await createNonce(m.services, TEST_ADMIN, { maxUses: 1, jobUuid: job.uuid });
    const tried = await m.request('POST', `/jobs/${job.uuid}/events/dry-run?x-nonce=${nonce}`, {
      key: null,
      body: { name: 'run', token: job.token },
    });
    expect(tried.json).toMatchObject({ accepted: true, to: 'RUNNING' });
    const sent = await m.request('POST', `/messages?x-nonce=${nonce}`, {
      key: null,
      body: { uuid: job.uuid, name: 'run', token: job.token },
    });
    expect(sent.status).toBe(200);
  });
});

describe('a caller over its rate limit', () => {
  let limited: Manager;
  beforeAll(async () => {
    limited = await startManager({ rateLimitPerMinute: 2 });
  });
  afterAll(() => limited.stop());

  it('gets its 429 before its body is read and before its nonce is spent', async () => {
    const bad = { raw: '{"not json', headers: { 'content-type': 'application/json' } };
    expect((await limited.request('POST', '/messages', { key: limited.keys.reporter, ...bad })).status).toBe(
      400,
    );
    expect((await limited.request('POST', '/messages', { key: limited.keys.reporter, ...bad })).status).toBe(
      400,
    );
    const over = await limited.request('POST', '/messages', { key: limited.keys.reporter, ...bad });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);

    const { nonce, record } = await createNonce(limited.services, TEST_ADMIN, { role: 'reader' });
    for (let i = 0; i < 5; i += 1) await limited.request('GET', `/fsm?x-nonce=${nonce}`, { key: null });
    const [row] = await databaseOf(limited.services).sql<{ uses: number }[]>`
      select uses::int as uses from nonces where id = ${record.id}`;
    expect(row?.uses).toBe(2);
  });
});

describe('the red team’s second look', () => {
  it('never stores a job token a malformed event message carries, and refuses its conflicts', async () => {
    const a = await created();
    const b = await created();
    // A token-carrying body with an extra field: an invalid event message, never event data.
    const extra = await m.request('POST', `/messages?uuid=${a.uuid}&event=run&token=${a.token}`, {
      key: m.keys.reporter,
      body: { uuid: a.uuid, name: 'run', token: a.token, note: 'started' },
    });
    expect(extra.status).toBe(400);
    const crossed = await m.request('POST', `/messages?uuid=${a.uuid}&event=update&token=${a.token}`, {
      key: m.keys.reporter,
      body: { uuid: b.uuid, name: 'fail', token: b.token, x: 1 },
    });
    expect(crossed.status).toBe(400);
    const histories = JSON.stringify([await history(a.uuid), await history(b.uuid)]);
    expect(histories).not.toContain(a.token);
    expect(histories).not.toContain(b.token);
    expect((await history(a.uuid)).length).toBe(1);
  });

  it('refuses what it would otherwise have ignored or altered, writing nothing', async () => {
    const job = await created();
    const cases: { path: string; body?: unknown; raw?: string; headers?: Record<string, string> }[] = [
      { path: `/messages?status=FAILED`, body: { uuid: job.uuid, name: 'run', token: job.token } },
      { path: `/messages?uuid=${job.uuid}&event=update&token=${job.token}&note=%FF` },
      { path: `/messages?uuid=${job.uuid}&event=update&token=${job.token}&note=a%00b` },
      {
        path: '/messages',
        body: { uuid: job.uuid, name: 'update', token: job.token, data: { n: 'a\u0000b' } },
      },
      {
        path: '/messages',
        raw: JSON.stringify({ uuid: job.uuid, name: 'update', token: job.token }),
        headers: { 'content-type': 'image/png' },
      },
    ];
    for (const c of cases) {
      const res = await m.request('POST', c.path, { key: m.keys.reporter, ...c });
      expect({ path: c.path, status: res.status }).toEqual({
        path: c.path,
        status: res.status >= 415 ? 415 : 400,
      });
      expect(res.text).not.toContain('sqlstate');
    }
    expect((await history(job.uuid)).length).toBe(1);
  });

  it('refuses a REST token or dry-run event given twice with different values, and a spaced event name', async () => {
    const job = await created();
    const twoTokens = await m.request('POST', `/jobs/${job.uuid}/token?token=${m.adminToken()}`, {
      body: { token: 'ffffffffffffffff' },
    });
    expect(twoTokens.status).toBe(400);
    expect(twoTokens.json.title).toBe('Body and URL disagree');
    const twoEvents = await m.request('POST', `/jobs/${job.uuid}/events/dry-run?event=fail`, {
      key: m.keys.reporter,
      body: { name: 'update', token: job.token },
    });
    expect(twoEvents.status).toBe(400);
    const spaced = await m.request('POST', `/jobs/${job.uuid}/events/dry-run`, {
      key: m.keys.reporter,
      body: { name: ' run', token: job.token },
    });
    const sent = await m.request('POST', '/messages', {
      key: m.keys.reporter,
      body: { uuid: job.uuid, name: ' run', token: job.token },
    });
    expect(sent.status).toBe(400);
    expect(spaced.json).toMatchObject({ accepted: false, status: 400 });
  });
});

describe('fingerprinted keys and the other inbound forms', () => {
  it('replays one Tapis event delivered by two subscriptions (another notification uuid, the same eventUuid)', async () => {
    const job = await created();
    const notification = loadFixture('tapis/notification-running.json');
    const deliver = (body: Record<string, unknown>) =>
      m.request('POST', `/messages?uuid=${job.uuid}&token=${job.token}`, { key: m.keys.reporter, body });
    const first = await deliver(notification);
    expect(first.status).toBe(200);
    const second = await deliver({
      ...notification,
      uuid: '9a3c1b7e-0000-4000-8000-000000000002',
      subscriptionName: 'another subscription',
    });
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await history(job.uuid)).map((e) => e.name)).toEqual(['create', 'run']);
  });

  it('refuses an Agave record and a delete action that disagree with their URL, writing nothing', async () => {
    const job = await created();
    const running = loadFixture('sd2e/manager/2-local-event-tacobot-agave-running.json');
    const agave = await m.request('POST', `/messages?uuid=${job.uuid}&token=${job.token}&status=FINISHED`, {
      key: m.keys.reporter,
      body: running,
    });
    expect(agave.status).toBe(400);
    const other = await created();
    const deletion = await m.request('POST', `/messages?uuid=${other.uuid}`, {
      key: m.keys.admin,
      body: { uuid: job.uuid, action: 'delete', token: m.adminToken() },
    });
    expect(deletion.status).toBe(400);
    expect((await history(job.uuid)).length).toBe(1);
    expect((await m.request('GET', `/jobs/${job.uuid}`)).status).toBe(200);
  });
});
