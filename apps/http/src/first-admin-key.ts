import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the first admin key goes when no person is watching the Manager start. */
const FIRST_ADMIN_KEY_FILE = 'first-admin-key';

/**
 * Hands the first admin key to the operator, once: on the terminal (stderr) when one is
 * watching, otherwise into a file only the Manager's user can read (`<data dir>/first-admin-key`,
 * 0600), so the key never lands in a container's or supervisor's log. Returns what to log.
 */
export function handOverFirstAdminKey(
  key: string,
  options: { dataDir: string; terminal: NodeJS.WritableStream | undefined },
): string {
  if (options.terminal) {
    options.terminal.write(
      `\nFirst start: created an admin API key. It is shown only this once; keep it:\n\n  ${key}\n\n` +
        `Use it as  Authorization: Bearer ${key.slice(0, 8)}...  (make more with \`pipelinejobs keys create --role <role>\`)\n\n`,
    );
    return 'first start: created an admin API key (shown on the terminal)';
  }
  const path = join(options.dataDir, FIRST_ADMIN_KEY_FILE);
  // A file left from an earlier database holds a key that no longer works. Removed, then created
  // exclusively with mode 0600 from the start (an existing file would keep its own mode).
  rmSync(path, { force: true });
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return `first start: created an admin API key and wrote it to ${path} (mode 0600); read it, keep it elsewhere, and delete the file`;
}
