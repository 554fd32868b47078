import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@pipelinejobs/service';

/** Where the first admin key goes when no person is watching the Manager start. */
const FIRST_ADMIN_KEY_FILE = 'first-admin-key';

/**
 * A file for the key, made before the key is: a key made and then not written down would be lost,
 * and no later start makes another (one exists). Created exclusively, 0600 from the start,
 * under a name of its own, so a file or symlink someone put in the data directory is neither
 * written through nor read.
 */
function reserveKeyFile(dataDir: string) {
  const path = join(dataDir, FIRST_ADMIN_KEY_FILE);
  const draft = join(dataDir, `.${FIRST_ADMIN_KEY_FILE}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    // What is in its place goes first (a file left from an earlier database holds a key that no
    // longer works): what cannot be removed (a directory, another user's file in a sticky
    // directory) would fail the rename after the key was made.
    rmSync(path, { force: true });
    fd = openSync(draft, 'wx', 0o600);
  } catch (error) {
    throw new ConfigError(
      'PIPELINEJOBS_DATA_DIR',
      `cannot write the first admin key to ${path} (${(error as Error).message}), so none was made: remove what is in its place and let this user write in ${dataDir}, or start once with stderr on a terminal`,
      { cause: error },
    );
  }
  return {
    path,
    /** Writes the key and puts the file in place. */
    fill(key: string): void {
      try {
        writeSync(fd, `${key}\n`);
        fsyncSync(fd);
        closeSync(fd);
        renameSync(draft, path);
      } catch (error) {
        this.discard();
        throw error;
      }
    },
    discard(): void {
      try {
        closeSync(fd);
      } catch {
        // Closed already.
      }
      rmSync(draft, { force: true });
    },
  };
}

/**
 * Makes the first admin key with `create` (undefined: another process made it) and hands it to
 * the operator, once: on the terminal (stderr) when one is watching, otherwise into a file only
 * the Manager's user can read (`<data dir>/first-admin-key`, 0600), so the key never lands in a
 * container's or supervisor's log. Returns what to log, or undefined when no key was made.
 */
export async function handOverFirstAdminKey(
  create: () => Promise<string | undefined>,
  options: { dataDir: string; terminal: NodeJS.WritableStream | undefined },
): Promise<string | undefined> {
  const { terminal } = options;
  if (terminal) {
    const key = await create();
    if (key === undefined) return undefined;
    terminal.write(
      `\nFirst start: created an admin API key. It is shown only this once; keep it:\n\n  ${key}\n\n` +
        `Use it as  Authorization: Bearer ${key.slice(0, 8)}...  (make more with \`pipelinejobs keys create --role <role>\`)\n\n`,
    );
    return 'first start: created an admin API key (shown on the terminal)';
  }
  const file = reserveKeyFile(options.dataDir);
  let key: string | undefined;
  try {
    key = await create();
  } catch (error) {
    file.discard();
    throw error;
  }
  if (key === undefined) {
    file.discard();
    return undefined;
  }
  file.fill(key);
  return `first start: created an admin API key and wrote it to ${file.path} (mode 0600); read it, keep it elsewhere, and delete the file`;
}
