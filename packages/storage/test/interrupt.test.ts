import { type Database, isOutcomeUnknown, openDatabase } from '@pipelinejobs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';

let url = '';
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const opened = await openTestDatabase({ poolSize: 1 });
  ({ url, cleanup } = opened);
});
afterAll(() => cleanup());

const open = () => openDatabase({ url, poolSize: 2 }, { migrate: false });

/** How a promise ended: its value, or what it rejected with. */
const settled = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const LONG = 'select pg_sleep(30)';

/** Waits until the long statement runs (so the test interrupts it, not its start). */
async function untilRunning(watcher: Database) {
  for (let i = 0; i < 100; i++) {
    const [row] = await watcher.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state = 'active' and query = ${LONG}`;
    if ((row?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the long statement never started');
}

describe('interrupt', () => {
  it("cancels its own pool's running statement, not another pool's, and does not wait for it", async () => {
    const mine = await open();
    const other = await open();
    try {
      const sleeping = settled(mine.sql.unsafe(LONG));
      const others = settled(other.sql`select pg_sleep(0.5) as slept`);
      await untilRunning(other);
      const started = Date.now();
      await mine.interrupt();
      const ended = await sleeping;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(ended.ok).toBe(false);
      expect(ended.ok ? undefined : (ended.error as { code?: string }).code).toBe('57014');
      // Cancelled: it failed, so nothing it did was committed.
      expect(isOutcomeUnknown(ended.ok ? undefined : ended.error)).toBe(false);
      expect((await others).ok).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('says a statement cut off with its connection may have committed', async () => {
    const db = await open();
    const watcher = await open();
    try {
      const sleeping = settled(db.sql.unsafe(LONG));
      await untilRunning(watcher);
      await db.sql.end({ timeout: 0 });
      const ended = await sleeping;
      expect(ended.ok).toBe(false);
      expect(isOutcomeUnknown(ended.ok ? undefined : ended.error)).toBe(true);
    } finally {
      await watcher.close();
    }
  });
});
