import http from 'node:http';
import { parseJobUuid } from '@pipelinejobs/core';
import { TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { revokeApiKey, systemPrincipal } from '@pipelinejobs/service';
import { databaseOf } from '@pipelinejobs/service/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sizes } from './config.js';
import { type EmbeddedDb, type Keys, startEmbeddedDb } from './embedded-db.js';
import { is2xx, problemIssue } from './events.js';
import { alterations, type Exact, member, readExact } from './exact-oracle.js';
import { createJob, registerPipeline } from './fixtures.js';
import {
  describe as describeRequest,
  type FuzzContext,
  type FuzzRequest,
  fuzzRequest,
  toHttp,
} from './fuzz-requests.js';
import { checkHistories } from './history-checks.js';
import { type HttpResponse, pool, send, sendJson } from './http.js';
import { finishFile } from './lifecycle.js';
import { ManagerProcess } from './manager-process.js';
import { report } from './results.js';
import { rememberSecrets } from './run-dir.js';
import { diff, type Explained, nothingExplained, snapshot, unexplained } from './snapshot.js';

/**
 * Generated requests (fast-check) against every route: mutated fixtures, random JSON, bad JSON,
 * huge and deeply nested bodies, odd content types, parameters, headers and credentials. No 5xx,
 * every error a valid problem document, nothing in the database changes that an accepted
 * request does not explain, and no accepted value is stored other than as sent (exact-oracle.ts).
 */
let db: EmbeddedDb;
let keys: Keys;
let manager: ManagerProcess | undefined;
let ctx: FuzzContext;

beforeAll(async () => {
  db = await startEmbeddedDb('fuzz');
  keys = await db.createKeys('fuzz');
  manager = await ManagerProcess.start({ name: 'fuzz', databaseUrl: db.url, secret: db.secret });
  await registerPipeline(manager.base, keys.agent);
  const jobs = await pool([0, 1, 2, 3, 4, 5], 3, (i) =>
    createJob((manager as ManagerProcess).base, keys.agent, 'fuzz-fixture', i),
  );
  const revoked = (await db.createKeys('fuzz revoked')).reader;
  await revokeApiKey(db.services, systemPrincipal('tests'), revoked.slice(0, 12));
  const nonces = [
    await db.createNonce({ role: 'reader', label: 'fuzz reader' }),
    await db.createNonce({
      role: 'reporter',
      jobUuid: parseJobUuid(jobs[0]?.uuid) ?? null,
      label: 'fuzz scoped',
    }),
    await db.createNonce({ role: 'reader', maxUses: 1, label: 'fuzz used up' }),
  ];
  // Use up the last nonce.
  const used = await send(manager.base, { method: 'GET', path: `/jobs?x-nonce=${nonces[2]}` });
  expect(used.status).toBe(200);
  ctx = {
    jobs,
    pipelineUuid: TACOBOT_PIPELINE,
    keys: [keys.admin, keys.agent, keys.reporter, keys.reader],
    revokedKey: revoked,
    nonces,
    adminToken: db.adminToken(),
  };
  rememberSecrets(revoked);
});

afterAll(async () => {
  await finishFile([manager], db);
});

interface Failure {
  request: FuzzRequest;
  res: HttpResponse;
  why: string;
}

/** What a 2xx answer says it changed. */
function explain(request: FuzzRequest, res: HttpResponse, explained: Explained): void {
  if (!is2xx(res.status) || request.method === 'GET') return;
  const body = res.json as Record<string, unknown> | undefined;
  if (!body) return;
  const job = body.job as { uuid?: string } | undefined;
  const event = body.event as { uuid?: string } | undefined;
  if (event?.uuid) explained.events.add(event.uuid);
  if (job?.uuid) explained.jobs.add(job.uuid);
  if (typeof body.deleted === 'string' && typeof body.uuid === 'string') {
    explained.jobs.add(body.uuid);
    if (body.deleted === 'hard') explained.histories.add(body.uuid);
  }
  if (request.route === 'jobs.create' && res.status === 201 && typeof body.uuid === 'string') {
    explained.jobs.add(body.uuid);
    explained.histories.add(body.uuid);
    if (typeof body.token === 'string') rememberSecrets(body.token);
  }
  if (request.route === 'pipelines.create' && res.status === 201 && typeof body.uuid === 'string') {
    explained.pipelines.add(body.uuid);
  }
}

/** What the server reads of a body: strict UTF-8 with a leading byte order mark dropped. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Where accepted requests were stored other than as sent: each created job's data, and each new
 * event's data (the body's `data` for a JSON event, the body itself for URL parameters and Agave;
 * Tapis notifications are reshaped, so they are left out).
 */
async function alteredValues(
  sql: ReturnType<typeof databaseOf>['sql'],
  accepted: Accepted[],
): Promise<{ request: FuzzRequest; change: string }[]> {
  const found: { request: FuzzRequest; change: string }[] = [];
  for (const { request, res } of accepted) {
    const body = toHttp(request, ctx).body;
    if (body === undefined) continue;
    let text: string;
    try {
      text = strictUtf8.decode(Buffer.from(body));
    } catch {
      found.push({ request, change: `a body that is not UTF-8 was accepted (${res.status})` });
      continue;
    }
    const sent = readExact(text);
    if (sent === undefined) continue;
    const answer = res.json as { uuid?: string; event?: { uuid?: string } } | undefined;
    let stored: { data: string; source: string } | undefined;
    let expected: Exact | undefined;
    if (request.route === 'jobs.create' && res.status === 201 && answer?.uuid) {
      [stored] = await sql<{ data: string; source: string }[]>`
        select data::text as data, 'create' as source from jobs where uuid = ${answer.uuid}`;
      expected = member(sent, 'data');
    } else if (request.route === 'messages' && answer?.event?.uuid && !res.headers['idempotent-replayed']) {
      [stored] = await sql<{ data: string; source: string }[]>`
        select coalesce(data, 'null'::jsonb)::text as data, source from job_events where uuid = ${answer.event.uuid}`;
      if (stored?.source === 'json') expected = member(sent, 'data');
      else if (stored?.source === 'params' || stored?.source === 'agave') expected = sent;
    }
    // A repeated key anywhere in an accepted body is an alteration, whatever the form kept of it.
    const repeated = alterations(sent, { kind: 'literal', value: null }).filter((a) =>
      a.includes('repeated key'),
    );
    const storedValue = stored ? readExact(stored.data) : undefined;
    const changed = expected && storedValue ? alterations(expected, storedValue) : [];
    for (const change of [...repeated, ...changed]) {
      found.push({ request, change: `(${stored?.source ?? '-'}) ${change}` });
    }
  }
  return found;
}

interface Accepted {
  request: FuzzRequest;
  res: HttpResponse;
}

const fresh = new http.Agent({ keepAlive: false, maxSockets: 64 });

describe('fuzz', () => {
  it(`${sizes.fuzzRuns} generated requests: no 5xx, problem+json errors, no unexplained change`, async () => {
    const m = manager as ManagerProcess;
    const requests = fc.sample(fuzzRequest(ctx), { numRuns: sizes.fuzzRuns, seed: SEED });
    const failures: Failure[] = [];
    const statuses: Record<string, number> = {};
    const byRoute: Record<string, number> = {};
    let unexplainedChanges = 0;
    let checkedValues = 0;
    const altered: string[] = [];
    let accepted = 0;
    let notSent = 0;
    const started = performance.now();
    for (let from = 0; from < requests.length; from += sizes.fuzzBatch) {
      const batch = requests.slice(from, from + sizes.fuzzBatch);
      const before = await snapshot(databaseOf(db.services).sql);
      const explained = nothingExplained();
      const acceptedWrites: Accepted[] = [];
      await pool(batch, sizes.fuzzConcurrency, async (request) => {
        const res = await send(m.base, { ...toHttp(request, ctx), agent: fresh });
        byRoute[request.route] = (byRoute[request.route] ?? 0) + 1;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === -1) {
          notSent += 1; // node:http refused to send it: not a server answer
          return;
        }
        if (res.status === 0) failures.push({ request, res, why: `no answer: ${res.error}` });
        else if (res.status >= 500) failures.push({ request, res, why: `${res.status}` });
        else if (res.status >= 400) {
          const issue = problemIssue(res);
          if (issue) failures.push({ request, res, why: `${res.status}: ${issue}` });
        } else if (request.method !== 'GET') accepted += 1;
        if (is2xx(res.status) && request.method === 'POST') acceptedWrites.push({ request, res });
        explain(request, res, explained);
      });
      const after = await snapshot(databaseOf(db.services).sql);
      checkedValues += acceptedWrites.length;
      for (const { request, change } of await alteredValues(databaseOf(db.services).sql, acceptedWrites)) {
        altered.push(change);
        failures.push({
          request,
          res: { status: 0, headers: {}, text: '', json: undefined, ms: 0 },
          why: `silently altered value: ${change}`,
        });
      }
      const changes = unexplained(diff(before, after), explained);
      if (changes.length > 0) {
        unexplainedChanges += changes.length;
        failures.push({
          request: batch[0] as FuzzRequest,
          res: { status: 0, headers: {}, text: '', json: undefined, ms: 0 },
          why: `batch ${from}..${from + batch.length}: ${changes.length} database changes no accepted request explains: ${JSON.stringify(changes.slice(0, 3))}`,
        });
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const alive = m.running && (await sendJson(m.base, 'GET', '/healthz')).status === 200;
    const history = await checkHistories(databaseOf(db.services).sql);
    const fivexx = failures.filter((f) => f.res.status >= 500).length;

    // Group failures by kind so the report shows each distinct bug once.
    const kinds = new Map<string, { count: number; example: string }>();
    for (const f of failures) {
      const detail = String((f.res.json as { detail?: unknown } | undefined)?.detail ?? f.res.text).slice(
        0,
        160,
      );
      const kind = `${f.request.route} ${f.why.slice(0, 200)} ${f.res.status >= 500 ? detail : ''}`;
      const seen = kinds.get(kind);
      if (seen) seen.count += 1;
      else
        kinds.set(kind, {
          count: 1,
          example: `${describeRequest(f.request)} -> ${f.res.status} ${f.res.text.slice(0, 400)}`,
        });
    }

    report('fuzz', {
      cases: requests.length,
      seed: SEED,
      'requests/s': Math.round(requests.length / seconds),
      '5xx': fivexx,
      'invalid problem documents': failures.filter((f) => f.res.status >= 400 && f.res.status < 500).length,
      'no answer': failures.filter((f) => f.res.status === 0 && f.why.startsWith('no answer')).length,
      'not sent (client refused)': notSent,
      'accepted mutations': accepted,
      'unexplained database changes': unexplainedChanges,
      'accepted writes checked for altered values': checkedValues,
      'silently altered values': altered.length,
      'manager alive': alive,
      statuses,
      routes: byRoute,
    });
    const summary = [...kinds.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([kind, { count, example }]) => `${count}x ${kind}\n    e.g. ${example}`);
    expect(alive, 'the Manager survives the fuzzing').toBe(true);
    expect(
      summary,
      'distinct failures (5xx, no answer, invalid problem documents, unexplained changes)',
    ).toEqual([]);
    expect(history.problems).toEqual([]);
  });
});
