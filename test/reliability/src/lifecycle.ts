import { expect } from 'vitest';
import type { EmbeddedDb } from './embedded-db.js';
import type { ManagerProcess } from './manager-process.js';
import { runDir } from './run-dir.js';
import { findLeaks } from './run-files.js';

/**
 * The end of every test file: stop its Managers (their logs are written to the run directory),
 * check that no secret remembered so far appears in their logs, release the database.
 */
export async function finishFile(
  managers: readonly (ManagerProcess | undefined)[],
  db: EmbeddedDb | undefined,
) {
  try {
    await Promise.all(managers.map((m) => m?.stop()));
    // This file's logs against every secret of the run so far (security.test.ts and the
    // global teardown check all logs of the run).
    const own = managers.filter((m): m is ManagerProcess => m !== undefined).map((m) => m.logName);
    const { leaks } = findLeaks(runDir(), { only: own });
    expect(leaks, 'secrets found in Manager logs').toEqual([]);
  } finally {
    await db?.close();
  }
}
