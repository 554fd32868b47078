import { createApiKey, revokeApiKey, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices, TEST_SECRET } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { type ManagerChild, startManagerProcess } from '../../../test/manager-process.js';

/**
 * API keys are cached by each Manager process; a revocation must still be effective in every
 * process within a second of committing. Real processes on one database, each under load with the
 * key (so each has it cached) when another process revokes it.
 */
const PROCESSES = 3;
const CONNECTIONS_PER_PROCESS = 4;
/** The bound under test: every request sent this long after the revoke began is refused. */
const EFFECTIVE_WITHIN_MS = 1000;

interface Sent {
  /** When the request was sent, and when its answer had come (performance.now()). */
  at: number;
  done: number;
  status: number;
}

/** Sends authenticated requests back to back over `connections` loops into `sent` until `until()`. */
async function load(url: string, key: string, connections: number, sent: Sent[], until: () => boolean) {
  const loop = async () => {
    while (!until()) {
      const at = performance.now();
      const response = await fetch(`${url}/jobs?limit=1`, { headers: { authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      sent.push({ at, done: performance.now(), status: response.status });
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
}

/** Resolves once `condition` holds (checked every 20 ms), or fails after `ms`. */
async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Requests enough on each side of the bound to tell, however slow the machine is today. */
const ENOUGH = 10;

describe('an API key revoked under load', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const managers: ManagerChild[] = [];
  beforeAll(async () => {
    db = await openTestDatabase({ poolSize: 2 });
    for (let i = 0; i < PROCESSES; i += 1) {
      managers.push(
        await startManagerProcess({
          env: {
            DATABASE_URL: db.url,
            PIPELINEJOBS_SECRET: TEST_SECRET,
            PIPELINEJOBS_RATE_LIMIT: '10000000',
            LOG_LEVEL: 'warn',
          },
          timeoutMs: 60_000,
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(managers.map((m) => m.stop()));
    await db.cleanup();
  });

  it(`is refused by every Manager process within ${EFFECTIVE_WITHIN_MS} ms of the revoke committing`, async () => {
    const services = createTestServices(db.db);
    const admin = systemPrincipal('tests');
    const { key, record } = await createApiKey(services, admin, {
      role: 'reader',
      label: 'revoked under load',
    });
    let stop = false;
    const results: Sent[][] = managers.map(() => []);
    const loads = managers.map((m, i) =>
      load(m.url, key, CONNECTIONS_PER_PROCESS, results[i] ?? [], () => stop),
    );
    // Every process serves the key (and so has it cached) before the revoke.
    await until('every process has served the key', () =>
      results.every((sent) => sent.filter((s) => s.status === 200).length >= ENOUGH),
    );
    const revokeStarted = performance.now();
    await revokeApiKey(services, admin, record.id);
    const bound = revokeStarted + EFFECTIVE_WITHIN_MS;
    await until('every process has answered requests sent after the bound', () =>
      results.every((sent) => sent.filter((s) => s.at >= bound).length >= ENOUGH),
    ).finally(() => {
      stop = true;
    });
    await Promise.all(loads);
    // Answered before the revoke began: 200. Sent once the bound has passed: 401. A request in
    // between may be either.
    for (const [i, sent] of results.entries()) {
      const before = sent.filter((s) => s.done < revokeStarted);
      const after = sent.filter((s) => s.at >= bound);
      expect(before.length, `process ${i} served before the revoke`).toBeGreaterThanOrEqual(ENOUGH);
      expect(new Set(before.map((s) => s.status)), `process ${i} before`).toEqual(new Set([200]));
      expect(after.length, `process ${i} was loaded after the bound`).toBeGreaterThanOrEqual(ENOUGH);
      expect(new Set(after.map((s) => s.status)), `process ${i} after`).toEqual(new Set([401]));
    }
  }, 60_000);
});
