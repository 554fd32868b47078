import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  AGAVE_JOB_STATUS,
  createClient,
  ManagedPipelineJob,
  ManagedPipelineJobInstance,
  type PipelineJobsClient,
  ProblemError,
  ReactorManagedPipelineJob,
  type RetryInfo,
  reactorContextFromEnvironment,
} from '@pipelinejobs/client';
import { archivePath, type JobUuid } from '@pipelinejobs/core';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import { createApiKey, createNonce, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices, TEST_SECRET } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { startManagerProcess } from '../../../test/manager-process.js';
import { type Manager, startManager } from './harness.js';

const TEST_ADMIN = systemPrincipal('tests');
const tacobot = () => loadFixture('sd2e/pipelines/tacobot.json') as PipelineDocument;

/**
 * A TCP relay in front of a Manager. After `dropNextAnswers(n)`, each of the next n requests
 * reaches the Manager (whose change commits), and its connection is closed on the client's side
 * the moment the answer starts to come back: a network error for a request that was applied.
 * After `down()` (or a dropped answer with `down: true`), as a stopped server, it refuses the
 * first connections and holds the next until `up()`, so that a slow restart does not use up the
 * client's tries.
 */
function relay(targetPort: () => number) {
  let drop = 0;
  let downAfterDrop = false;
  let down = false;
  // Answers are dropped only on connections made before the relay went down after the drops
  // were asked for: once the Manager is back, a retried request's answer always goes through.
  let epoch = 0;
  let dropEpoch = 0;
  const REFUSED_WHILE_DOWN = 2;
  let refused = 0;
  const waiting: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const goDown = () => {
    down = true;
    refused = 0;
    epoch += 1;
  };
  const pipe = (client: Socket) => {
    if (client.destroyed) return;
    const connected = epoch;
    const upstream = connect(targetPort(), '127.0.0.1');
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    client.pipe(upstream);
    client.resume();
    // Counted per answer, not per connection: the client keeps connections alive.
    upstream.on('data', (chunk) => {
      if (drop === 0 || connected !== dropEpoch) return client.write(chunk);
      drop--;
      if (downAfterDrop && !down) goDown();
      closeBoth();
    });
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    if (!down) return pipe(client);
    if (refused++ < REFUSED_WHILE_DOWN) return client.destroy();
    client.pause();
    waiting.push(() => pipe(client));
  });
  return {
    dropNextAnswers(count: number, options: { down?: boolean } = {}) {
      drop = count;
      dropEpoch = epoch;
      downAfterDrop = options.down ?? false;
    },
    down: goDown,
    isDown: () => down,
    up() {
      down = false;
      refused = 0;
      for (const resume of waiting.splice(0)) resume();
    },
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const portOf = (url: string) => Number(new URL(url).port);

let m: Manager;
let admin: PipelineJobsClient;
let agent: PipelineJobsClient;

beforeAll(async () => {
  m = await startManager();
  admin = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.admin } });
  agent = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.agent } });
  await admin.pipelines.register(tacobot());
});
afterAll(() => m.stop());

describe('ProblemError', () => {
  it('carries the RFC 9457 fields of a 409: status, type, detail, state, allowed, request id', async () => {
    const { job } = await agent.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { problem: 409 } });
    const refused = await agent.events
      .send({ uuid: job.uuid, name: 'finish', token: job.token })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemError);
    const problem = refused as ProblemError;
    expect(problem.status).toBe(409);
    expect(problem.type).toBe('/problems/not-allowed');
    expect(problem.code).toBe('not_allowed');
    expect(problem.state).toBe('CREATED');
    expect(problem.allowed).toEqual(expect.arrayContaining(['run', 'update']));
    expect(problem.detail).toMatch(/finish/);
    expect(problem.instance).toBe('/messages');
    expect(problem.requestId).toMatch(/\S/);
    expect(problem.message).toBe(`409 ${problem.title}: ${problem.detail}`);
  });

  it('carries the errors of a 400, each a JSON pointer and a sentence', async () => {
    const refused = (await agent.jobs
      .create({ pipeline_uuid: TACOBOT_PIPELINE, data: {}, archive_path: 'relative/path' })
      .catch((error: unknown) => error)) as ProblemError;
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('invalid');
    expect(refused.errors).toEqual([expect.objectContaining({ path: '/archive_path' })]);
  });

  it('is not retried: a refusal is answered once', async () => {
    const retries: RetryInfo[] = [];
    const client = createClient({
      baseUrl: m.base,
      credentials: { apiKey: m.keys.reader },
      onRetry: (r) => retries.push(r),
    });
    const refused = (await client.jobs
      .get('107b93f3-1eae-5e79-8a18-0a480f8aa3a4')
      .catch((e: unknown) => e)) as ProblemError;
    expect(refused.code).toBe('not_found');
    expect(retries).toEqual([]);
  });
});

