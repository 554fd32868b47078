import { join, resolve } from 'node:path';

/** The layout of an embedded data directory. */
export interface Paths {
  root: string;
  /** The PostgreSQL cluster (PGDATA). */
  pgdata: string;
  /** The generated password of the postgres user (mode 0600). */
  password: string;
  /** The start lock: one process at a time starts, restarts or stops the server. */
  lock: string;
  /** One file per process using the server (leases.ts). */
  leases: string;
  /** The port the server last listened on, so a restart keeps it. */
  port: string;
  /** PostgreSQL's own log. */
  log: string;
}

export function pathsFor(dataDir: string): Paths {
  const root = resolve(dataDir);
  return {
    root,
    pgdata: join(root, 'pg'),
    password: join(root, 'pg.password'),
    lock: join(root, 'start.lock'),
    leases: join(root, 'leases'),
    port: join(root, 'pg.port'),
    log: join(root, 'postgres.log'),
  };
}
