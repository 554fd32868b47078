import postgres, { type Sql } from 'postgres';
import { BENCH_PIPELINE_UUID, benchJobUuidSql } from './job-ids.js';

/**
 * Loads N jobs with history into a migrated bench database, set-based (generate_series), so a
 * million jobs with ten history rows each load in minutes. Jobs 1..N are RUNNING (the targets of
 * the transition benchmarks: `update` is a legal self-loop there); N/10 more are FINISHED so the
 * state filter of GET /jobs has something to skip. Each job's history is create, run, then
 * updates (the FINISHED ones end with finish), with seq 1..H and version = H, exactly as the
 * Manager would have written it.
 */

export interface LoadResult {
  jobs: number;
  events: number;
  insertSeconds: number;
  indexSeconds: number;
  vacuumSeconds: number;
  totalSeconds: number;
  databaseMb: number;
}

const BATCH_JOBS = 100_000;

/** Secondary indexes and foreign keys of the two big tables, to rebuild after the load. */
interface Deferred {
  indexes: { name: string; def: string }[];
  foreignKeys: { name: string; table: string; def: string }[];
}

async function dropDeferrable(sql: Sql): Promise<Deferred> {
  const indexes = await sql<{ name: string; def: string }[]>`
    select i.relname as name, pg_get_indexdef(i.oid) as def
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    where t.relname in ('jobs', 'job_events') and t.relnamespace = 'public'::regnamespace
      and not x.indisprimary
      and not exists (select 1 from pg_constraint c where c.conindid = i.oid)`;
  const foreignKeys = await sql<{ name: string; table: string; def: string }[]>`
    select conname as name, conrelid::regclass::text as table, pg_get_constraintdef(oid) as def
    from pg_constraint
    where contype = 'f' and conrelid in ('jobs'::regclass, 'job_events'::regclass)`;
  for (const fk of foreignKeys) await sql.unsafe(`alter table ${fk.table} drop constraint "${fk.name}"`);
  for (const index of indexes) await sql.unsafe(`drop index "${index.name}"`);
  return { indexes, foreignKeys };
}

async function restore(sql: Sql, deferred: Deferred): Promise<void> {
  // The same definitions as the migrations made (read back from the catalog before dropping).
  for (const index of deferred.indexes) await sql.unsafe(index.def);
  for (const fk of deferred.foreignKeys) {
    await sql.unsafe(`alter table ${fk.table} add constraint "${fk.name}" ${fk.def}`);
  }
}

/** Job n's creation time: spread over 30 days by n, so listings order by a realistic updated_at. */
function t0(n: string, history: number): string {
  return `date_trunc('milliseconds', now()) - ((${n})::bigint * 7919 % 2592000) * interval '1 second'
    - ${history + 1} * interval '1 minute'`;
}

function jobsSql(from: number, to: number, targets: number, history: number): string {
  return `
    insert into jobs (uuid, pipeline_uuid, state, last_event, archive_path, archive_system, session,
      agent, task, generated_by, data, version, created_at, updated_at, state_since)
    select ${benchJobUuidSql('n')}, '${BENCH_PIPELINE_UUID}',
      case when n <= ${targets} then 'RUNNING' else 'FINISHED' end,
      case when n <= ${targets} then 'update' else 'finish' end,
      '/products/v2/bench/' || n, 'data-sd2e-community', 'bench-session-' || (n % 1000),
      'https://api.sd2e.org/actors/v2/bench-agent', 'bench-task-' || n,
      jsonb_build_array('${BENCH_PIPELINE_UUID}'),
      jsonb_build_object('sample', 'sample.bench.' || n, 'replicate', n % 4),
      ${history}, t0, t0 + ${history} * interval '1 minute',
      t0 + (case when n <= ${targets} then 2 else ${history} end) * interval '1 minute'
    from (select n, ${t0('n', history)} as t0 from generate_series(${from}, ${to}) n) g`;
}

function eventsSql(from: number, to: number, targets: number, history: number): string {
  const last = `(g.n > ${targets} and s = ${history})`;
  return `
    insert into job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source, created_at)
    select ${benchJobUuidSql('g.n')}, s, '108' || substr(gen_random_uuid()::text, 4),
      case when s = 1 then 'create' when s = 2 then 'run' when ${last} then 'finish' else 'update' end,
      case when s <= 2 then 'CREATED' else 'RUNNING' end,
      case when s = 1 then 'CREATED' when ${last} then 'FINISHED' else 'RUNNING' end,
      case when s = 1 then jsonb_build_object('sample', 'sample.bench.' || g.n, 'replicate', g.n % 4)
           when s > 2 then jsonb_build_object('progress', s) end,
      case when s = 1 then 'create' else 'json' end,
      g.t0 + s * interval '1 minute'
    from (select n, ${t0('n', history)} as t0 from generate_series(${from}, ${to}) n) g
    cross join generate_series(1, ${history}) s`;
}

export async function loadJobs(
  url: string,
  targets: number,
  history: number,
  log: (line: string) => void,
): Promise<LoadResult> {
  const total = targets + Math.ceil(targets / 10);
  // One connection, so the session settings below apply to every statement of the load.
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const started = performance.now();
  try {
    await sql.unsafe(`set synchronous_commit = off`);
    await sql.unsafe(`set maintenance_work_mem = '512MB'`);
    await sql`
      insert into pipelines (uuid, id, name, body)
      values (${BENCH_PIPELINE_UUID}, 'bench-pipeline', 'Bench pipeline',
        ${sql.json({ id: 'bench-pipeline', name: 'Bench pipeline', components: [] })})`;
    const deferred = await dropDeferrable(sql);
    for (let from = 1; from <= total; from += BATCH_JOBS) {
      const to = Math.min(total, from + BATCH_JOBS - 1);
      await sql.unsafe(jobsSql(from, to, targets, history));
      await sql.unsafe(eventsSql(from, to, targets, history));
      if (total > BATCH_JOBS) log(`  loaded jobs ${from}..${to} of ${total}`);
    }
    const inserted = performance.now();
    await restore(sql, deferred);
    const indexed = performance.now();
    // A freshly loaded table has no visibility map or statistics; production tables have both.
    await sql.unsafe('vacuum (analyze) jobs, job_events, pipelines');
    const vacuumed = performance.now();
    const [size] = await sql<{ mb: number }[]>`
      select pg_database_size(current_database())::float8 / 1048576 as mb`;
    return {
      jobs: total,
      events: total * history,
      insertSeconds: (inserted - started) / 1000,
      indexSeconds: (indexed - inserted) / 1000,
      vacuumSeconds: (vacuumed - indexed) / 1000,
      totalSeconds: (vacuumed - started) / 1000,
      databaseMb: size?.mb ?? Number.NaN,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