describe('retries', () => {
  it('applies an event once when the connection drops after the commit: the retry is a replay', async () => {
    const front = relay(() => portOf(m.base));
    const retries: RetryInfo[] = [];
    const client = createClient({
      baseUrl: await front.listen(),
      credentials: { apiKey: m.keys.agent },
      retry: { baseDelayMs: 10 },
      onRetry: (info) => retries.push(info),
    });
    try {
      const { job } = await client.jobs.create({
        pipeline_uuid: TACOBOT_PIPELINE,
        data: { dropped: 'after commit' },
      });
      front.dropNextAnswers(1);
      const result = await client.events.send({ uuid: job.uuid, name: 'run', token: job.token });
      expect(retries).toHaveLength(1);
      expect(retries[0]?.reason).toBeInstanceOf(Error);
      expect(result.replayed).toBe(true);
      expect(result.job.state).toBe('RUNNING');
      const history = await client.jobs.history(job.uuid).toArray();
      expect(history.map((event) => event.name)).toEqual(['create', 'run']);
    } finally {
      await front.close();
    }
  });

  it('without an Idempotency-Key, does not retry an event after a network error (it may have been applied)', async () => {
    const front = relay(() => portOf(m.base));
    const retries: RetryInfo[] = [];
    const client = createClient({
      baseUrl: await front.listen(),
      credentials: { apiKey: m.keys.agent },
      onRetry: (info) => retries.push(info),
    });
    try {
      const { job } = await client.jobs.create({
        pipeline_uuid: TACOBOT_PIPELINE,
        data: { dropped: 'no key' },
      });
      front.dropNextAnswers(1);
      await expect(
        client.events.send({ uuid: job.uuid, name: 'run', token: job.token, idempotencyKey: false }),
      ).rejects.toThrow();
      expect(retries).toEqual([]);
      expect((await client.jobs.get(job.uuid)).state).toBe('RUNNING');
    } finally {
      await front.close();
    }
  });

  /**
   * A front that answers its first `refusals` requests with `status` and Retry-After, then relays
   * each request to the Manager.
   */
  async function refusingFront(status: number, retryAfter: string, refusals: number) {
    let refused = 0;
    const front = createHttpServer(async (req, res) => {
      if (refused++ < refusals) {
        res.writeHead(status, { 'retry-after': retryAfter, 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({ type: '/problems/unavailable', title: 'Busy', status, detail: 'try again later' }),
        );
        return;
      }
      const upstream = await fetch(`${m.base}${req.url}`, {
        headers: { authorization: req.headers.authorization ?? '' },
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' });
      res.end(await upstream.text());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
      async close() {
        front.closeAllConnections();
        await new Promise((resolve) => front.close(resolve));
      },
    };
  }

  it('waits the Retry-After of a 503 before trying again', async () => {
    const front = await refusingFront(503, '1', 1);
    const retries: RetryInfo[] = [];
    const client = createClient({
      baseUrl: front.url,
      credentials: { apiKey: m.keys.reader },
      retry: { baseDelayMs: 1 },
      onRetry: (info) => retries.push(info),
    });
    try {
      const started = Date.now();
      const fsm = await client.fsm();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(fsm).toHaveProperty('states');
      expect(retries).toEqual([expect.objectContaining({ reason: 503, attempt: 1 })]);
      expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await front.close();
    }
  });

  it('gives up with the ProblemError when Retry-After is longer than it will wait', async () => {
    const front = await refusingFront(429, '120', 1);
    const client = createClient({ baseUrl: front.url, credentials: { apiKey: m.keys.reader } });
    try {
      const refused = (await client.fsm().catch((e: unknown) => e)) as ProblemError;
      expect(refused).toBeInstanceOf(ProblemError);
      expect(refused.status).toBe(429);
    } finally {
      await front.close();
    }
  });

  it('stops after the attempts it was given, with the last answer', async () => {
    const front = await refusingFront(503, '0', 10);
    const retries: RetryInfo[] = [];
    const client = createClient({
      baseUrl: front.url,
      retry: { attempts: 3, baseDelayMs: 1 },
      onRetry: (info) => retries.push(info),
    });
    try {
      await expect(client.fsm()).rejects.toMatchObject({ status: 503 });
      expect(retries.map((info) => info.attempt)).toEqual([1, 2]);
    } finally {
      await front.close();
    }
  });
});

describe('deadlines', () => {
  it("replaces a job's budgets with an admin token; the current state's deadline follows, and the audit says so", async () => {
    const { job } = await agent.jobs.create({
      pipeline_uuid: TACOBOT_PIPELINE,
      data: { deadlines: 'client' },
    });
    expect(job.deadline ?? null).toBeNull();
    const changed = await admin.jobs.setDeadlines(
      job.uuid,
      { CREATED: '2h', RUNNING: { budget: '30m', action: 'notify' } },
      { adminToken: m.adminToken() },
    );
    expect(changed.deadlines).toEqual({
      CREATED: { budget: '2h', action: 'fail' },
      RUNNING: { budget: '30m', action: 'notify' },
    });
    expect(changed.deadline).toMatchObject({
      state: 'CREATED',
      budget: '2h',
      action: 'fail',
      notified: false,
    });
    const since = Date.parse(changed.state_since);
    expect(Date.parse(changed.deadline?.at ?? '')).toBe(since + 2 * 3_600_000);
    expect(await admin.jobs.get(job.uuid)).toMatchObject({ deadlines: changed.deadlines });
    // Replaced whole: what the document leaves out is gone.
    const cleared = await admin.jobs.setDeadlines(job.uuid, {}, { adminToken: m.adminToken() });
    expect(cleared.deadlines ?? {}).toEqual({});
    expect(cleared.deadline ?? null).toBeNull();
    const audit = await admin.jobs.audit(job.uuid).toArray();
    expect(audit.map((entry) => entry.action)).toEqual(['set_deadlines', 'set_deadlines']);
  });

  it('is refused without a valid admin token, and for a bad budget with the field named; nothing changes', async () => {
    const { job } = await agent.jobs.create({
      pipeline_uuid: TACOBOT_PIPELINE,
      data: { deadlines: 'refused' },
    });
    const forbidden = (await admin.jobs
      .setDeadlines(job.uuid, { CREATED: '1h' }, { adminToken: '0000000000000000' })
      .catch((error: unknown) => error)) as ProblemError;
    expect(forbidden).toBeInstanceOf(ProblemError);
    expect(forbidden.status).toBe(403);
    const invalid = (await admin.jobs
      .setDeadlines(job.uuid, { CREATED: '0s' }, { adminToken: m.adminToken() })
      .catch((error: unknown) => error)) as ProblemError;
    expect(invalid.status).toBe(400);
    expect(invalid.errors).toEqual([expect.objectContaining({ path: '/CREATED' })]);
    const unchanged = await admin.jobs.get(job.uuid);
    expect(unchanged.deadlines ?? {}).toEqual({});
    expect(await admin.jobs.audit(job.uuid).toArray()).toEqual([]);
  });
});

describe('paging', () => {
  it('reads 2,500 jobs page by page, each once, most recently updated first', async () => {
    const pipeline = (await admin.pipelines.register({ ...tacobot(), id: 'tacc/tacobot:paging' })).pipeline;
    const made = new Set<string>();
    for (let batch = 0; batch < 2500; batch += 50) {
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          agent.jobs.create({ pipeline_uuid: pipeline.uuid, data: { n: batch + i } }),
        ),
      );
      for (const { job } of created) made.add(job.uuid);
    }
    expect(made.size).toBe(2500);
    let pages = 0;
    for await (const page of agent.jobs.list({ pipeline_uuid: pipeline.uuid, limit: 200 }).pages()) {
      pages++;
      expect(page.items.length).toBeLessThanOrEqual(200);
    }
    expect(pages).toBe(13);
    const seen: string[] = [];
    let previous = '9999';
    for await (const job of agent.jobs.list({ pipeline_uuid: pipeline.uuid, limit: 200 })) {
      expect(job.updated <= previous).toBe(true);
      previous = job.updated;
      seen.push(job.uuid);
    }
    expect(seen).toHaveLength(2500);
    expect(new Set(seen)).toEqual(made);
  });

  it("reads every entry of a job's audit, past the first page", async () => {
    const { job } = await agent.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { audit: 'paged' } });
    for (let i = 0; i < 105; i++) await admin.jobs.rotateToken(job.uuid, { adminToken: m.adminToken() });
    const entries = await admin.jobs.audit(job.uuid).toArray();
    expect(entries).toHaveLength(105);
    const versions = entries.map((entry) => entry.token_version);
    expect(new Set(versions).size).toBe(105);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    const pages = [];
    for await (const page of admin.jobs.audit(job.uuid, { limit: 40 }).pages()) pages.push(page.items.length);
    expect(pages).toEqual([40, 40, 25]);
  });

  it('filters by state, and reads a history in pages, in seq order', async () => {
    const { job } = await agent.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { history: 'pages' } });
    await agent.events.send({ uuid: job.uuid, name: 'run', token: job.token });
    for (let i = 0; i < 20; i++) {
      await agent.events.send({ uuid: job.uuid, name: 'update', token: job.token, data: { i } });
    }
    const running = await agent.jobs.list({ state: 'RUNNING' }).toArray();
    expect(running.map((j) => j.uuid)).toContain(job.uuid);
    expect(running.every((j) => j.state === 'RUNNING')).toBe(true);
    const history = await agent.jobs.history(job.uuid, { limit: 3 }).toArray();
    expect(history.map((event) => event.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(history.slice(2).map((event) => event.data)).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ i })),
    );
  });
});

