import { get as httpGet } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type JobUuid, jobUuid } from '@pipelinejobs/core';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { createApiKey, createNonce, listApiKeys, revokeApiKey, systemPrincipal } from '@pipelinejobs/service';
import { databaseOf } from '@pipelinejobs/service/testing';
import { openDatabase } from '@pipelinejobs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';
import { rawRequest } from './raw-request.js';

/**
 * Regression tests of a second adversarial pass over the Manager, each through the real app on a
 * real socket and a real database.
 */
let m: Manager;

beforeAll(async () => {
  m = await startManager();
  await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
});
afterAll(() => m.stop());

let serial = 0;
/** A new job created by the agent. */
async function created() {
  serial += 1;
  const body = { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { redTeam: serial } };
  const res = await m.request('POST', '/jobs', { key: m.keys.agent, body });
  expect(res.status).toBe(201);
  return { uuid: res.json.uuid as JobUuid, token: res.json.token as string };
}

describe('URL parameters', () => {
  it('refuses a URL of thousands of parameters with a 400 naming the limit', async () => {
    const many = await m.request('GET', `/jobs?${Array.from({ length: 5000 }, () => 'a').join('&')}`);
    expect(many.status).toBe(400);
    expect(many.json.detail).toMatch(/more than 64 parameters/);
    const repeated = await m.request('GET', `/jobs?${Array.from({ length: 65 }, () => 'state=x').join('&')}`);
    expect(repeated.status).toBe(400);
    expect(repeated.json.detail).toMatch(/more than 64 parameters/);
  });

  it.each([
    ['GET', '/jobs?stat=RUNNING', 'stat'],
    ['GET', '/pipelines?cursr=x', 'cursr'],
    ['GET', '/fsm?format=dot', 'format'],
  ])('refuses %s %s, naming the unknown parameter and the accepted ones', async (method, path, name) => {
    const res = await m.request(method, path);
    expect(res.status).toBe(400);
    expect(res.json.title).toBe('Unknown URL parameter');
    expect(res.json.detail).toContain(`'${name}'`);
    expect(res.json.detail).toMatch(/it accepts/);
    expect(res.json.errors).toEqual([{ path: `/url/${name}`, message: expect.any(String) }]);
  });

  it('lists the accepted parameters of a listing in the refusal', async () => {
    const res = await m.request('GET', '/jobs?stat=RUNNING');
    expect(res.json.detail).toContain('state, pipeline_uuid, updated_since, overdue, limit, cursor, x-nonce');
  });

  it('refuses a delete with a misspelt force, and deletes nothing', async () => {
    const job = await created();
    const res = await m.request('DELETE', `/jobs/${job.uuid}?frce=true&token=${m.adminToken()}`);
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain("'frce'");
    expect((await m.request('GET', `/jobs/${job.uuid}`)).json.visible).toBe(true);
  });

  it('refuses a delete action at /messages whose force is in the URL, and deletes nothing', async () => {
    const job = await created();
    const res = await m.request('POST', '/messages?force=true', {
      body: { uuid: job.uuid, action: 'delete', token: m.adminToken() },
    });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/does not take the URL parameter force/);
    expect(res.json.errors).toEqual([{ path: '/url/force', message: expect.any(String) }]);
    expect((await m.request('GET', `/jobs/${job.uuid}`)).json.visible).toBe(true);
  });
});

