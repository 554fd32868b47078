import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { createApiKey, systemPrincipal } from '@pipelinejobs/service';
import { databaseOf } from '@pipelinejobs/service/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Manager, ROLE_PASSWORD, startManager } from './harness.js';

/** The tests act as the Manager itself would (an admin principal of kind system). */
const TEST_ADMIN = systemPrincipal('tests');

const HOLD_MS = 1000;
let admin: postgres.Sql;

beforeAll(() => {
  admin = postgres(inject('pg').adminUrl, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await admin.end();
});

const databaseName = (m: Manager) => new URL(m.url).pathname.slice(1);

/** Ends every session of the test database so that the Manager's pool reconnects. */
async function reconnect(m: Manager) {
  await admin`select pg_terminate_backend(pid) from pg_stat_activity
    where datname = ${databaseName(m)} and pid <> pg_backend_pid()`;
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < 20 && !(await databaseOf(m.services).ping()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function jobToWriteTo(m: Manager) {
  expect(
    (
      await m.request('POST', '/pipelines', {
        key: m.keys.agent,
        body: loadFixture('sd2e/pipelines/tacobot.json'),
      })
    ).status,
  ).toBe(201);
  const created = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { run: 'operator-errors' } },
  });
  expect(created.status).toBe(201);
  return created.json as { uuid: string; token: string };
}

const send = (m: Manager, job: { uuid: string; token: string }, name: string) =>
  m.request('POST', '/messages', { key: m.keys.reporter, body: { uuid: job.uuid, name, token: job.token } });

const errorLines = (m: Manager, text: string) =>
  m.logLines.filter((line) => line.includes('"level":50') && line.includes(text));

async function readyWithin(m: Manager, ms: number) {
  const until = Date.now() + ms;
  let res = await m.request('GET', '/readyz', { key: null });
  while (res.status !== 200 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    res = await m.request('GET', '/readyz', { key: null });
  }
  return res;
}

async function unreadyWithin(m: Manager, ms: number) {
  const until = Date.now() + ms;
  let res = await m.request('GET', '/readyz', { key: null });
  while (res.json.writable !== false && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    res = await m.request('GET', '/readyz', { key: null });
  }
  return res;
}

/** While writes are refused: reads answer, writes get a 503 naming the cause, once logged. */
async function expectRefusingWrites(
  m: Manager,
  job: { uuid: string; token: string },
  neverUsedKey: string,
  condition: string,
  detail: RegExp,
) {
  // A key never used before: its first use wants to write last_used_at, and must not fail for it.
  expect((await m.request('GET', `/jobs/${job.uuid}`, { key: neverUsedKey })).status).toBe(200);
  expect((await m.request('GET', '/jobs', { key: m.keys.reader })).status).toBe(200);
  for (let i = 0; i < 3; i++) {
    const res = await send(m, job, 'update');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.json).toMatchObject({ status: 503, condition });
    expect(res.json.detail).toMatch(detail);
  }
  // /readyz keeps the database's answer for a second: the one from before writes were refused
  // may still be served for that long.
  const ready = await unreadyWithin(m, 2500);
  expect(ready.status).toBe(503);
  expect(ready.json).toMatchObject({ status: 'unavailable', database: true, writable: false, condition });
  expect(ready.json.detail).toMatch(detail);
  expect(errorLines(m, 'operator action needed')).toHaveLength(1);
  expect(errorLines(m, 'request failed')).toHaveLength(0);
}

describe('a database that refuses writes (default_transaction_read_only)', () => {
  let m: Manager;
  beforeAll(async () => {
    m = await startManager({ operatorHoldMs: HOLD_MS });
  });
  afterAll(async () => {
    await admin.unsafe(`alter database "${databaseName(m)}" reset default_transaction_read_only`);
    await m.stop();
  });

  it('serves reads, answers writes 503 naming the cause, is unready, and recovers by itself', async () => {
    const job = await jobToWriteTo(m);
    const neverUsed = (await createApiKey(m.services, TEST_ADMIN, { role: 'reader', label: 'never used' }))
      .key;
    expect((await m.request('GET', '/readyz', { key: null })).status).toBe(200);

    await admin.unsafe(`alter database "${databaseName(m)}" set default_transaction_read_only = on`);
    await reconnect(m);
    await expectRefusingWrites(m, job, neverUsed, 'read_only', /refuses writes: it is read-only/);

    await admin.unsafe(`alter database "${databaseName(m)}" reset default_transaction_read_only`);
    await reconnect(m);
    const ready = await readyWithin(m, HOLD_MS + 5000);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', writable: true });
    expect((await send(m, job, 'run')).status).toBe(200);
    expect(m.logLines.some((line) => line.includes("cleared: no 'read_only' failure"))).toBe(true);
  });
});