describe('credentials', () => {
  it('asks the JWT function before every request, so a refreshed credential is used at once', async () => {
    const given = [m.keys.reader, m.keys.admin];
    let calls = 0;
    const client = createClient({
      baseUrl: m.base,
      credentials: { jwt: () => given[Math.min(calls++, 1)] ?? '' },
    });
    // The first credential may not read audits; the refreshed one may.
    const { job } = await agent.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { jwt: 1 } });
    await expect(client.jobs.audit(job.uuid).toArray()).rejects.toMatchObject({ status: 403 });
    await expect(client.jobs.audit(job.uuid).toArray()).resolves.toEqual([]);
    expect(calls).toBe(2);
  });

  it('sends a nonce as x-nonce', async () => {
    const { job } = await agent.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { nonce: 1 } });
    const { nonce } = await createNonce(m.services, TEST_ADMIN, {
      role: 'reporter',
      jobUuid: job.uuid as JobUuid,
    });
    const client = createClient({ baseUrl: m.base, credentials: { nonce } });
    const instance = await new ManagedPipelineJobInstance(client, job.uuid as JobUuid, job.token).run();
    expect(instance.state).toBe('RUNNING');
  });
});

describe('ManagedPipelineJob', () => {
  it('sets up the job (or finds it), keeps its uuid and token, and its state and version after each event', async () => {
    const options = { pipeline: TACOBOT_PIPELINE, data: { sample: 'managed' }, agent: 'tacobot-reactor' };
    const job = await new ManagedPipelineJob(agent, options).setup();
    expect(job.created).toBe(true);
    expect(job.state).toBe('CREATED');
    expect(job.version).toBe(1);
    expect(job.archivePath).toBe(
      archivePath({ pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { sample: 'managed' } }),
    );
    expect(job.archiveUri).toBe(`agave://data-sd2e-community${job.archivePath}`);
    const again = await new ManagedPipelineJob(agent, options).setup();
    expect(again.created).toBe(false);
    expect(again.uuid).toBe(job.uuid);
    expect(again.token).toBe(job.token);

    await (await job.run({ launched: 'agave-1' })).update({ progress: '50%' });
    expect(job.state).toBe('RUNNING');
    expect(job.lastEvent).toBe('update');
    expect(job.version).toBe(3);
    await job.finish();
    expect(job.state).toBe('FINISHED');
    const names = (await job.history().toArray()).map((event) => event.name);
    expect(names).toEqual(['create', 'run', 'update', 'finish']);
  });

  it('fail() sends fail and never deletes, even on a fresh object for an existing job', async () => {
    const options = { pipeline: TACOBOT_PIPELINE, data: { sample: 'fails' } };
    await new ManagedPipelineJob(agent, options).setup();
    const fresh = await new ManagedPipelineJob(agent, options).setup();
    await fresh.fail({ reason: 'bad input' });
    expect(fresh.state).toBe('FAILED');
    expect((await agent.jobs.get(fresh.uuid)).visible).toBe(true);
  });

  it('resets and readies with an admin token; a job token is refused', async () => {
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'reset' },
    }).setup();
    await job.run();
    await expect(job.reset(job.token)).rejects.toMatchObject({ status: 403 });
    await job.reset(m.adminToken());
    expect(job.state).toBe('RESET');
    await job.ready(m.adminToken());
    expect(job.state).toBe('CREATED');
  });

  it("cancel() removes the job its creator made and never started, with the job's token", async () => {
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'cancel' },
    }).setup();
    const uuid = job.uuid;
    // Another agent, even with the token, may not; nor the creator with a wrong token.
    const other = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.otherAgent } });
    await expect(other.jobs.cancel(uuid, { token: job.token })).rejects.toMatchObject({ status: 403 });
    await expect(agent.jobs.cancel(uuid, { token: '0000000000000000' })).rejects.toMatchObject({
      status: 403,
    });
    await job.cancel();
    await expect(agent.jobs.get(uuid)).rejects.toMatchObject({ code: 'not_found' });
    const audit = await admin.jobs.audit(uuid).toArray();
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'force_delete',
        principal: expect.objectContaining({ id: m.keyIds.agent }),
      }),
    ]);
  });

  it('cancel() of a started job is a 409 that says to send fail, and changes nothing', async () => {
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'started' },
    }).setup();
    await job.run();
    const refused = (await job.cancel().catch((e: unknown) => e)) as ProblemError;
    expect(refused).toMatchObject({ status: 409, code: 'conflict' });
    expect(refused.detail).toMatch(/send a fail event/);
    expect((await agent.jobs.get(job.uuid)).state).toBe('RUNNING');
  });

  it('takes the parents as typed ids of one kind (sorted, unique), and refuses a wrong one', async () => {
    const samples = ['103e95e6-67a8-5a06-9484-3131c6907890', '10311111-67a8-5a06-9484-3131c6907890'];
    const job = new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      sampleId: [...samples, samples[0] ?? ''],
    });
    expect(job.childOf).toEqual([...samples].sort());
    expect(
      () =>
        new ManagedPipelineJob(agent, {
          pipeline: TACOBOT_PIPELINE,
          sampleId: '102e95e6-67a8-5a06-9484-3131c6907890',
        }),
    ).toThrow(/sample typed UUIDs/);
  });

  it('asks for an instanced archive path: <session>-<UTC time> under the job path', async () => {
    const at = new Date('2026-12-01T10:20:30Z');
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'instanced' },
      session: 'warm-otter',
      instanced: true,
      clock: () => at,
    }).setup();
    expect(job.archivePath).toBe(
      `${archivePath({ pipeline_uuid: TACOBOT_PIPELINE, data: { sample: 'instanced' } })}/warmotter20261201T102030Z`,
    );
  });

  it('the Manager fills the non-instanced archive path when a create omits it', async () => {
    const { job } = await agent.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { filled: true } });
    expect(job.archive_path).toBe(archivePath({ pipeline_uuid: TACOBOT_PIPELINE, data: { filled: true } }));
  });

  it('ReactorManagedPipelineJob takes agent and task from an Abaco environment, session from the nickname', async () => {
    const context = {
      ...reactorContextFromEnvironment({
        _abaco_actor_id: 'actor-G1p783PxpalBB',
        _abaco_execution_id: 'exec-Nq4Oj6XyGbp1',
      }),
      nickname: 'brave-otter',
    };
    const job = await new ReactorManagedPipelineJob(agent, context, {
      pipeline: TACOBOT_PIPELINE,
      data: { reactor: true },
    }).setup();
    expect(job.job).toMatchObject({
      agent: 'actor-G1p783PxpalBB',
      task: 'exec-Nq4Oj6XyGbp1',
      session: 'brave-otter',
    });
  });
});

