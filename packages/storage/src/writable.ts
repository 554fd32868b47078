import { StorageError, translateError } from './errors.js';
import type { Database } from './open-database.js';

export type Writability = { ok: true } | { ok: false; error: StorageError };

/**
 * Whether this process can write the tables an event writes, without writing anything: an UPDATE
 * and an INSERT that match no row still go through PostgreSQL's read-only and privilege checks
 * (a read-only database or standby answers 25006, a role without the privilege 42501), and leave
 * no row, dead tuple or WAL behind, so a probe every second costs nothing. A full disk cannot be
 * seen without writing: the apps learn it from the writes that fail.
 */
export async function checkWritable(db: Database, timeoutMs = 2000): Promise<Writability> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Writability>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          error: new StorageError('unavailable', `The database did not answer within ${timeoutMs} ms`),
        }),
      timeoutMs,
    );
  });
  const probe = db.sql`
    with probe_jobs as (update jobs set version = version where false returning 1),
         probe_events as (insert into job_events select * from job_events where false returning 1)
    select 1`.then(
    (): Writability => ({ ok: true }),
    (error: unknown): Writability => ({ ok: false, error: translateError(error) }),
  );
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
