import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// The patched postgres.js (see package.json "imports": packed, a copy travels with the package).
import postgres from '#postgres';
import { type Binaries, type RunAs, reachableByOthers, USER } from './binaries.js';
import { fail } from './errors.js';
import type { Paths } from './paths.js';

/** The PostgreSQL cluster of a data directory: initdb, its password, its URLs, our database. */

const EMBEDDED_DATABASE = 'pipelinejobs';

export function urlFor(paths: Paths, port: number, database = EMBEDDED_DATABASE): string {
  const password = readFileSync(paths.password, 'utf8').trim();
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

export const clusterExists = (paths: Paths) => existsSync(join(paths.pgdata, 'PG_VERSION'));

function run(bin: string, args: string[], runAs: RunAs | undefined): void {
  try {
    execFileSync(bin, args, { stdio: 'pipe', ...(runAs ?? {}) });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    const hint = /Permission denied/.test(stderr)
      ? ` (the ${USER} user must be able to read ${bin} and every folder above the data directory)`
      : '';
    fail(`${bin.split('/').pop()} failed: ${stderr.split('\n')[0] ?? 'unknown error'}${hint}`, error);
  }
}

/** A new cluster with a generated password (a half-made one from a killed initdb is replaced). */
export function initialise(paths: Paths, { bin, runAs }: Binaries): void {
  if (runAs && !reachableByOthers(paths.root)) {
    fail(
      `The ${USER} user cannot reach ${paths.root} (a parent folder is not world-traversable, e.g. mode 0700): ` +
        'set PIPELINEJOBS_DATA_DIR to a folder under a traversable path such as /var/lib/pipelinejobs',
    );
  }
  rmSync(paths.pgdata, { recursive: true, force: true });
  mkdirSync(paths.pgdata, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(paths.password, password, { mode: 0o600 });
  const pwfile = join(paths.root, `.pwfile-${process.pid}`);
  writeFileSync(pwfile, password, { mode: 0o600 });
  try {
    if (runAs) {
      chownSync(paths.pgdata, runAs.uid, runAs.gid);
      chownSync(pwfile, runAs.uid, runAs.gid);
    }
    run(
      join(bin, 'initdb'),
      [
        '-D',
        paths.pgdata,
        '-U',
        USER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      runAs,
    );
  } finally {
    unlinkSync(pwfile);
  }
}

/** Creates the Manager's database on a server that has none yet. */
export async function ensureDatabase(paths: Paths, port: number): Promise<void> {
  const admin = postgres(urlFor(paths, port, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${EMBEDDED_DATABASE}`;
    if (!exists) await admin.unsafe(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