describe('callbacks', () => {
  it('moves the job when Agave posts its notifications to the URLs agaveNotifications() built', async () => {
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'agave' },
    }).setup();
    const { nonce } = await createNonce(m.services, TEST_ADMIN, { role: 'reporter', jobUuid: job.uuid });
    const withNonce = new ManagedPipelineJobInstance(agent, job.uuid, job.token, { nonce });
    const [running, finished] = withNonce.agaveNotifications();
    expect(running).toMatchObject({ event: 'RUNNING', persistent: true });
    expect(running?.url).toContain(`&status=${AGAVE_JOB_STATUS}`);
    // Agave replaces the macro and posts its job record.
    for (const [notification, fixture] of [
      [running, 'sd2e/manager/2-local-event-tacobot-agave-running.json'],
      [finished, 'sd2e/manager/2-local-event-tacobot-agave-finished.json'],
    ] as const) {
      const url = notification?.url.replace(AGAVE_JOB_STATUS, 'RUNNING') ?? '';
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(loadFixture(fixture)),
      });
      expect(res.status, await res.text()).toBe(200);
    }
    await withNonce.load();
    expect(withNonce.state).toBe('FINISHED');
  });

  it('moves the job when Tapis delivers to the subscription tapisSubscriptions() built', async () => {
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'tapis' },
    }).setup();
    const { nonce } = await createNonce(m.services, TEST_ADMIN, { role: 'reporter', jobUuid: job.uuid });
    const [subscription] = new ManagedPipelineJobInstance(agent, job.uuid, job.token, {
      nonce,
    }).tapisSubscriptions();
    expect(subscription).toMatchObject({ eventCategoryFilter: 'JOB_NEW_STATUS', enabled: true });
    const address = subscription?.deliveryTargets[0]?.deliveryAddress ?? '';
    for (const fixture of ['tapis/notification-running.json', 'tapis/notification-finished.json']) {
      const res = await fetch(address, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(loadFixture(fixture)),
      });
      expect(res.status, await res.text()).toBe(200);
    }
    expect((await agent.jobs.get(job.uuid)).state).toBe('FINISHED');
  });
});

