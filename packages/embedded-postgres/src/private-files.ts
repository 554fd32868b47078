import { type Stats, statSync } from 'node:fs';
import { EmbeddedPostgresError, fail } from './errors.js';

/** What an errno says, in words, for the messages below. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EDQUOT: 'the disk quota is exceeded',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
};

/**
 * A file-system failure of the data directory (a lease, the start lock, the port file, the folder
 * itself) as one line that says what could not be done to which file and how to fix it, instead
 * of Node's raw `EACCES: permission denied, open '...'`. Anything that is not such an error
 * is returned as it was.
 */
export function fileSystemFailure(error: unknown, dataDir: string): unknown {
  const failure = error as NodeJS.ErrnoException;
  if (typeof failure?.code !== 'string' || typeof failure.syscall !== 'string') return error;
  const words = ERRNO_WORDS[failure.code] ?? failure.code;
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this user' : `this process's user (uid ${uid})`;
  return new EmbeddedPostgresError(
    `embedded PostgreSQL: cannot ${failure.syscall} ${failure.path ?? dataDir}: ${words} (${failure.code}). The data directory ${dataDir} must be a folder ${who} owns and may write, with room to spare: fix it, or set PIPELINEJOBS_DATA_DIR to another (or DATABASE_URL)`,
    { cause: error },
  );
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const mode = (stats: Stats) => `0${(stats.mode & 0o777).toString(8)}`;

/**
 * Refuses a data directory another user owns: whoever owns it can replace the secret and the
 * password files this process trusts (as root, a folder of another user would let them choose
 * the secret every token derives from).
 */
export function refuseForeignDirectory(path: string): void {
  const stats = statOrUndefined(path);
  const uid = process.getuid?.();
  if (stats === undefined || uid === undefined || stats.uid === uid) return;
  fail(
    `embedded PostgreSQL: the data directory ${path} is owned by uid ${stats.uid}, not by this process's user (uid ${uid}); its owner could replace the files this process trusts. Run as its owner, \`chown -R\` it to this user, or set PIPELINEJOBS_DATA_DIR to a folder of this user's`,
  );
}

/**
 * Why a file of secrets (`pg.password`, the server secret) is not this user's alone, or undefined
 * when it is (or does not exist): owned by another user, or readable or writable by group or
 * others. Callers refuse it rather than tighten it, because what it holds may already have been
 * read. The reason follows the file's name: `<path> <reason>`.
 */
export function fileExposure(path: string): string | undefined {
  const stats = statOrUndefined(path);
  // Not a file (a folder in its place): reading it fails, and says so.
  if (stats === undefined || !stats.isFile()) return undefined;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    return `is owned by uid ${stats.uid}, not by this process's user (uid ${uid}): \`chown\` it to this user, or run as its owner`;
  }
  if ((stats.mode & 0o077) !== 0) {
    return `may be read or changed by other users (mode ${mode(stats)}): \`chmod 600 ${path}\`, and if anyone else may have read it, treat it as leaked and replace it`;
  }
  return undefined;
}
