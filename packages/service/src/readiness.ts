import { checkWritable } from '@pipelinejobs/storage';
import { DATABASE } from './database-key.js';
import { asServiceError, type ServiceError } from './errors.js';
import type { Services } from './services.js';

export interface Readiness {
  /** The database answers a trivial query within 2 s. */
  database: boolean;
  /** This process may write the tables an event writes (checked without writing). */
  writable: boolean;
  /** Why it may not, when the database said (read-only, permission denied, ...). */
  failure?: ServiceError;
}

/** What /readyz reports of the database: reachable, and writable by this process. */
export async function checkReadiness(s: Services): Promise<Readiness> {
  if (!(await s[DATABASE].ping())) return { database: false, writable: false };
  const writes = await checkWritable(s[DATABASE]);
  return writes.ok
    ? { database: true, writable: true }
    : { database: true, writable: false, failure: asServiceError(writes.error) };
}
