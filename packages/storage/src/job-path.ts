import type { JobUuid, State } from '@pipelinejobs/core';
import { translated } from './errors.js';
import type { Database } from './open-database.js';

/**
 * The transitions a job went through, each once (from its history; the `create` entry is
 * CREATED -> CREATED): what its picture draws bold. One pass over the job's history rows (an
 * index range scan), answering only the distinct pairs.
 */
export async function selectJobPath(db: Database, uuid: JobUuid): Promise<{ from: State; to: State }[]> {
  const rows = await translated(
    () => db.sql<{ from: State; to: State }[]>`
      select distinct from_state as from, to_state as to from job_events where job_uuid = ${uuid}`,
  );
  return rows.map(({ from, to }) => ({ from, to }));
}
