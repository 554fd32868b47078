import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres, { type Sql } from 'postgres';

/**
 * The embedded PostgreSQL of a data directory seen from outside, as the tests look at it without
 * holding it: PostgreSQL's postmaster.pid, the leases, a connection of the test's own.
 */

/** The postmaster's pid and port, while one runs (its postmaster.pid exists). */
export function postmaster(dataDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return undefined;
  }
}

/** Whether the process runs (and is not a zombie waiting to be reaped). */
export function running(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

export const serverRuns = (dataDir: string): boolean => running(postmaster(dataDir)?.pid);

/** The leases of the processes holding the server (file names: pid, start time, token). */
export const leases = (dataDir: string): string[] =>
  existsSync(join(dataDir, 'leases')) ? readdirSync(join(dataDir, 'leases')) : [];

/** A connection of the test's own, straight to the server; closed by the caller (it counts as a client while open). */
export function connect(dataDir: string, database = 'postgres'): Sql {
  const found = postmaster(dataDir);
  if (!found) throw new Error(`no embedded PostgreSQL runs in ${dataDir}`);
  const password = readFileSync(join(dataDir, 'pg.password'), 'utf8').trim();
  return postgres({
    host: '127.0.0.1',
    port: found.port,
    user: 'postgres',
    password,
    database,
    max: 1,
    onnotice: () => {},
  });
}

/** Client connections open on the server other than the one asking, counted by the server itself. */
export async function clientConnections(dataDir: string): Promise<number> {
  const sql = connect(dataDir);
  try {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where backend_type = 'client backend' and pid <> pg_backend_pid()`;
    return row?.n ?? -1;
  } finally {
    await sql.end({ timeout: 1 });
  }
}