describe('a Manager process stopped and started mid-call', () => {
  it('applies the retried event exactly once', async () => {
    const opened = await openTestDatabase();
    const services = createTestServices(opened.db);
    const { key } = await createApiKey(services, TEST_ADMIN, { role: 'admin', label: 'restart test' });
    const env = { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };
    let manager = await startManagerProcess({ env });
    const port = portOf(manager.url);
    const front = relay(() => port);
    const retries: RetryInfo[] = [];
    const client = createClient({
      baseUrl: await front.listen(),
      credentials: { apiKey: key },
      // The relay refuses two connections while the Manager is down, then holds the next until
      // it is back: the client retries at least twice however long the restart takes.
      retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 2000 },
      onRetry: (info) => retries.push(info),
    });
    try {
      await client.pipelines.register(tacobot());
      const { job } = await client.jobs.create({ pipeline_uuid: TACOBOT_PIPELINE, data: { restart: true } });
      // The Manager commits the event and is killed; its answer, if it was sent before, is
      // dropped and the relay goes down at once. It comes back on the same port while the
      // client retries.
      front.dropNextAnswers(1, { down: true });
      const sent = client.events.send({ uuid: job.uuid, name: 'run', token: job.token });
      const restarted = (async () => {
        while (
          !(await opened.db.sql`select 1 from job_events where job_uuid = ${job.uuid} and name = 'run'`)
            .length
        ) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // Down before the kill too, which may come before the answer: no retry reaches a dead port.
        if (!front.isDown()) front.down();
        await manager.kill9();
        manager = await startManagerProcess({ env: { ...env, PORT: String(port) } });
        front.up();
      })();
      // Both awaited together: a restart that fails is the error, not the client's last try.
      const [result] = await Promise.all([sent, restarted]);
      expect(result.replayed).toBe(true);
      expect(retries.length).toBeGreaterThan(1);
      const history = await client.jobs.history(job.uuid).toArray();
      expect(history.map((event) => event.name)).toEqual(['create', 'run']);
    } finally {
      await front.close();
      await manager.stop();
      await opened.cleanup();
    }
  });
});

