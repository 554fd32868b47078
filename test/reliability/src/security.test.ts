import { TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDb, type Keys, startEmbeddedDb } from './embedded-db.js';
import { problemIssue } from './events.js';
import { type CreatedJob, createJob, registerPipeline } from './fixtures.js';
import { enc, INJECTIONS } from './fuzz-requests.js';
import { type HttpRequest, type HttpResponse, send } from './http.js';
import { ManagerProcess, runManagerToExit } from './manager-process.js';
import { report } from './results.js';
import { rememberSecrets, runDir } from './run-dir.js';
import { findLeaks } from './run-files.js';
import { snapshot } from './snapshot.js';

/**
 * Wrong tokens are refused alike, secrets never reach the logs, SQL injection changes nothing,
 * the rate limit answers 429 per credential, and the app refuses to start without a secret.
 */
let db: EmbeddedDb;
let keys: Keys;
let manager: ManagerProcess | undefined;
let limited: ManagerProcess | undefined;
let job: CreatedJob;
let base: string;

beforeAll(async () => {
  db = await startEmbeddedDb('security');
  keys = await db.createKeys('security');
  manager = await ManagerProcess.start({ name: 'security', databaseUrl: db.url, secret: db.secret });
  base = manager.base;
  await registerPipeline(base, keys.agent);
  job = await createJob(base, keys.agent, 'security', 0);
});

