import { applyMigrations, claimDeliveries, sweepDeadlines, updateJobDeadlines } from '@pipelinejobs/storage';
import { dropDatabase } from '@pipelinejobs/storage/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { committedMigrations, databaseAtMigration } from './earlier-schema.js';

const pg = inject('pg');
const name = `pj_deadlines_upgrade_${process.pid}`;

afterAll(async () => {
  await dropDatabase(pg.adminUrl, name);
});

describe('the deadlines migration', () => {
  it('keeps a database’s pending notifications (its outbox key changed) and delivers them; its jobs get deadlines later', async () => {
    const db = await databaseAtMigration(pg.adminUrl, name, 3);
    const { sql } = db;
    try {
      // The schema before deadlines (and streams).
      // Its data: a RUNNING job with two events, a subscription, one notification delivered and one pending.
      await sql`insert into pipelines (uuid, id, name, body) values ('106a', 'p', 'p', '{}')`;
      await sql`insert into jobs (uuid, pipeline_uuid, state, last_event, data, version, state_since)
        values ('107a', '106a', 'RUNNING', 'run', '{}', 2, now() - interval '2 hours')`;
      await sql`insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source)
        values ('107a', 1, '108a', 'create', 'CREATED', 'CREATED', 'test'),
               ('107a', 2, '108b', 'run', 'CREATED', 'RUNNING', 'test')`;
      const [sub] = await sql<
        { id: string }[]
      >`insert into webhook_subscriptions (url, secret, created_by_kind, created_by_id)
        values ('http://127.0.0.1:9/hook', 'sealed', 'system', 'test') returning id`;
      await sql`insert into webhook_outbox (job_uuid, subscription_id, seq, status) values
        ('107a', ${sub!.id}, 1, 'delivered'), ('107a', ${sub!.id}, 2, 'pending')`;

      expect(await applyMigrations(db)).toBe(committedMigrations().length - 3);

      const outbox = await sql`select seq, kind, status from webhook_outbox order by seq`;
      expect(outbox.map((r) => [r.seq, r.kind, r.status])).toEqual([
        [1, 'transition', 'delivered'],
        [2, 'transition', 'pending'],
      ]);
      const claimed = await claimDeliveries(db, { limit: 10, leaseMs: 10_000 });
      expect(claimed.map((c) => [c.jobUuid, c.seq, c.kind])).toEqual([['107a', 2, 'transition']]);
      // A job from before has no deadline until an admin gives it one; then it is due from its state's entry.
      expect(
        await sweepDeadlines(db, {
          aheadMs: 0,
          limit: 10,
          actor: { kind: 'system', id: 'deadline' },
          failData: () => ({}),
        }),
      ).toEqual({ failed: [], notified: [], queued: false });
      await updateJobDeadlines(
        db,
        '107a' as never,
        { RUNNING: { budget: '1h', ms: 3_600_000, action: 'fail' } },
        { kind: 'system', id: 'test' },
      );
      const swept = await sweepDeadlines(db, {
        aheadMs: 0,
        limit: 10,
        actor: { kind: 'system', id: 'deadline' },
        failData: () => ({}),
      });
      expect(swept.failed.map((f) => [f.uuid, Boolean(f.applied)])).toEqual([['107a', true]]);
    } finally {
      await db.close();
    }
  });
});
