import { setTimeout as sleep } from 'node:timers/promises';
import { is2xx } from './events.js';
import type { HttpResponse } from './http.js';

/** A request of a load with when it started and ended, in ms since the load began. */
export type Logged<E> = E & { start: number; end: number };

/**
 * Callers sending requests back to back until `stop()`: caller `c` sends request `i` (counted
 * over all callers) as `request(i, c)` and backs off 20 ms after an answer that is not a 2xx.
 * Every request is logged as it ends; `now()` is the load's clock, for the test's own marks.
 */
export function timedLoad<E extends { res: HttpResponse }>(
  callers: number,
  request: (i: number, c: number) => Promise<E>,
) {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const log: Logged<E>[] = [];
  let running = true;
  let n = 0;
  const caller = async (c: number) => {
    while (running) {
      const i = n++;
      const start = now();
      const entry = await request(i, c);
      log.push({ ...entry, start, end: now() });
      if (!is2xx(entry.res.status)) await sleep(20); // a caller backs off a little
    }
  };
  const callersDone = Promise.all(Array.from({ length: callers }, (_, c) => caller(c)));
  return {
    now,
    log,
    running: () => running,
    /** Lets every caller finish its request under way, and resolves when they have. */
    async stop(): Promise<void> {
      running = false;
      await callersDone;
    },
  };
}
