import { parseBudgets } from '@pipelinejobs/core';
import { loadFixture } from '@pipelinejobs/fixtures';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import {
  applyEvent,
  countOverdueByState,
  type Database,
  DEADLINE_CLAIM_SQL,
  insertJob,
  insertPipeline,
  insertSubscription,
  sweepDeadlines,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, withTestDatabase } from './helpers.js';

let db: Database;
let pipelineUuid: string;
withTestDatabase({ poolSize: 4 }, async (opened) => {
  db = opened;
  const tacobot = loadFixture<PipelineDocument>('sd2e/pipelines/tacobot.json');
  const { pipeline } = await insertPipeline(db, {
    ...tacobot,
    id: 'tacc/deadlines:storage',
    deadlines: { RUNNING: '24h' },
  });
  pipelineUuid = pipeline.uuid;
});

const HOUR = 3_600_000;
const sweep = (now: Date, roundTrip?: (statement: string) => void) =>
  sweepDeadlines(db, {
    aheadMs: now.getTime() - Date.now(),
    limit: 100,
    actor: { kind: 'system', id: 'deadline' },
    failData: (job) => ({ state: job.state }),
    ...(roundTrip ? { roundTrip } : {}),
  });

describe('the deadline sweep', () => {
  it('with nothing due is one statement, planned on the partial index, whatever the number of jobs', async () => {
    // 20,000 jobs without a deadline (their state has no budget) and 200 RUNNING with one in 24 h.
    await db.sql`
      insert into jobs (uuid, pipeline_uuid, state, last_event, data)
      select '107' || lpad(to_hex(n), 5, '0') || '-0000-5000-8000-000000000000', ${pipelineUuid}, 'CREATED', 'create', '{}'
      from generate_series(1, 20000) n`;
    const budgets = parseBudgets({ RUNNING: '24h' });
    if (!budgets.ok) throw new Error('budgets');
    await db.sql`
      update jobs set state = 'RUNNING', deadlines = ${JSON.stringify(budgets.value)}::jsonb,
        deadline_at = now() + interval '24 hours', deadline_action = 'fail'
      where uuid in (select uuid from jobs order by uuid limit 200)`;
    await db.sql`analyze jobs`;

    const statements: string[] = [];
    const result = await sweep(new Date(), (statement) => statements.push(statement));
    expect(result).toEqual({ failed: [], notified: [], queued: false });
    expect(statements).toEqual(['claim']);

    const plan = await db.sql.unsafe<{ 'QUERY PLAN': unknown }[]>(
      `explain (format json) ${DEADLINE_CLAIM_SQL}`,
      [0, 100],
    );
    const text = JSON.stringify(plan[0]?.['QUERY PLAN']);
    expect(text).toContain('"Index Name":"jobs_deadline_idx"');
    // No scan of jobs but the index (the subscriptions are read only for a job to notify).
    expect(text).not.toMatch(/"Node Type":"Seq Scan"[^}]*"Relation Name":"jobs"/);
    // The same plan shape with EXPLAIN ANALYZE: the index returns no row when nothing is due.
    const analyzed = await db.sql.unsafe<{ 'QUERY PLAN': string }[]>(
      `explain (analyze, costs off, timing off, summary off) ${DEADLINE_CLAIM_SQL}`,
      [0, 100],
    );
    const lines = analyzed.map((row) => row['QUERY PLAN']).join('\n');
    // PostgreSQL 18 (the embedded default) prints rows with two decimals.
    expect(lines).toMatch(
      /Index Scan using jobs_deadline_idx on jobs[^\n]*\(actual rows=0(?:\.00)? loops=1\)/,
    );
  });

  it('sets the deadline on entering a state, in the transition statement, and clears it on leaving', async () => {
    const { job } = await insertJob(
      db,
      { pipeline_uuid: pipelineUuid as never, child_of: [], data: { storage: 1 } },
      { creator: ACTOR },
    );
    expect(job.deadline).toBeNull();
    const statements: string[] = [];
    const hooks = { roundTrip: (statement: string) => statements.push(statement) };
    await applyEvent(db, { jobUuid: job.uuid, name: 'run', source: 'cli', actor: ACTOR }, allow, hooks);
    expect(statements).toEqual(['transition']);
    const [running] = await db.sql<{ deadline_at: string; state_since: string; deadline_action: string }[]>`
      select deadline_at, state_since, deadline_action from jobs where uuid = ${job.uuid}`;
    expect(Date.parse(running?.deadline_at ?? '') - Date.parse(running?.state_since ?? '')).toBe(24 * HOUR);
    expect(running?.deadline_action).toBe('fail');
    await applyEvent(db, { jobUuid: job.uuid, name: 'finish', source: 'cli', actor: ACTOR }, allow);
    const [finished] = await db.sql<{ deadline_at: string | null }[]>`
      select deadline_at from jobs where uuid = ${job.uuid}`;
    expect(finished?.deadline_at).toBeNull();
    const due = await sweep(new Date(Date.now() + 48 * HOUR));
    expect(due.failed.map((f) => f.uuid)).not.toContain(job.uuid);
  });

  it('fails a job past its deadline with the claim, a lock and the transition statement', async () => {
    const { job } = await insertJob(
      db,
      { pipeline_uuid: pipelineUuid as never, child_of: [], data: { storage: 2 } },
      { creator: ACTOR },
    );
    await applyEvent(db, { jobUuid: job.uuid, name: 'run', source: 'cli', actor: ACTOR }, allow);
    // Only this job is due: the 200 seeded RUNNING ones ran out at now + 24 h, sooner than it.
    await db.sql`update jobs set deadline_at = deadline_at + interval '1 hour'
      where uuid <> ${job.uuid} and deadline_at is not null`;
    const statements: string[] = [];
    const swept = await sweep(new Date(Date.now() + 24 * HOUR + 60_000), (statement) =>
      statements.push(statement),
    );
    expect(statements).toEqual(['claim', 'lock', 'transition']);
    expect(swept.failed.map((f) => [f.uuid, f.state, f.applied?.outcome.job.state])).toEqual([
      [job.uuid, 'RUNNING', 'FAILED'],
    ]);
    const [row] = await db.sql<{ state: string; deadline_at: string | null }[]>`
      select state, deadline_at from jobs where uuid = ${job.uuid}`;
    expect(row).toEqual({ state: 'FAILED', deadline_at: null });
  });

  it('claims a fail deadline the state machine refuses once, not at every sweep', async () => {
    // A fail budget on FINISHED, stored as a database from before such budgets were refused
    // might hold it (parseBudgets refuses it now): the sweep cannot fail the job.
    const { job } = await insertJob(
      db,
      { pipeline_uuid: pipelineUuid as never, child_of: [], data: { storage: 3 } },
      { creator: ACTOR },
    );
    await db.sql`
      update jobs set state = 'FINISHED', deadline_at = now() - interval '1 minute',
        deadline_action = 'fail', deadlines = '{"FINISHED": {"budget": "1h", "ms": 3600000, "action": "fail"}}'
      where uuid = ${job.uuid}`;
    const later = new Date(Date.now() + HOUR);
    const first = await sweep(later);
    expect(first.failed.find((f) => f.uuid === job.uuid)).toMatchObject({ applied: undefined });
    const second = await sweep(later);
    expect(second.failed.map((f) => f.uuid)).not.toContain(job.uuid);
    const [row] = await db.sql<{ state: string }[]>`select state from jobs where uuid = ${job.uuid}`;
    expect(row?.state).toBe('FINISHED');
    // Nor is it counted overdue for ever (the gauge and GET /jobs?overdue=true).
    expect((await countOverdueByState(db, HOUR)).FINISHED).toBeUndefined();
  });

  it('fails the other jobs of a batch when the transition of one fails, and tries that one again', async () => {
    const made: string[] = [];
    for (const n of [4, 5]) {
      const { job } = await insertJob(
        db,
        { pipeline_uuid: pipelineUuid as never, child_of: [], data: { storage: n } },
        { creator: ACTOR },
      );
      await applyEvent(db, { jobUuid: job.uuid, name: 'run', source: 'cli', actor: ACTOR }, allow);
      made.push(job.uuid);
    }
    const [broken, fine] = made as [string, string];
    // The broken job is due first, so that it comes first in the batch.
    await db.sql`update jobs set deadline_at = now() - interval '2 minutes' where uuid = ${broken}`;
    await db.sql`update jobs set deadline_at = now() - interval '1 minute' where uuid = ${fine}`;
    await db.sql.unsafe(`
      create function refuse_broken() returns trigger language plpgsql as $$
      begin raise exception 'refused for the test'; end $$;
      create trigger refuse_broken before insert on job_events for each row
        when (new.job_uuid = '${broken}' and new.name = 'fail') execute function refuse_broken()`);
    try {
      const swept = await sweep(new Date(Date.now() + HOUR));
      const byUuid = new Map(swept.failed.map((f) => [f.uuid as string, f]));
      expect(byUuid.get(fine)?.applied?.outcome.job.state).toBe('FAILED');
      expect(byUuid.get(broken)?.error).toBeDefined();
      const states = await db.sql<{ uuid: string; state: string }[]>`
        select uuid, state from jobs where uuid in (${broken}, ${fine}) order by uuid = ${fine}`;
      expect(states.map((r) => r.state)).toEqual(['RUNNING', 'FAILED']);
    } finally {
      await db.sql.unsafe('drop trigger refuse_broken on job_events; drop function refuse_broken()');
    }
    const again = await sweep(new Date(Date.now() + HOUR));
    expect(again.failed.find((f) => f.uuid === broken)?.applied?.outcome.job.state).toBe('FAILED');
  });

  it("queues an overdue notification for each subscription whose filter wants it: no events filter, or the job's state", async () => {
    const { job } = await insertJob(
      db,
      { pipeline_uuid: pipelineUuid as never, child_of: [], data: { storage: 6 } },
      { creator: ACTOR },
    );
    await applyEvent(db, { jobUuid: job.uuid, name: 'run', source: 'cli', actor: ACTOR }, allow);
    await db.sql`
      update jobs set deadline_at = now() - interval '1 minute', deadline_action = 'notify'
      where uuid = ${job.uuid}`;
    const subscribe = async (filter: Record<string, unknown>) =>
      (
        await insertSubscription(
          db,
          {
            url: 'http://receiver.test/',
            description: '',
            filter: { job_uuid: job.uuid, ...filter },
            sealedSecret: 'x',
          },
          ACTOR,
        )
      ).id;
    const everything = await subscribe({});
    const finishes = await subscribe({ events: ['finish'] });
    const indexing = await subscribe({ states: ['INDEXING'] });
    const running = await subscribe({ states: ['RUNNING'] });
    const swept = await sweep(new Date(Date.now() + HOUR));
    expect(swept.notified.map((n) => n.uuid)).toContain(job.uuid);
    const rows = await db.sql<{ subscription_id: string }[]>`
      select subscription_id from webhook_outbox where job_uuid = ${job.uuid} and kind = 'overdue'`;
    const queued = rows.map((r) => String(r.subscription_id)).sort();
    expect(queued).toEqual([String(everything), String(running)].sort());
    expect(queued).not.toContain(String(finishes));
    expect(queued).not.toContain(String(indexing));
  });
});