describe('a read-back that fails after an applied event', () => {
  /** A front relaying every request to the Manager, but answering GET /jobs/{uuid} with a 503. */
  async function jobReadsRefused() {
    const reads: string[] = [];
    const front = createHttpServer(async (req, res) => {
      if (req.method === 'GET' && /^\/jobs\/[^/?]+$/.test(req.url ?? '')) {
        reads.push(req.url ?? '');
        res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({ type: '/problems/unavailable', title: 'Busy', status: 503, detail: 'later' }),
        );
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'idempotency-key']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(`${m.base}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        body: chunks.length === 0 ? undefined : Buffer.concat(chunks),
      });
      const answerHeaders: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') {
          answerHeaders[name] = value;
        }
      });
      res.writeHead(upstream.status, answerHeaders);
      res.end(await upstream.text());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
      reads,
      async close() {
        front.closeAllConnections();
        await new Promise((resolve) => front.close(resolve));
      },
    };
  }

  it("does not throw: the job's state and version are the event's answer, and the event is applied once", async () => {
    const front = await jobReadsRefused();
    try {
      const client = createClient({
        baseUrl: front.url,
        credentials: { apiKey: m.keys.agent },
        retry: { attempts: 2, baseDelayMs: 1 },
      });
      const job = await new ManagedPipelineJob(client, {
        pipeline: TACOBOT_PIPELINE,
        data: { sample: 'read-back-503' },
      }).setup();
      expect(job.version).toBe(1);
      await job.run();
      expect(front.reads.length).toBeGreaterThan(0);
      expect(job.state).toBe('RUNNING');
      expect(job.lastEvent).toBe('run');
      expect(job.version).toBe(2);
      await job.update({ progress: '50%' });
      expect(job.version).toBe(3);
      const names = (await agent.jobs.history(job.uuid).toArray()).map((event) => event.name);
      expect(names).toEqual(['create', 'run', 'update']);
      expect((await agent.jobs.get(job.uuid)).version).toBe(3);
    } finally {
      await front.close();
    }
  });

  it('lets the caller pass an Idempotency-Key, so that a repeat of the event is a replay', async () => {
    const job = await new ManagedPipelineJob(agent, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'managed-key' },
    }).setup();
    const idempotencyKey = crypto.randomUUID();
    await job.run({}, { idempotencyKey });
    await job.update({ progress: 1 }, { idempotencyKey: crypto.randomUUID() });
    const replay = await job.send('run', {}, undefined, { idempotencyKey });
    expect(replay.replayed).toBe(true);
    const names = (await job.history().toArray()).map((event) => event.name);
    expect(names).toEqual(['create', 'run', 'update']);
  });
});

describe('secrets in serialisations', () => {
  it('JSON.stringify and util.inspect of a client, a ManagedPipelineJob and an instance show neither the key nor the token', async () => {
    const { inspect } = await import('node:util');
    const { nonce } = await createNonce(m.services, TEST_ADMIN, { role: 'reporter' });
    const client = createClient({ baseUrl: m.base, credentials: { apiKey: m.keys.agent } });
    const job = await new ManagedPipelineJob(client, {
      pipeline: TACOBOT_PIPELINE,
      data: { sample: 'secrets' },
      nonce,
    }).setup();
    const instance = new ManagedPipelineJobInstance(client, job.uuid, job.token, { nonce });
    await instance.load();
    const secrets = [m.keys.agent, job.token, nonce];
    for (const value of [client, job, instance]) {
      for (const text of [JSON.stringify(value), inspect(value, { depth: 10, showHidden: true })]) {
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    }
    // Still there for what needs them.
    expect(job.token).toMatch(/\S/);
    expect(job.callbackUrl()).toContain(nonce);
    expect((await instance.run()).state).toBe('RUNNING');
  });
});
