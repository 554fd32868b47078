/**
 * Bench job identities. Job n (1..N) gets a uuid that SQL can compute from n, so pgbench can
 * address a random job with `\set n random(1, N)` and no lookup query (which would add a round
 * trip to pgbench's side only). The shape is a valid pipelinejob typed UUID (prefix 107): the
 * Manager checks the prefix and shape of a uuid, never re-derives it from the job's identity.
 */
const JOB_UUID_PREFIX = '10700000-0000-5000-8000-';

export const BENCH_PIPELINE_UUID = '10600000-0000-5000-8000-000000000001';

/** The job every request of the "hot" case goes to. */
export const HOT_JOB = 1;

export function benchJobUuid(n: number): string {
  return JOB_UUID_PREFIX + String(n).padStart(12, '0');
}

/** The same uuid as an SQL expression of the integer expression `n`. */
export function benchJobUuidSql(n: string): string {
  return `('${JOB_UUID_PREFIX}' || lpad((${n})::text, 12, '0'))`;
}
