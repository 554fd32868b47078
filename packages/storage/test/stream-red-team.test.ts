import {
  applyEvent,
  type Database,
  type StreamCursor,
  selectStreamEntries,
  streamHorizon,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { ACTOR, allow, jobNumber, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
withTestDatabase({ poolSize: 20 }, async (opened) => {
  db = opened;
  await tacobot(db);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the global stream under many writers, red team', () => {
  it('a reader resuming after every few entries, while 16 writers on 8 jobs commit out of order, gets every entry once and each job in seq order', async () => {
    const jobs = await Promise.all(Array.from({ length: 8 }, (_, i) => jobNumber(db, 500 + i)));
    const start = await streamHorizon(db);
    const transition = (job: (typeof jobs)[number], name: 'run' | 'update', holdMs: number) =>
      db.sql.begin(async (tx) => {
        // What a transition does: the job's advisory lock (apply-event.ts: no transaction id
        // while waiting) then its row locked, the next seq, the entry, the row moved on.
        await tx`select pg_advisory_xact_lock(1886024564, hashtext(${job.uuid}))`;
        const [row] = await tx<{ version: number; state: string }[]>`
          select version, state from jobs where uuid = ${job.uuid} for update`;
        const seq = (row?.version ?? 0) + 1;
        await tx`
          insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source, principal_kind, principal_id)
          values (${job.uuid}, ${seq}, ${`pipelinejob_event-${job.uuid}-${seq}`}, ${name}, ${row?.state ?? ''},
            'RUNNING', ${JSON.stringify({ holdMs })}::jsonb, 'json', ${ACTOR.kind}, ${ACTOR.id})`;
        await tx`update jobs set version = ${seq}, state = 'RUNNING' where uuid = ${job.uuid}`;
        // Held open after the entry took its position and transaction id: commits come out of order.
        await sleep(holdMs);
      });
    await Promise.all(jobs.map((job) => transition(job, 'run', 0)));
    let writing = true;
    const writers = Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        const job = jobs[w % 8] as (typeof jobs)[number];
        for (let i = 0; i < 20; i += 1) await transition(job, 'update', (w * 7 + i * 3) % 13);
      }),
    ).finally(() => {
      writing = false;
    });
    const seen: { job: string; seq: number }[] = [];
    let cursor: StreamCursor = start;
    const readSome = async () => {
      const entries = await selectStreamEntries(db, { after: cursor, limit: 7 });
      for (const e of entries) seen.push({ job: e.jobUuid, seq: e.event.seq });
      cursor = entries.at(-1)?.cursor ?? cursor;
      return entries.length;
    };
    while (writing) {
      await readSome();
      await sleep(1);
    }
    await writers;
    while ((await readSome()) > 0) {}
    const keys = seen.map((e) => `${e.job}:${e.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    // 8 runs and 320 updates.
    expect(keys.length).toBe(8 + 16 * 20);
    for (const job of jobs) {
      const seqs = seen.filter((e) => e.job === job.uuid).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 41 }, (_, i) => i + 2));
    }
  }, 60_000);

  it("has each job's entries in seq order when transitions on one job race for its row (the real one-statement transition)", async () => {
    const jobs = await Promise.all(Array.from({ length: 4 }, (_, i) => jobNumber(db, 600 + i)));
    const start = await streamHorizon(db);
    const send = (job: (typeof jobs)[number], name: 'run' | 'update') =>
      applyEvent(db, { jobUuid: job.uuid, name, source: 'json', actor: ACTOR }, allow);
    await Promise.all(jobs.map((job) => send(job, 'run')));
    // Four writers per job at once: each transition waits for the row lock another holds.
    await Promise.all(
      jobs.flatMap((job) =>
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 25; i += 1) await send(job, 'update');
        }),
      ),
    );
    const seen: { job: string; seq: number }[] = [];
    let cursor: StreamCursor = start;
    for (;;) {
      const entries = await selectStreamEntries(db, { after: cursor, limit: 1000 });
      if (entries.length === 0) break;
      for (const e of entries) seen.push({ job: e.jobUuid, seq: e.event.seq });
      cursor = entries.at(-1)?.cursor ?? cursor;
    }
    for (const job of jobs) {
      expect(seen.filter((e) => e.job === job.uuid).map((e) => e.seq)).toEqual(
        Array.from({ length: 101 }, (_, i) => i + 2),
      );
    }
  }, 60_000);
});
