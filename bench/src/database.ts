import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireEmbeddedServer, releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { openDatabase } from '@pipelinejobs/storage';
import { dropDatabase, databaseUrl as withDatabase } from '@pipelinejobs/storage/testing';
import postgres from 'postgres';
import { postmasterOf } from './proc.js';

/** The PostgreSQL server of a run: the given one, or an embedded one started for the run. */
export interface BenchServer {
  /** A URL of the server's maintenance database; CREATE/DROP DATABASE run through it. */
  adminUrl: string;
  kind: 'external' | 'embedded';
  version: string;
  /** The postmaster's pid when the server runs on this machine (for its CPU time). */
  postmasterPid: number | undefined;
  stop(): Promise<void>;
}

async function describe(adminUrl: string): Promise<{ version: string; postmasterPid: number | undefined }> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ version: string; pid: number }[]>`
      select current_setting('server_version') as version, pg_backend_pid() as pid`;
    const host = new URL(adminUrl).hostname;
    const local = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '';
    return { version: row?.version ?? '?', postmasterPid: local && row ? postmasterOf(row.pid) : undefined };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function startServer(
  databaseUrl: string | undefined,
  log: (line: string) => void,
): Promise<BenchServer> {
  if (databaseUrl) {
    const external: BenchServer = {
      adminUrl: databaseUrl,
      kind: 'external',
      ...(await describe(databaseUrl)),
      stop: async () => {},
    };
    return external;
  }
  // The embedded server runs as the postgres user, who must traverse the folder: mkdtemp makes 0700.
  const dir = mkdtempSync(join(tmpdir(), 'pj-bench-'));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  log(`starting an embedded PostgreSQL in ${dataDir}`);
  const server = await acquireEmbeddedServer(dataDir, { log });
  const adminUrl = withDatabase(server.url, 'postgres');
  const bench: BenchServer = {
    adminUrl,
    kind: 'embedded',
    ...(await describe(adminUrl)),
    async stop() {
      await releaseEmbeddedServer(dataDir, { log, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return bench;
}

/** A fresh database for one measurement, migrated with the Manager's own migrations. */
export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

let created = 0;

export async function createBenchDatabase(server: BenchServer): Promise<BenchDatabase> {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const name = `pj_bench_${stamp}_${process.pid}_${created++}`;
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabase(server.adminUrl, name);
  // openDatabase applies the committed drizzle migrations: the bench runs on the real schema.
  const db = await openDatabase({ url, poolSize: 1 });
  await db.close();
  return {
    name,
    url,
    drop: () => dropDatabase(server.adminUrl, name),
  };
}
