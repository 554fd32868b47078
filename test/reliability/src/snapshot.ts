import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';

/** One row of a snapshot: its identity, what it belongs to, and a hash of all its columns. */
export interface RowHash {
  key: string;
  /** jobs: the job uuid; job_events: the event uuid; pipelines: the pipeline uuid. */
  uuid: string;
  /** job_events: the job's uuid. */
  job?: string;
  hash: string;
}

export type Table = 'jobs' | 'job_events' | 'pipelines' | 'api_keys' | 'nonces';

export interface Snapshot {
  tables: Record<Table, Map<string, RowHash>>;
  counts: Record<Table, number>;
  /** One hash of everything above: equal snapshots have equal digests. */
  digest: string;
}

/**
 * Row hashes of the tables a request could change. Columns that change on every authenticated
 * request by design are left out: an API key's last_used_at and a nonce's use count.
 */
export async function snapshot(sql: Sql): Promise<Snapshot> {
  const [jobs, events, pipelines, keys, nonces] = await Promise.all([
    sql<RowHash[]>`select uuid as key, uuid, md5(t::text) as hash from jobs t`,
    sql<
      RowHash[]
    >`select job_uuid || ':' || seq as key, uuid, job_uuid as job, md5(t::text) as hash from job_events t`,
    sql<RowHash[]>`select uuid as key, uuid, md5(t::text) as hash from pipelines t`,
    sql<RowHash[]>`
      select id::text as key, id::text as uuid,
        md5(row(id, hash, prefix, role, label, created_at, revoked_at)::text) as hash from api_keys`,
    sql<RowHash[]>`
      select id::text as key, id::text as uuid,
        md5(row(id, hash, prefix, role, label, max_uses, expires_at, job_uuid, created_at, revoked_at)::text)
          as hash from nonces`,
  ]);
  const asMap = (rows: RowHash[]) => new Map(rows.map((r) => [r.key, { ...r }]));
  const tables: Snapshot['tables'] = {
    jobs: asMap(jobs),
    job_events: asMap(events),
    pipelines: asMap(pipelines),
    api_keys: asMap(keys),
    nonces: asMap(nonces),
  };
  const digest = createHash('sha256');
  const counts = {} as Record<Table, number>;
  for (const [name, rows] of Object.entries(tables) as [Table, Map<string, RowHash>][]) {
    counts[name] = rows.size;
    digest.update(`${name}:`);
    for (const key of [...rows.keys()].sort()) digest.update(`${key}=${rows.get(key)?.hash};`);
  }
  return { tables, counts, digest: digest.digest('hex') };
}

export interface RowChange {
  table: Table;
  change: 'added' | 'removed' | 'changed';
  row: RowHash;
}

/** Every row added, removed or changed between two snapshots. */
export function diff(before: Snapshot, after: Snapshot): RowChange[] {
  const changes: RowChange[] = [];
  for (const table of Object.keys(before.tables) as Table[]) {
    const a = before.tables[table];
    const b = after.tables[table];
    for (const [key, row] of b) {
      const old = a.get(key);
      if (!old) changes.push({ table, change: 'added', row });
      else if (old.hash !== row.hash) changes.push({ table, change: 'changed', row });
    }
    for (const [key, row] of a) if (!b.has(key)) changes.push({ table, change: 'removed', row });
  }
  return changes;
}

/** What accepted (2xx) requests may have changed; anything else changing is a refused request's doing. */
export interface Explained {
  /** Jobs an accepted event, create or delete touched. */
  jobs: Set<string>;
  /** Event uuids an accepted event returned. */
  events: Set<string>;
  /** Jobs created (their `create` entry appears) or hard-deleted (their history goes) by an accepted request. */
  histories: Set<string>;
  /** Pipelines an accepted registration created. */
  pipelines: Set<string>;
}

export const nothingExplained = (): Explained => ({
  jobs: new Set(),
  events: new Set(),
  histories: new Set(),
  pipelines: new Set(),
});

/** The changes that no accepted request explains: must be none. */
export function unexplained(changes: readonly RowChange[], explained: Explained): RowChange[] {
  return changes.filter(({ table, change, row }) => {
    switch (table) {
      case 'jobs':
        return !explained.jobs.has(row.uuid);
      case 'job_events':
        // a new entry of an accepted event, the create entry of an accepted job, or a hard delete
        if (change === 'added' && explained.events.has(row.uuid)) return false;
        return !(row.job !== undefined && explained.histories.has(row.job) && change !== 'changed');
      case 'pipelines':
        return !(change === 'added' && explained.pipelines.has(row.uuid));
      default:
        return true;
    }
  });
}
