import { applyMigrations, openDatabase } from '@pipelinejobs/storage';
import { databaseUrl, dropDatabase } from '@pipelinejobs/storage/testing';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { databaseAtMigration } from './earlier-schema.js';

const pg = inject('pg');
const name = `pj_migrate_${process.pid}`;
const upgraded = `pj_upgrade_${process.pid}`;
const url = databaseUrl(pg.adminUrl, name);

afterAll(async () => {
  await dropDatabase(pg.adminUrl, name);
  await dropDatabase(pg.adminUrl, upgraded);
});

describe('migrations', () => {
  it('apply once when several processes open an empty database at the same time', async () => {
    const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const clients = await Promise.all(
      Array.from({ length: 4 }, () => openDatabase({ url, poolSize: 2 }, { migrate: false })),
    );
    try {
      const applied = await Promise.all(clients.map((db) => applyMigrations(db)));
      expect(applied.reduce((a, b) => a + b, 0)).toBe(applied.find((n) => n > 0));
      expect(applied.filter((n) => n > 0)).toHaveLength(1);
      const [first] = clients;
      const rows = await first!.sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(rows[0]?.n).toBe(applied.find((n) => n > 0));
      expect(await applyMigrations(first!)).toBe(0);
    } finally {
      await Promise.all(clients.map((db) => db.close()));
    }
  });

  it('upgrade a database written by the first release, keeping its jobs and history', async () => {
    // The first release's schema.
    const db = await databaseAtMigration(pg.adminUrl, upgraded, 1);
    const { sql } = db;
    try {
      // Its data: two jobs, one with two events, as that release wrote them (a bigserial id each).
      await sql`insert into pipelines (uuid, id, name, body) values ('106a', 'p', 'p', '{}')`;
      await sql`insert into jobs (uuid, pipeline_uuid, state, last_event, data, version)
        values ('107a', '106a', 'RUNNING', 'run', '{}', 2), ('107b', '106a', 'CREATED', 'create', '{}', 1)`;
      await sql`insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source, idempotency_key)
        values ('107a', 1, '108a', 'create', 'CREATED', 'CREATED', 'test', null),
               ('107a', 2, '108b', 'run', 'CREATED', 'RUNNING', 'test', 'k1'),
               ('107b', 1, '108c', 'create', 'CREATED', 'CREATED', 'test', null)`;

      expect(await applyMigrations(db)).toBeGreaterThan(0);

      const rows = await sql<{ job_uuid: string; seq: number; uuid: string; principal_kind: null }[]>`
        select job_uuid, seq, uuid, principal_kind from job_events order by job_uuid, seq`;
      expect(rows.map((r) => [r.job_uuid, r.seq, r.uuid, r.principal_kind])).toEqual([
        ['107a', 1, '108a', null],
        ['107a', 2, '108b', null],
        ['107b', 1, '108c', null],
      ]);
      const jobs = await sql<{ uuid: string; creator_kind: null }[]>`
        select uuid, creator_kind from jobs order by uuid`;
      expect(jobs.map((j) => [j.uuid, j.creator_kind])).toEqual([
        ['107a', null],
        ['107b', null],
      ]);
      // The history's keys after the upgrade: a row is named by its job and its place.
      const [dup] = await sql<{ ok: boolean }[]>`select true as ok`;
      expect(dup?.ok).toBe(true);
      await expect(
        sql`insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source)
          values ('107a', 2, '108d', 'run', 'CREATED', 'RUNNING', 'test')`,
      ).rejects.toMatchObject({ code: '23505', constraint_name: 'job_events_job_uuid_seq_pk' });
    } finally {
      await db.close();
    }
  });
});
