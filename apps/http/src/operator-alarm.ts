import type { Logger } from 'pino';

/** A failure only the operator can fix (permission denied, disk full, a read-only database). */
export interface OperatorProblem {
  /** Machine-readable, e.g. `disk_full`: the `condition` of the 503 problem documents. */
  condition: string;
  /** What is wrong and what to do, as the 503s say it. */
  detail: string;
  /** When it was first and last seen (ms since the epoch). */
  since: number;
  last: number;
}

/** How long a condition keeps the Manager unready after it was last seen. */
const OPERATOR_HOLD_MS = 30_000;

/**
 * Remembers operator problems so that each is logged once at error level (not once per failing
 * request) and readiness reflects them: a condition holds until it has not been seen for
 * `holdMs`, and its clearing is logged too.
 */
export function operatorAlarm(logger: Logger, holdMs = OPERATOR_HOLD_MS, clock: () => number = Date.now) {
  const seen = new Map<string, OperatorProblem>();
  const expire = (now: number) => {
    for (const [condition, problem] of seen) {
      if (now - problem.last <= holdMs) continue;
      seen.delete(condition);
      logger.info(
        { condition, since: new Date(problem.since).toISOString() },
        `cleared: no '${condition}' failure for ${Math.round(holdMs / 1000)} s`,
      );
    }
  };
  return {
    raise(condition: string, detail: string, cause: unknown): void {
      const now = clock();
      expire(now);
      const known = seen.get(condition);
      if (known) {
        known.last = now;
        known.detail = detail;
        return;
      }
      seen.set(condition, { condition, detail, since: now, last: now });
      logger.error({ condition, err: cause }, `operator action needed: ${detail}`);
    },
    /** The most recently seen condition still holding, if any. */
    current(): OperatorProblem | undefined {
      expire(clock());
      let latest: OperatorProblem | undefined;
      for (const problem of seen.values()) if (!latest || problem.last > latest.last) latest = problem;
      return latest;
    },
  };
}

export type OperatorAlarm = ReturnType<typeof operatorAlarm>;