afterAll(async () => {
  try {
    await Promise.all([manager?.stop(), limited?.stop()]);
  } finally {
    await db.close();
  }
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };

/** The problem body without what differs between any two requests. */
function comparable(res: HttpResponse): unknown {
  const { request_id: _id, instance: _instance, ...rest } = (res.json ?? {}) as Record<string, unknown>;
  return { status: res.status, type: res.headers['content-type'], body: rest };
}

describe('security', () => {
  it('(a) a wrong token of the right length and of a wrong length are refused the same way', async () => {
    const hex = (c: string) => c.repeat(16);
    const rightLength = [hex('f'), hex('0'), job.token.split('').reverse().join('')].filter(
      (t) => t !== job.token,
    );
    const wrongLength = ['abc', `${job.token}0`, job.token.slice(0, 15), 'x'.repeat(64)];
    const admin = db.adminToken();
    type Form = { name: string; request: (token: string) => HttpRequest };
    const forms: Form[] = [
      {
        name: 'URL parameters event',
        request: (t) => ({
          method: 'POST',
          path: `/messages?uuid=${job.uuid}&event=update&token=${enc(t)}`,
          headers: { ...bearer(keys.reporter), ...json },
          body: '{}',
        }),
      },
      {
        name: 'JSON event message',
        request: (t) => ({
          method: 'POST',
          path: '/messages',
          headers: { ...bearer(keys.reporter), ...json },
          body: JSON.stringify({ uuid: job.uuid, name: 'update', token: t }),
        }),
      },
      {
        name: 'delete action message',
        request: (t) => ({
          method: 'POST',
          path: '/messages',
          headers: { ...bearer(keys.admin), ...json },
          body: JSON.stringify({ uuid: job.uuid, action: 'delete', token: t }),
        }),
      },
      {
        name: 'DELETE /jobs/:uuid?token=',
        request: (t) => ({
          method: 'DELETE',
          path: `/jobs/${job.uuid}?token=${enc(t)}`,
          headers: bearer(keys.admin),
        }),
      },
      {
        name: 'POST /jobs/:uuid/token (rotate)',
        request: (t) => ({
          method: 'POST',
          path: `/jobs/${job.uuid}/token`,
          headers: { ...bearer(keys.admin), ...json },
          body: JSON.stringify({ token: t }),
        }),
      },
      {
        name: 'reset with a job token in place of an admin token',
        request: (t) => ({
          method: 'POST',
          path: `/messages?uuid=${job.uuid}&event=reset&token=${enc(t)}`,
          headers: bearer(keys.reporter),
        }),
      },
    ];
    const differences: string[] = [];
    const before = await snapshot(databaseOf(db.services).sql);
    for (const form of forms) {
      const reference = await send(base, form.request(rightLength[0] as string));
      if (reference.status !== 403)
        differences.push(`${form.name}: a right-length wrong token gave ${reference.status}, not 403`);
      const issue = problemIssue(reference);
      if (issue) differences.push(`${form.name}: ${issue}`);
      for (const token of [...rightLength.slice(1), ...wrongLength]) {
        const res = await send(base, form.request(token));
        if (JSON.stringify(comparable(res)) !== JSON.stringify(comparable(reference))) {
          differences.push(
            `${form.name}: token of length ${token.length} gave ${res.status} ${JSON.stringify((res.json as { detail?: unknown })?.detail)}; ` +
              `a right-length wrong token gave ${reference.status} ${JSON.stringify((reference.json as { detail?: unknown })?.detail)}`,
          );
        }
      }
    }
    expect((await snapshot(databaseOf(db.services).sql)).digest, 'refused tokens change nothing').toBe(
      before.digest,
    );
    // The real tokens still work (the comparisons above were not vacuous).
    const ok = await send(base, forms[0]?.request(job.token) as HttpRequest);
    expect(ok.status).toBe(200);
    rememberSecrets(admin);

    // API keys and nonces: both refusals 401; the detail may say "malformed" vs "unknown".
    const keyRight = await send(base, {
      method: 'GET',
      path: '/jobs',
      headers: bearer(`pjm_${'A'.repeat(32)}`),
    });
    const keyWrong = await send(base, {
      method: 'GET',
      path: '/jobs',
      headers: bearer(`pjm_${'A'.repeat(31)}`),
    });
    const nonceRight = await send(base, { method: 'GET', path: `/jobs?x-nonce=pjn_${'A'.repeat(32)}` });
    const nonceWrong = await send(base, { method: 'GET', path: '/jobs?x-nonce=pjn_AAA' });
    report('security (a) wrong tokens', {
      forms: forms.length,
      'tokens tried per form': rightLength.length + wrongLength.length,
      differences: differences.length,
      'api key right/wrong length': `${keyRight.status}/${keyWrong.status}`,
      'api key details differ': JSON.stringify(comparable(keyRight)) !== JSON.stringify(comparable(keyWrong)),
      'nonce right/wrong length': `${nonceRight.status}/${nonceWrong.status}`,
    });
    expect(keyRight.status).toBe(401);
    expect(keyWrong.status).toBe(401);
    expect(nonceRight.status).toBe(401);
    expect(nonceWrong.status).toBe(401);
    expect(differences).toEqual([]);
  });

  it('(c) SQL injection strings in every parameter change nothing and give 4xx', async () => {
    const admin = db.adminToken();
    const reader = bearer(keys.reader);
    // okWhen: an answer other than a 4xx that is right for this route.
    const requests: { where: string; request: HttpRequest; okWhen?: (res: HttpResponse) => boolean }[] = [];
    for (const raw of INJECTIONS) {
      const x = enc(raw);
      const body = (doc: unknown, key = keys.reporter): Pick<HttpRequest, 'headers' | 'body'> => ({
        headers: { ...bearer(key), ...json },
        body: JSON.stringify(doc),
      });
      requests.push(
        {
          where: 'path uuid (GET /jobs/:uuid)',
          request: { method: 'GET', path: `/jobs/${x}`, headers: reader },
        },
        {
          where: 'path uuid (history)',
          request: { method: 'GET', path: `/jobs/${x}/history`, headers: reader },
        },
        {
          where: 'path uuid (fsm.svg)',
          request: { method: 'GET', path: `/jobs/${x}/fsm.svg`, headers: reader },
        },
        {
          where: 'path uuid (DELETE)',
          request: { method: 'DELETE', path: `/jobs/${x}?token=${admin}`, headers: bearer(keys.admin) },
        },
        {
          where: 'path uuid (dry-run)',
          request: { method: 'POST', path: `/jobs/${x}/events/dry-run?event=run`, headers: reader },
        },
        {
          where: 'path uuid (rotate)',
          request: { method: 'POST', path: `/jobs/${x}/token?token=${admin}`, headers: bearer(keys.admin) },
        },
        {
          where: 'path uuid (GET /pipelines/:uuid)',
          request: { method: 'GET', path: `/pipelines/${x}`, headers: reader },
        },
        { where: 'query state', request: { method: 'GET', path: `/jobs?state=${x}`, headers: reader } },
        {
          where: 'query pipeline_uuid',
          request: { method: 'GET', path: `/jobs?pipeline_uuid=${x}`, headers: reader },
        },
        { where: 'query cursor', request: { method: 'GET', path: `/jobs?cursor=${x}`, headers: reader } },
        {
          where: 'query cursor (well-formed, injected timestamp)',
          request: {
            method: 'GET',
            path: `/jobs?cursor=${Buffer.from(JSON.stringify([raw, raw])).toString('base64url')}`,
            headers: reader,
          },
        },
        {
          where: 'query updated_since',
          request: { method: 'GET', path: `/jobs?updated_since=${x}`, headers: reader },
        },
        { where: 'query limit', request: { method: 'GET', path: `/jobs?limit=${x}`, headers: reader } },
        {
          where: 'history after/limit',
          request: {
            method: 'GET',
            path: `/jobs/${job.uuid}/history?after=${x}&limit=${x}`,
            headers: reader,
          },
        },
        // A pipelines cursor is a uuid compared as text: a harmless listing (200) is fine too.
        {
          where: 'pipelines cursor',
          request: { method: 'GET', path: `/pipelines?cursor=${x}`, headers: reader },
          okWhen: (r) => r.status === 200,
        },
        {
          where: 'body uuid (event)',
          request: {
            method: 'POST',
            path: '/messages',
            ...body({ uuid: raw, name: 'update', token: job.token }),
          },
        },
        {
          where: 'body name (event)',
          request: {
            method: 'POST',
            path: '/messages',
            ...body({ uuid: job.uuid, name: raw, token: job.token }),
          },
        },
        {
          where: 'body token (event)',
          request: {
            method: 'POST',
            path: '/messages',
            ...body({ uuid: job.uuid, name: 'update', token: raw }),
          },
        },
        {
          where: 'body uuid (delete)',
          request: {
            method: 'POST',
            path: '/messages',
            ...body({ uuid: raw, action: 'delete', token: admin }, keys.admin),
          },
        },
        {
          where: 'body pipeline_uuid (create)',
          request: { method: 'POST', path: '/jobs', ...body({ pipeline_uuid: raw, data: {} }, keys.agent) },
        },
        {
          where: 'body child_of (create)',
          request: {
            method: 'POST',
            path: '/jobs',
            ...body({ pipeline_uuid: TACOBOT_PIPELINE, data: {}, child_of: [raw] }, keys.agent),
          },
        },
        {
          where: 'body components (pipeline)',
          request: {
            method: 'POST',
            path: '/pipelines',
            ...body({ id: raw, name: raw, components: raw, processing_levels: ['1'] }, keys.agent),
          },
        },
        {
          // "Would it be accepted?" has an answer for any name: 200 {accepted: false}.
          where: 'body name (dry-run)',
          request: {
            method: 'POST',
            path: `/jobs/${job.uuid}/events/dry-run`,
            ...body({ name: raw }, keys.reader),
          },
          okWhen: (r) => r.status === 200 && (r.json as { accepted?: unknown }).accepted === false,
        },
        {
          where: 'event name (URL)',
          request: {
            method: 'POST',
            path: `/messages?uuid=${job.uuid}&event=${x}&token=${job.token}`,
            headers: bearer(keys.reporter),
          },
        },
        {
          where: 'status (URL)',
          request: {
            method: 'POST',
            path: `/messages?uuid=${x}&status=${x}&token=${job.token}`,
            headers: bearer(keys.reporter),
          },
        },
        {
          where: 'token (URL)',
          request: {
            method: 'POST',
            path: `/messages?uuid=${job.uuid}&event=update&token=${x}`,
            headers: bearer(keys.reporter),
          },
        },
        { where: 'x-nonce', request: { method: 'GET', path: `/jobs?x-nonce=${x}` } },
        {
          where: 'Idempotency-Key (wrong token)',
          request: {
            method: 'POST',
            path: `/messages?uuid=${job.uuid}&event=update&token=ffffffffffffffff`,
            headers: { ...bearer(keys.reporter), 'idempotency-key': raw.replace(/[^\t\x20-\x7e]/g, '?') },
          },
        },
      );
      if (/^[\t\x20-\x7e]*$/.test(raw)) {
        requests.push(
          {
            where: 'Authorization bearer',
            request: { method: 'GET', path: '/jobs', headers: { authorization: `Bearer ${raw}` } },
          },
          {
            where: 'Authorization API key',
            request: { method: 'GET', path: '/jobs', headers: { authorization: `Bearer pjm_${raw}` } },
          },
        );
      }
    }
    const before = await snapshot(databaseOf(db.services).sql);
    const wrong: string[] = [];
    let slowest = 0;
    for (const { where, request, okWhen = () => false } of requests) {
      const res = await send(base, request);
      slowest = Math.max(slowest, res.ms);
      const fine = (res.status >= 400 && res.status < 500) || okWhen(res);
      const issue = res.status >= 400 ? problemIssue(res) : undefined;
      if (!fine || issue) {
        wrong.push(
          `${where}: ${request.method} ${request.path.slice(0, 120)} -> ${res.status} ${issue ?? ''} ${res.text.slice(0, 200)}`,
        );
      }
    }
    const after = await snapshot(databaseOf(db.services).sql);
    report('security (c) injection', {
      strings: INJECTIONS.length,
      requests: requests.length,
      'not 4xx or not a problem document': wrong.length,
      'database unchanged': after.digest === before.digest,
      'slowest ms': Math.round(slowest),
    });
    expect(after.digest, 'the database is unchanged').toBe(before.digest);
    expect(slowest, 'no injected pg_sleep ran (no request took 4 s)').toBeLessThan(4000);
    expect(wrong).toEqual([]);
  });

  it('(d) the rate limit per credential answers 429 with Retry-After; another key is unaffected', async () => {
    limited = await ManagerProcess.start({
      name: 'security-rate-limited',
      databaseUrl: db.url,
      secret: db.secret,
      rateLimit: 20,
    });
    const other = await db.createKeys('security rate limit');
    const results: HttpResponse[] = [];
    for (let i = 0; i < 30; i++) {
      results.push(await send(limited.base, { method: 'GET', path: '/jobs', headers: bearer(keys.reader) }));
    }
    const limitedOnes = results.filter((r) => r.status === 429);
    const otherKey = await send(limited.base, {
      method: 'GET',
      path: '/jobs',
      headers: bearer(other.reader),
    });
    const retryAfter = limitedOnes.map((r) => Number(r.headers['retry-after']));
    report('security (d) rate limit', {
      limit: 20,
      sent: results.length,
      '200': results.filter((r) => r.status === 200).length,
      '429': limitedOnes.length,
      'min Retry-After s': Math.min(...retryAfter),
      'other key': otherKey.status,
    });
    expect(results.slice(0, 20).every((r) => r.status === 200)).toBe(true);
    expect(limitedOnes.length).toBe(10);
    for (const r of limitedOnes) {
      expect(problemIssue(r)).toBeUndefined();
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(otherKey.status).toBe(200);
  });

  it('(e) the app refuses to start with DATABASE_URL and no PIPELINEJOBS_SECRET', async () => {
    const run = await runManagerToExit({ DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info' });
    const lines = run.stderr.trim().split('\n').filter(Boolean);
    report('security (e) no secret', {
      'exit code': run.code,
      'stderr lines': lines.length,
      stderr: lines[0] ?? '',
      ms: Math.round(run.ms),
    });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('PIPELINEJOBS_SECRET');
    expect(run.stdout).not.toContain('listening');
  });

  it('(b) no token, admin token, API key or nonce used anywhere in the suite appears in any Manager log', async () => {
    // Send secrets everywhere a careless Manager might log them, then stop the Managers.
    const nonce = await db.createNonce({ role: 'reader', label: 'security logs' });
    const admin = db.adminToken();
    const tries: HttpRequest[] = [
      { method: 'GET', path: `/jobs?x-nonce=${nonce}` },
      { method: 'GET', path: `/jobs/${job.uuid}?x-nonce=${nonce}&token=${job.token}` },
      {
        method: 'POST',
        path: `/messages?uuid=${job.uuid}&event=update&token=${job.token}`,
        headers: bearer(keys.reporter),
      },
      {
        method: 'POST',
        path: `/messages?uuid=${job.uuid}&event=update&token=${job.token}&token=${job.token}`,
        headers: bearer(keys.reporter),
      },
      {
        method: 'POST',
        path: `/messages?uuid=${job.uuid}&event=reset&TOKEN=${admin}`,
        headers: bearer(keys.reporter),
      },
      // The parameter name percent-encoded: the query parser decodes it, so it is the job token.
      {
        method: 'POST',
        path: `/messages?uuid=${job.uuid}&event=update&t%6Fken=${job.token}`,
        headers: bearer(keys.reporter),
      },
      {
        method: 'POST',
        path: `/messages?uuid=${job.uuid}&event=reset&%74oken=${admin}`,
        headers: bearer(keys.reporter),
      },
      {
        method: 'POST',
        path: `/messages?uuid=${job.uuid}&event=update&token=${job.token}`,
        headers: { authorization: `Bearer ${keys.reader}` },
      },
      {
        method: 'POST',
        path: '/messages',
        headers: { ...bearer(keys.reporter), ...json },
        body: JSON.stringify({ uuid: job.uuid, name: 'bogus', token: job.token }),
      },
      {
        method: 'POST',
        path: '/messages',
        headers: { ...bearer(keys.reporter), ...json },
        body: `{"uuid": "${job.uuid}", "token": "${job.token}", `,
      },
      { method: 'DELETE', path: `/jobs/${job.uuid}?token=${admin}&force=maybe`, headers: bearer(keys.admin) },
      { method: 'GET', path: `/nowhere/${keys.admin}`, headers: bearer(keys.admin) },
      { method: 'GET', path: '/jobs', headers: { authorization: `Basic ${keys.admin}` } },
      {
        method: 'POST',
        path: `/actors/v2/x/messages?uuid=${job.uuid}&token=${job.token}`,
        headers: { ...bearer(keys.reporter), ...json },
        body: '{"status": "RUNNING"}',
      },
    ];
    const answers: HttpResponse[] = [];
    for (const request of tries) answers.push(await send(base, request));
    const encodedName = answers[5] as HttpResponse;
    await Promise.all([manager?.stop(), limited?.stop()]);
    const { leaks, secrets, logs, bytes } = findLeaks(runDir());
    report('security (b) secrets in logs', {
      'secrets checked': secrets,
      'manager logs': logs,
      'log bytes': bytes,
      leaks: leaks.length,
      'token accepted under an encoded name': encodedName.status,
    });
    expect(secrets).toBeGreaterThan(10);
    expect(logs).toBeGreaterThan(1);
    expect(leaks).toEqual([]);
  });
});
