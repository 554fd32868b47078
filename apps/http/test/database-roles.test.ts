import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { loadFixture } from '@pipelinejobs/fixtures';
import { dropDatabase } from '@pipelinejobs/storage/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseEnv, REPO_ROOT, startManagerProcess } from '../../../test/manager-process.js';
import { ROLE_PASSWORD } from './harness.js';

// Migrations apart from serving: an owner role applies them, a role that may only read and write
// rows serves, in a schema of its own beside another application's `jobs` table.

const pg = inject('pg');
const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const owner = `pj_owner_${suffix}`;
const app = `pj_app_${suffix}`;
const database = `pj_roles_${suffix}`;
const SCHEMA = 'pipelinejobs';
const SECRET = 'database-roles-secret-0123456789abcdef';
const CLI = `${REPO_ROOT}apps/cli/dist/main.js`;

const urlAs = (user: string) => {
  const u = new URL(pg.adminUrl);
  u.username = user;
  u.password = ROLE_PASSWORD;
  u.pathname = `/${database}`;
  return u.href;
};
const ownerUrl = urlAs(owner);
const appUrl = urlAs(app);
let admin: postgres.Sql;
let asOwner: postgres.Sql;

/** The environment every process of the deployment shares. */
const shared = { PIPELINEJOBS_SECRET: SECRET, PIPELINEJOBS_DB_SCHEMA: SCHEMA };

async function cli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...baseEnv(), ...shared, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs a Manager that is expected to refuse to start; returns its exit code and what it said. */
async function refusedStart(env: Record<string, string>) {
  const started = await startManagerProcess({ env: { ...shared, ...env }, timeoutMs: 20_000 }).then(
    async (manager) => {
      await manager.stop();
      return undefined;
    },
    (error: Error) => error.message,
  );
  return started;
}

