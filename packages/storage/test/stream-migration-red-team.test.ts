import { applyMigrations, selectStreamEntries, streamHorizon } from '@pipelinejobs/storage';
import { dropDatabase } from '@pipelinejobs/storage/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { databaseAtMigration } from './earlier-schema.js';

const pg = inject('pg');
const name = `pj_stream_upgrade_${process.pid}`;
/** History entries of the database before the migration (besides the three ordered ones). */
const BULK = 200_000;

afterAll(async () => {
  await dropDatabase(pg.adminUrl, name);
});

describe('the event streams migration (0003) on a database with history', () => {
  it('places old entries in the order they were written, before every new one, and the global stream from the start has them all once', async () => {
    const db = await databaseAtMigration(pg.adminUrl, name, 3);
    const { sql } = db;
    try {
      await sql`insert into pipelines (uuid, id, name, body) values ('106a', 'p', 'p', '{}')`;
      await sql`insert into jobs (uuid, pipeline_uuid, state, last_event, data, version)
        values ('107a', '106a', 'RUNNING', 'run', '{}', 2), ('107b', '106a', 'CREATED', 'create', '{}', 1),
          ('107c', '106a', 'RUNNING', 'update', '{}', ${BULK})`;
      // Written a, b, a (b's create between a's two entries), inserted in another order.
      await sql`insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source, created_at) values
        ('107a', 2, '108a2', 'run', 'CREATED', 'RUNNING', 'test', '2026-01-01T00:00:03Z'),
        ('107b', 1, '108b1', 'create', 'CREATED', 'CREATED', 'test', '2026-01-01T00:00:02Z'),
        ('107a', 1, '108a1', 'create', 'CREATED', 'CREATED', 'test', '2026-01-01T00:00:01Z')`;
      await sql`insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source, created_at)
        select '107c', n, '108c' || n, case when n = 1 then 'create' else 'update' end, 'RUNNING', 'RUNNING', 'test',
          '2026-02-01T00:00:00Z'::timestamptz + n * interval '1 millisecond'
        from generate_series(1, ${BULK}) n`;

      const started = performance.now();
      await applyMigrations(db);
      const ms = performance.now() - started;
      console.log(`migrations 0003 and later on ${BULK + 3} history entries: ${ms.toFixed(0)} ms`);

      const old = await sql<{ job_uuid: string; seq: number; position: string; xact_id: string }[]>`
        select job_uuid, seq, position::text, xact_id::text from job_events
        where job_uuid in ('107a', '107b') order by position`;
      expect(old.map((r) => `${r.job_uuid}:${r.seq}`)).toEqual(['107a:1', '107b:1', '107a:2']);
      expect(old.every((r) => r.xact_id === '0')).toBe(true);
      // A new entry comes after every old one, in stream order.
      await sql`insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source)
        values ('107b', 2, '108b2', 'run', 'CREATED', 'RUNNING', 'test')`;
      const all: string[] = [];
      let after = { xact: '0', position: 0 };
      for (;;) {
        const page = await selectStreamEntries(db, { after, limit: 5000 });
        if (page.length === 0) break;
        for (const e of page) all.push(`${e.jobUuid}:${e.event.seq}`);
        after = page.at(-1)?.cursor ?? after;
      }
      expect(all.length).toBe(BULK + 4);
      expect(new Set(all).size).toBe(all.length);
      expect(all.slice(0, 3)).toEqual(['107a:1', '107b:1', '107a:2']);
      expect(all.at(-1)).toBe('107b:2');
      expect(await streamHorizon(db)).toEqual(after);
    } finally {
      await db.close();
    }
  }, 300_000);
});