describe('credentials are never stored as data', () => {
  async function historyText(uuid: string) {
    return (await m.request('GET', `/jobs/${uuid}/history`)).text;
  }

  it('refuses a JSON event whose data holds its job token, naming the pointer, and stores nothing', async () => {
    const job = await created();
    const res = await m.request('POST', '/messages', {
      body: { uuid: job.uuid, name: 'update', token: job.token, data: { echo: { token: job.token } } },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ path: '/data/echo/token', message: expect.any(String) }]);
    expect(res.text).not.toContain(job.token);
    expect(await historyText(job.uuid)).not.toContain(job.token);
  });

  it('refuses a URL-parameter event whose body (its data) repeats the token of the URL', async () => {
    const job = await created();
    const res = await m.request('POST', `/messages?uuid=${job.uuid}&event=update&token=${job.token}`, {
      raw: JSON.stringify({ token: job.token, progress: 1 }),
    });
    expect(res.status).toBe(400);
    expect(res.json.title).toBe('Credential in data');
    expect(await historyText(job.uuid)).not.toContain(job.token);
  });

  it("refuses data holding the job's token when the event is sent with an admin token", async () => {
    const job = await created();
    const res = await m.request('POST', '/messages', {
      body: { uuid: job.uuid, name: 'update', token: m.adminToken(), data: { list: [job.token] } },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([{ path: '/data/list/0', message: expect.any(String) }]);
  });

  it('refuses an API key in event data or in a new job, and creates nothing', async () => {
    const job = await created();
    const event = await m.request('POST', '/messages', {
      body: { uuid: job.uuid, name: 'update', token: job.token, data: { key: m.keys.reader } },
    });
    expect(event.status).toBe(400);
    expect(await historyText(job.uuid)).not.toContain(m.keys.reader);
    const body = { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { key: m.keys.reader } };
    const create = await m.request('POST', '/jobs', { key: m.keys.agent, body });
    expect(create.status).toBe(400);
    expect(create.json.errors).toEqual([{ path: '/data/key', message: expect.any(String) }]);
    const listed = await m.request('GET', '/jobs?limit=500');
    expect(listed.text).not.toContain(m.keys.reader);
  });

  it('still stores data with a field named token that holds no credential', async () => {
    const job = await created();
    const res = await m.request('POST', '/messages', {
      body: { uuid: job.uuid, name: 'update', token: job.token, data: { token: 'a-label' } },
    });
    expect(res.status).toBe(200);
  });
});

describe('pages are bounded by the bytes of whole documents', () => {
  /** A text of about `bytes` bytes. */
  const filler = (bytes: number, seed: number) => `${seed}:`.padEnd(bytes, 'x');
  const NEAR_A_MIB = 900 * 1024;

  it('ends a page of jobs early when their patterns (not their data) are large', async () => {
    for (let i = 0; i < 12; i += 1) {
      const body = {
        pipeline_uuid: TACOBOT_PIPELINE,
        child_of: [],
        data: { bigPatterns: i },
        archive_patterns: [{ level: '1', patterns: [filler(NEAR_A_MIB, i)] }],
      };
      expect((await m.request('POST', '/jobs', { key: m.keys.agent, body })).status).toBe(201);
    }
    const page = await m.request('GET', '/jobs?limit=500');
    expect(page.status).toBe(200);
    expect((page.json.items as unknown[]).length).toBeLessThan(12);
    expect(page.json.next).not.toBeNull();
    expect(page.text.length).toBeLessThan(9 * 1024 * 1024 + NEAR_A_MIB);
  });

  it('ends a page of pipelines early when their documents are large', async () => {
    for (let i = 0; i < 12; i += 1) {
      const body = {
        name: `big ${i}`,
        id: `red-team/big-${i}`,
        components: [{ id: `big-${i}`, image: 'example/big:1', options: { blob: filler(NEAR_A_MIB, i) } }],
        processing_levels: ['1'],
      };
      expect((await m.request('POST', '/pipelines', { body })).status).toBe(201);
    }
    const page = await m.request('GET', '/pipelines?limit=500');
    expect(page.status).toBe(200);
    expect((page.json.items as unknown[]).length).toBeLessThan(12);
    expect(page.json.next).not.toBeNull();
    expect(page.headers.get('link')).toMatch(/rel="next"/);
  });

  it('pages the audit record of a job with after and limit, like the history', async () => {
    const job = await created();
    for (let i = 0; i < 3; i += 1) {
      const rotated = await m.request('POST', `/jobs/${job.uuid}/token`, { body: { token: m.adminToken() } });
      expect(rotated.status).toBe(200);
    }
    const first = await m.request('GET', `/jobs/${job.uuid}/audit?limit=2`);
    expect(first.status).toBe(200);
    expect(first.json.items).toHaveLength(2);
    expect(first.json.next).toEqual(expect.any(Number));
    expect(first.headers.get('link')).toContain(`after=${first.json.next}`);
    const second = await m.request('GET', `/jobs/${job.uuid}/audit?after=${first.json.next}`);
    expect(second.json.items).toMatchObject([{ action: 'rotate_token', token_version: 4 }]);
    expect(second.json.next).toBeNull();
    expect((await m.request('GET', `/jobs/${job.uuid}/audit?limit=1001`)).status).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('names its server relatively, never the host the client sent', async () => {
    // fetch sets Host itself; node:http sends the one given.
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpGet(`${m.base}/openapi.json`, { headers: { host: 'evil.example' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    });
    expect(JSON.parse(text).servers).toEqual([{ url: '/' }]);
    expect(text).not.toContain('evil.example');
  });
});

describe('API key revocation', () => {
  it('takes effect at once on a Manager whose clock runs an hour behind the database', async () => {
    const behind = await startManager({ clock: () => new Date(Date.now() - 3_600_000) });
    try {
      const key = await createApiKey(behind.services, systemPrincipal('tests'), {
        role: 'reader',
        label: 'to revoke',
      });
      expect((await behind.request('GET', '/jobs', { key: key.key })).status).toBe(200);
      await revokeApiKey(behind.services, systemPrincipal('tests'), key.record.prefix);
      const refused = await behind.request('GET', '/jobs', { key: key.key });
      expect(refused.status).toBe(401);
      expect(refused.json.detail).toMatch(/revoked/);
    } finally {
      await behind.stop();
    }
  });
});

/** A raw HTTP/1.1 request of these lines, for what fetch cannot send (an empty header, two of one name). */
const rawLines = (lines: string[]) =>
  rawRequest(m.base, `${[...lines, 'Host: manager', 'Connection: close'].join('\r\n')}\r\n\r\n`);

describe('the Authorization header', () => {
  it('refuses an empty one with a 401 saying so, even beside a valid nonce', async () => {
    const { nonce } = await createNonce(m.services, systemPrincipal('tests'), { role: 'reader' });
    for (const header of ['Authorization:', 'Authorization:    ']) {
      const answer = await rawLines([`GET /jobs?x-nonce=${nonce} HTTP/1.1`, header]);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer).toContain('the Authorization header is empty');
    }
  });

  it('refuses `Bearer` with no credential with a 401, not as anonymous', async () => {
    const answer = await rawLines(['GET /jobs HTTP/1.1', 'Authorization: Bearer']);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('WWW-Authenticate: Bearer realm="pipelinejobs", error="invalid_token"');
  });

  it('refuses two Authorization headers instead of using the first', async () => {
    const answer = await rawLines([
      'GET /jobs HTTP/1.1',
      `Authorization: Bearer ${m.keys.admin}`,
      'Authorization: Bearer pjm_someone-else',
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('2 Authorization headers');
  });
});

describe('credentials with a role this version does not know', () => {
  it('refuses them with a 401 naming the role, never a 500 or a default role', async () => {
    const tests = systemPrincipal('tests');
    const key = await createApiKey(m.services, tests, { role: 'reader', label: 'from a newer release' });
    const { nonce, record } = await createNonce(m.services, tests, { role: 'reader' });
    const db = databaseOf(m.services);
    await db.sql`update api_keys set role = 'superuser' where id = ${key.record.id}`;
    await db.sql`update nonces set role = 'superuser' where id = ${record.id}`;
    const byKey = await m.request('GET', '/jobs', { key: key.key });
    expect(byKey.status).toBe(401);
    expect(byKey.json.detail).toContain("role 'superuser'");
    const byNonce = await m.request('GET', `/jobs?x-nonce=${nonce}`, { key: null });
    expect(byNonce.status).toBe(401);
    expect(byNonce.json.detail).toMatch(/role this version of the server does not know/);
    // Refused without spending a use.
    const [spent] = await db.sql<
      { uses: number }[]
    >`select uses::int as uses from nonces where id = ${record.id}`;
    expect(spent?.uses).toBe(0);
    // The others still work, and the listing of keys still lists (and can revoke) it.
    expect((await m.request('GET', '/jobs', { key: m.keys.reader })).status).toBe(200);
    const keys = await listApiKeys(m.services, tests);
    expect(keys.find((listed) => listed.id === key.record.id)?.role).toEqual({ unknown: 'superuser' });
    await revokeApiKey(m.services, tests, key.record.prefix);
  });
});

describe('adapter refusals name the field', () => {
  it('refuses a Tapis notification without deliveryTarget as a Tapis notification, naming the field', async () => {
    const job = await created();
    const notification = loadFixture<Record<string, unknown>>('tapis/notification-running.json');
    const { deliveryTarget: _dropped, ...body } = notification;
    const res = await m.request('POST', `/messages?uuid=${job.uuid}&token=${job.token}`, { body });
    expect(res.status).toBe(400);
    expect(res.json.title).toBe('Invalid Tapis notification');
    expect(res.json.errors).toEqual([expect.objectContaining({ path: '/deliveryTarget' })]);
  });
});

describe('concurrent creates of one job', () => {
  it('answer every one while they outnumber the pool, waiting on a create not yet committed', {
    timeout: 30_000,
  }, async () => {
    const data = { burst: Date.now() };
    const body = { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data };
    const uuid = jobUuid(body);
    // A create of the same job, in flight: its row written, not yet committed, on one of the
    // pool's 20 connections; the requests below wait for it on the other 19.
    const holder = await databaseOf(m.services).sql.reserve();
    const watcher = await openDatabase({ url: m.url, poolSize: 1 }, { migrate: false });
    try {
      await holder`begin`;
      await holder`insert into jobs (uuid, pipeline_uuid, state, last_event, token_version, data)
        values (${uuid}, ${TACOBOT_PIPELINE}, 'CREATED', 'create', 1, ${JSON.stringify(data)}::jsonb)`;
      const creates = Promise.all(
        Array.from({ length: 25 }, () => m.request('POST', '/jobs', { key: m.keys.agent, body })),
      );
      for (let waiting = 0; waiting < 19; ) {
        await delay(50);
        const [row] = await watcher.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`;
        waiting = row?.n ?? 0;
      }
      await holder`commit`;
      // The held connection is kept: the waiters must finish with the 19 they have.
      const answered = await Promise.race([creates, delay(10_000).then(() => undefined)]);
      expect(answered?.map((res) => res.status)).toEqual(Array.from({ length: 25 }, () => 200));
    } finally {
      holder.release();
      await watcher.close();
    }
  });
});