describe('a database role that loses its privileges', () => {
  const role = `pj_operator_test_${process.pid}`;
  let m: Manager;
  beforeAll(async () => {
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.unsafe(`create role ${role} login password '${ROLE_PASSWORD}'`);
    m = await startManager({ operatorHoldMs: HOLD_MS, databaseRole: role });
  });
  afterAll(async () => {
    await m.stop(); // drops the test database, and with it every grant to the role
    await admin.unsafe(`drop role if exists ${role}`);
  });

  it('serves reads, answers writes 503 naming permission denied, is unready, and recovers once granted', async () => {
    const job = await jobToWriteTo(m);
    const neverUsed = (await createApiKey(m.services, TEST_ADMIN, { role: 'reader', label: 'never used' }))
      .key;
    // The Manager's own pool is the role's: revoke as the owner.
    const owner = postgres(m.url, { max: 1, onnotice: () => {} });
    try {
      await owner.unsafe(`revoke insert, update on job_events, jobs, api_keys from ${role}`);
      await expectRefusingWrites(m, job, neverUsed, 'permission_denied', /refuses writes: permission denied/);
      await owner.unsafe(`grant insert, update on job_events, jobs, api_keys to ${role}`);
    } finally {
      await owner.end();
    }
    expect((await readyWithin(m, HOLD_MS + 5000)).status).toBe(200);
    expect((await send(m, job, 'run')).status).toBe(200);
  });
});

/** Mounts a 1 MiB tmpfs for a tablespace, when this process may (root on Linux); else undefined. */
function tinyDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'pj-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

describe('a full disk (the events table on a 1 MiB tmpfs tablespace)', () => {
  const tablespace = `pj_full_${process.pid}`;
  let disk: string | undefined;
  let m: Manager;
  beforeAll(async () => {
    disk = tinyDisk();
    if (!disk) return;
    m = await startManager({ operatorHoldMs: HOLD_MS });
    // The tablespace directory must belong to the server's own user: the data directory's owner.
    const [setting] = await admin<
      { setting: string }[]
    >`select setting from pg_settings where name = 'data_directory'`;
    const owner = statSync(setting?.setting ?? '');
    chownSync(disk, owner.uid, owner.gid);
    await admin.unsafe(`create tablespace ${tablespace} location '${disk}'`);
    const owned = postgres(m.url, { max: 1, onnotice: () => {} });
    try {
      await owned.unsafe('alter table job_events set tablespace ' + tablespace);
      const indexes = await owned<
        { name: string }[]
      >`select indexname as name from pg_indexes where tablename = 'job_events'`;
      for (const { name } of indexes)
        await owned.unsafe(`alter index "${name}" set tablespace ${tablespace}`);
    } finally {
      await owned.end();
    }
  });
  afterAll(async () => {
    if (!disk) return;
    await m?.stop();
    await admin.unsafe(`drop tablespace if exists ${tablespace}`);
    execFileSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  });

  it('serves reads, answers writes 503 naming the full disk, is unready, and recovers once there is room', async (context) => {
    if (!disk) return context.skip('needs to mount a tmpfs (root on Linux) next to a local PostgreSQL');
    const job = await jobToWriteTo(m);
    expect((await send(m, job, 'run')).status).toBe(200);
    // Random, so that PostgreSQL cannot compress it away.
    const big = { blob: randomBytes(150_000).toString('base64') };
    let full: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 40 && !full; i++) {
      const res = await m.request('POST', '/messages', {
        key: m.keys.reporter,
        body: { uuid: job.uuid, name: 'update', token: job.token, data: { ...big, i } },
      });
      if (res.status !== 200) full = res;
    }
    expect(full?.status).toBe(503);
    expect(full?.json).toMatchObject({ condition: 'disk_full', sqlstate: '53100' });
    expect(full?.json.detail).toMatch(/refuses writes: disk full/);
    expect((await m.request('GET', `/jobs/${job.uuid}/history`, { key: m.keys.reader })).status).toBe(200);
    expect(
      (
        await m.request('POST', '/messages', {
          key: m.keys.reporter,
          body: { uuid: job.uuid, name: 'update', token: job.token, data: big },
        })
      ).status,
    ).toBe(503);
    // The no-op write probe passes on a full disk: readiness comes from the failures seen.
    const ready = await m.request('GET', '/readyz', { key: null });
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ condition: 'disk_full', writable: true });
    expect(errorLines(m, 'operator action needed')).toHaveLength(1);
    expect(errorLines(m, 'request failed')).toHaveLength(0);

    execFileSync('mount', ['-o', 'remount,size=64m', disk]);
    expect((await readyWithin(m, HOLD_MS + 5000)).status).toBe(200);
    expect((await send(m, job, 'update')).status).toBe(200);
  });
});
