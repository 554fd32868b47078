import type { State } from '@pipelinejobs/core';
import * as storage from '@pipelinejobs/storage';
import { DATABASE } from './database-key.js';
import { clockAheadMs } from './deadlines.js';
import type { Services } from './services.js';

export interface DatabaseStats {
  /** Visible jobs by state. */
  readonly jobsByState: Partial<Record<State, number>>;
  /** About how many history rows there are (PostgreSQL's live-row statistics). */
  readonly historyRows: number;
  /** Seconds since the oldest notification still pending was written (0: none pending). */
  readonly outboxLagSeconds: number;
  /** Visible jobs past the deadline of their state, by state (the database's clock, see clockAheadMs). */
  readonly overdueByState: Partial<Record<State, number>>;
}

/**
 * The database-wide numbers an operator watches (the Manager's /metrics), counted by the database
 * at most once per `maxAgeMs` however often they are asked for: a scraper every second costs one
 * grouped count every few seconds. A failed count keeps the last numbers (the database's
 * unavailability is reported elsewhere).
 */
export function databaseStats(s: Services, options: { maxAgeMs?: number } = {}) {
  const maxAgeMs = options.maxAgeMs ?? 15_000;
  let last: { at: number; stats: Promise<DatabaseStats> } | undefined;
  let known: DatabaseStats = { jobsByState: {}, historyRows: 0, outboxLagSeconds: 0, overdueByState: {} };
  return {
    read(): Promise<DatabaseStats> {
      const now = Date.now();
      if (!last || now - last.at >= maxAgeMs) {
        const stats = Promise.all([
          storage.countJobsPerState(s[DATABASE]),
          storage.estimateHistoryRows(s[DATABASE]),
          storage.oldestPendingSeconds(s[DATABASE]),
          storage.countOverdueByState(s[DATABASE], clockAheadMs(s)),
        ]).then(
          ([jobsByState, historyRows, outboxLagSeconds, overdueByState]) => {
            known = { jobsByState, historyRows, outboxLagSeconds, overdueByState };
            return known;
          },
          () => known,
        );
        last = { at: now, stats };
      }
      return last.stats;
    },
    /** The pool of this process, as it is now. */
    pool: () => s[DATABASE].pool(),
  };
}
