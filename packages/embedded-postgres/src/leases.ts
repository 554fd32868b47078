import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Paths } from './paths.js';
import { isRunning, OWN_START } from './processes.js';

/**
 * Who uses the server: one lease file per open database, `leases/<pid>-<start time>-<token>`,
 * written when a process opens the embedded database and removed when it closes it. A process
 * stops the server only when no live lease but its own remains, so ownership does not depend on
 * traffic (an idle pool has no connections, yet its process still needs the server).
 *
 * A lease is stale when its process is certainly gone (processes.ts): a leaseholder killed with
 * -9 does not keep the server forever, and a pid reused by another program does not revive it.
 */

export interface Lease {
  readonly file: string;
  readonly pid: number;
  /** The file's content (kept to write it again should it be removed by hand). */
  readonly body: string;
}

export function writeLease(paths: Paths): Lease {
  mkdirSync(paths.leases, { recursive: true });
  chmodSync(paths.leases, 0o755);
  const name = `${process.pid}-${OWN_START ?? 'unknown'}-${randomBytes(6).toString('hex')}`;
  const file = join(paths.leases, name);
  const body = `${JSON.stringify({
    pid: process.pid,
    start: OWN_START ?? null,
    command: process.argv.slice(1, 2).join(' '),
    since: new Date().toISOString(),
  })}\n`;
  writeFileSync(file, body, { mode: 0o644 });
  return { file, pid: process.pid, body };
}

/** Writes a live process's lease again if it went missing (removed by hand, say). */
export function renewLease(lease: Lease, paths: Paths): void {
  if (existsSync(lease.file)) return;
  mkdirSync(paths.leases, { recursive: true });
  writeFileSync(lease.file, lease.body, { mode: 0o644 });
}

export function removeLease(lease: Lease): void {
  rmSync(lease.file, { force: true });
}

/** A lease's process from its file name; undefined for a file that is not a lease. */
function holderOf(name: string): { pid: number; start: string | undefined } | undefined {
  const match = /^(\d+)-([^-]+)-[0-9a-f]+$/.exec(name);
  if (!match) return undefined;
  return { pid: Number(match[1]), start: match[2] === 'unknown' ? undefined : match[2] };
}

/** The live leases' files; stale ones are removed on the way. */
export function liveLeases(paths: Paths): string[] {
  let names: string[];
  try {
    names = readdirSync(paths.leases);
  } catch {
    return [];
  }
  const live: string[] = [];
  for (const name of names) {
    const holder = holderOf(name);
    if (!holder) continue; // not ours (an editor's backup, a temporary file): ignored
    if (isRunning(holder.pid, holder.start)) live.push(join(paths.leases, name));
    else rmSync(join(paths.leases, name), { force: true });
  }
  return live;
}
