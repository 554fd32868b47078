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
  at: number;
  status: number;
}

/** Sends authenticated requests back to back over `connections` loops until `until()`. */
async function load(url: string, key: string, connections: number, until: () => boolean): Promise<Sent[]> {
  const sent: Sent[] = [];
  const loop = async () => {
    while (!until()) {
      const at = performance.now();
      const response = await fetch(`${url}/jobs?limit=1`, { headers: { authorization: `Bearer ${key}` } });
      await response.arrayBuffer();
      sent.push({ at, status: response.status });
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return sent;
}

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
    let revokeStarted = Number.POSITIVE_INFINITY;
    let stopAt = Number.POSITIVE_INFINITY;
    const loads = managers.map((m) =>
      load(m.url, key, CONNECTIONS_PER_PROCESS, () => performance.now() > stopAt),
    );
    // Every process serves the key (and so has it cached) before the revoke.
    await new Promise((resolve) => setTimeout(resolve, 700));
    revokeStarted = performance.now();
    await revokeApiKey(services, admin, record.id);
    stopAt = revokeStarted + EFFECTIVE_WITHIN_MS + 500;
    const results = await Promise.all(loads);
    for (const [i, sent] of results.entries()) {
      const before = sent.filter((s) => s.at < revokeStarted);
      const after = sent.filter((s) => s.at >= revokeStarted + EFFECTIVE_WITHIN_MS);
      expect(before.length, `process ${i} served before the revoke`).toBeGreaterThan(10);
      expect(new Set(before.map((s) => s.status)), `process ${i} before`).toEqual(new Set([200]));
      expect(after.length, `process ${i} was loaded after the bound`).toBeGreaterThan(10);
      expect(new Set(after.map((s) => s.status)), `process ${i} after`).toEqual(new Set([401]));
    }
  }, 60_000);
});
