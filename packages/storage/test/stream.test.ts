import {
  compareCursors,
  type Database,
  type StreamCursor,
  selectStreamEntries,
  streamHorizon,
} from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { jobNumber, tacobot, withTestDatabase } from './helpers.js';

let db: Database;
withTestDatabase({ poolSize: 10 }, async (opened) => {
  db = opened;
  await tacobot(db);
});

/** A transaction on a connection of its own, left open until the test says. */
async function openTransaction() {
  const conn = await db.sql.reserve();
  await conn`begin`;
  return {
    conn,
    async xid() {
      const [row] = await conn<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
      return BigInt(row?.xid ?? '0');
    },
    /** Inserts a `run` entry (seq 2) for the job; returns its position. */
    async insertRun(jobUuid: string) {
      const [row] = await conn<{ position: string }[]>`
        insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, source)
        values (${jobUuid}, 2, ${`pipelinejob_event-${jobUuid}`}, 'run', 'CREATED', 'RUNNING', 'json')
        returning position::text`;
      return Number(row?.position);
    },
    async commit() {
      await conn`commit`;
      conn.release();
    },
  };
}

const readAfter = (after: StreamCursor) => selectStreamEntries(db, { after, limit: 100 });

/**
 * The entries after `after` once `count` of them are settled. Settled means below the oldest
 * transaction still running on the whole server, and the test files running beside this one
 * (other databases, the same server) hold it back for a moment: waited for, not read at once.
 */
async function readSettled(
  after: StreamCursor,
  count: number,
  enough: (entries: Awaited<ReturnType<typeof readAfter>>) => boolean = (entries) => entries.length >= count,
) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const entries = await readAfter(after);
    if (enough(entries) || Date.now() > deadline) return entries;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The horizon once the jobs' create entries are settled (so that `start` is after them whatever
 * the other test files on the server hold open).
 */
async function horizonAfter(jobUuids: string[]) {
  const everything = await readSettled({ xact: '0', position: 0 }, Number.POSITIVE_INFINITY, (entries) =>
    jobUuids.every((uuid) => entries.some((e) => e.jobUuid === uuid)),
  );
  expect(everything.length).toBeGreaterThanOrEqual(jobUuids.length);
  return streamHorizon(db);
}

describe('the global stream under out-of-order commits', () => {
  it('holds back an entry whose lower-position transaction is still running, and a reader resumed between the commits gets both', async () => {
    const [a, b] = [await jobNumber(db, 101), await jobNumber(db, 102)];
    const start = await horizonAfter([a.uuid, b.uuid]);
    const first = await openTransaction();
    const lowPosition = await first.insertRun(a.uuid);
    const second = await openTransaction();
    const highPosition = await second.insertRun(b.uuid);
    expect(lowPosition).toBeLessThan(highPosition);
    await second.commit();
    // The higher position is committed and visible, the lower not yet: a reader by position alone
    // would deliver it now and skip the lower one when it commits.
    const [visible] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from job_events where position in (${lowPosition}, ${highPosition})`;
    expect(visible?.n).toBe(1);
    expect(await readAfter(start)).toEqual([]);
    // A reader that stopped here resumes from the horizon it had.
    const resumed = await streamHorizon(db);
    expect(compareCursors(resumed, start)).toBe(0);
    await first.commit();
    const entries = await readSettled(resumed, 2);
    expect(entries.map((e) => e.cursor.position)).toEqual([lowPosition, highPosition]);
    expect(entries.map((e) => e.jobUuid)).toEqual([a.uuid, b.uuid]);
    expect(entries[0]?.event).toMatchObject({ seq: 2, name: 'run', from: 'CREATED', to: 'RUNNING' });
  });

  it('delivers in transaction order when the older transaction took the higher position, each entry once', async () => {
    const [a, b] = [await jobNumber(db, 103), await jobNumber(db, 104)];
    const start = await horizonAfter([a.uuid, b.uuid]);
    const older = await openTransaction();
    const olderXid = await older.xid();
    const younger = await openTransaction();
    expect(await younger.xid()).toBeGreaterThan(olderXid);
    const lowPosition = await younger.insertRun(b.uuid);
    const highPosition = await older.insertRun(a.uuid);
    expect(lowPosition).toBeLessThan(highPosition);
    await younger.commit();
    expect(await readAfter(start)).toEqual([]);
    await older.commit();
    const entries = await readSettled(start, 2);
    expect(entries.map((e) => e.cursor.position)).toEqual([highPosition, lowPosition]);
    // Resuming from the first gives the second alone; from the second, nothing.
    const [one, two] = entries;
    expect((await readAfter(one?.cursor as StreamCursor)).map((e) => e.cursor.position)).toEqual([
      lowPosition,
    ]);
    expect(await readAfter(two?.cursor as StreamCursor)).toEqual([]);
    expect(compareCursors(await streamHorizon(db), two?.cursor as StreamCursor)).toBe(0);
  });
});