beforeAll(async () => {
  admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create role ${owner} login password '${ROLE_PASSWORD}'`);
  await admin.unsafe(`create role ${app} login password '${ROLE_PASSWORD}'`);
  await admin.unsafe(`create database ${database} owner ${owner}`);
  asOwner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  // Another application already has its own `jobs` and `api_keys` tables in public.
  await asOwner.unsafe(`create table public.jobs (id serial primary key, title text);
    create table public.api_keys (name text primary key);
    insert into public.jobs (title) values ('another application''s job')`);
});

afterAll(async () => {
  await asOwner?.end();
  await dropDatabase(pg.adminUrl, database);
  await admin.unsafe(`drop role if exists ${app}`);
  await admin.unsafe(`drop role if exists ${owner}`);
  await admin.end();
});

describe('a deployment with an owner role and a role that only reads and writes rows', () => {
  it('the role that may not create cannot migrate, and is told who can', async () => {
    const refused = await cli(['migrate'], { DATABASE_URL: appUrl });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: DATABASE_URL: ${app} may not change the schema: run \`pipelinejobs migrate\` as the role that owns it .*\\(PostgreSQL: permission denied for database ${database}\\)\\n$`,
      ),
    );
  });

  it('the owner migrates into the schema of its own, leaving the other application alone', async () => {
    const migrated = await cli(['migrate', '--json'], { DATABASE_URL: ownerUrl });
    expect(migrated.stderr).toBe('');
    expect(JSON.parse(migrated.stdout)).toEqual({ applied: 4, database: 'external', schema: SCHEMA });
    const tables = await asOwner<{ schema: string; name: string }[]>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_schema in ('public', ${SCHEMA}) order by 1, 2`;
    expect(tables.filter((t) => t.schema === 'public').map((t) => t.name)).toEqual(['api_keys', 'jobs']);
    expect(tables.filter((t) => t.schema === SCHEMA).map((t) => t.name)).toEqual(
      expect.arrayContaining(['__drizzle_migrations', 'api_keys', 'job_events', 'jobs', 'pipelines']),
    );
    // The committed migrations name "public"."jobs" in their foreign keys: here they point into the schema.
    const keys = await asOwner<{ references: string }[]>`
      select confrelid::regclass::text as references from pg_constraint where contype = 'f'
      and connamespace = ${SCHEMA}::regnamespace order by 1`;
    expect(keys.map((k) => k.references)).toEqual([
      `${SCHEMA}.job_events`,
      `${SCHEMA}.jobs`,
      `${SCHEMA}.pipelines`,
    ]);
    expect(JSON.parse((await cli(['migrate', '--json'], { DATABASE_URL: ownerUrl })).stdout)).toMatchObject({
      applied: 0,
    });
    expect(await asOwner`select to_regclass('drizzle.__drizzle_migrations') as t`).toEqual([{ t: null }]);
  });

  it('serves as the role with only the documented grants, and a client call succeeds', async () => {
    await asOwner.unsafe(`grant connect on database ${database} to ${app};
      grant usage on schema ${SCHEMA} to ${app};
      grant select, insert, update, delete on all tables in schema ${SCHEMA} to ${app};
      grant usage, select on all sequences in schema ${SCHEMA} to ${app}`);
    const key = await cli(['keys', 'create', '--role', 'admin', '--label', 'operator'], {
      DATABASE_URL: appUrl,
      PIPELINEJOBS_MIGRATE: 'check',
    });
    expect(key.stderr).toMatch(/created/);
    const manager = await startManagerProcess({
      env: { ...shared, DATABASE_URL: appUrl, PIPELINEJOBS_MIGRATE: 'check', LOG_LEVEL: 'warn' },
    });
    try {
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${manager.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key.stdout.trim()}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      expect((await call('POST', '/pipelines', loadFixture('sd2e/pipelines/tacobot.json'))).status).toBe(201);
      const job = (await (await call('POST', '/jobs', loadFixture('sd2e/jobs/tacobot.json'))).json()) as {
        uuid: string;
        token: string;
      };
      const sent = await call('POST', '/messages', { uuid: job.uuid, name: 'run', token: job.token });
      expect(sent.status).toBe(200);
      expect((await (await fetch(`${manager.url}/readyz`)).json()) as object).toMatchObject({
        writable: true,
      });
    } finally {
      expect(await manager.stop()).toBe(0);
    }
    expect(await asOwner`select title from public.jobs`).toEqual([{ title: "another application's job" }]);
    expect(await asOwner`select count(*)::int as n from public.api_keys`).toEqual([{ n: 0 }]);
  });

  it('with PIPELINEJOBS_MIGRATE=check refuses to start while the schema is behind, and says what to run', async () => {
    // As if this version had a migration the database lacks: forget the last one applied.
    const [last] = await asOwner<{ id: number; hash: string; created_at: string }[]>`
      delete from ${asOwner(SCHEMA)}.__drizzle_migrations
      where id = (select max(id) from ${asOwner(SCHEMA)}.__drizzle_migrations) returning *`;
    try {
      const refusal = await refusedStart({ DATABASE_URL: appUrl, PIPELINEJOBS_MIGRATE: 'check' });
      expect(refusal).toMatch(
        /exited \(2\) before listening:\nerror: PIPELINEJOBS_MIGRATE: is check and the database schema pipelinejobs is behind this version \(1 migration pending\): run `pipelinejobs migrate` as the role that owns it, then start again\n$/,
      );
      // auto, as this role, cannot apply it, and says so instead of "Unexpected database error".
      const auto = await refusedStart({ DATABASE_URL: appUrl, PIPELINEJOBS_MIGRATE: 'auto' });
      expect(auto).toMatch(
        new RegExp(
          `exited \\(2\\) before listening:\\nerror: PIPELINEJOBS_MIGRATE: ${app} may not change the schema: .*PIPELINEJOBS_MIGRATE=check .*\\(PostgreSQL: (permission denied for schema ${SCHEMA}|must be owner of table \\w+)\\)\\n$`,
        ),
      );
      // off never looks.
      const off = await startManagerProcess({
        env: { ...shared, DATABASE_URL: appUrl, PIPELINEJOBS_MIGRATE: 'off', LOG_LEVEL: 'warn' },
      });
      expect(await off.stop()).toBe(0);
    } finally {
      await asOwner`insert into ${asOwner(SCHEMA)}.__drizzle_migrations ${asOwner(last ?? {})}`;
    }
    for (const mode of ['check', 'auto']) {
      // Up to date again: auto has nothing to apply, so it needs no privilege this role lacks.
      const ready = await startManagerProcess({
        env: { ...shared, DATABASE_URL: appUrl, PIPELINEJOBS_MIGRATE: mode, LOG_LEVEL: 'warn' },
      });
      expect(await ready.stop(), mode).toBe(0);
    }
  });

  it('with PIPELINEJOBS_MIGRATE=off on a database without the tables, says to migrate', async () => {
    const refusal = await refusedStart({
      DATABASE_URL: appUrl,
      PIPELINEJOBS_MIGRATE: 'off',
      PIPELINEJOBS_DB_SCHEMA: 'nothing_here',
    });
    expect(refusal).toMatch(
      /exited \(2\) before listening:\nerror: PIPELINEJOBS_MIGRATE: the database has no PipelineJobs tables in schema nothing_here: run `pipelinejobs migrate` .*\(PostgreSQL: relation "server_settings" does not exist\)\n$/,
    );
  });
});
