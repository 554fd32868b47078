import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fail } from './errors.js';
import { isRunning, OWN_START } from './processes.js';

/**
 * Exclusive start/stop section across processes: a lock file naming its owner by pid, process
 * start time and a token of this hold, `{"pid":..,"start":..,"token":..}`. A lock whose owner is
 * certainly gone (processes.ts: no such pid, or one started at another time, i.e. reused) is
 * broken. A lock naming this process that this process does not hold was left by an earlier
 * process with the same pid: a restarted container's PID 1 finds its predecessor's. A lock without
 * an owner yet is being written (its owner is between creating and filling it) unless it has
 * stayed so for `LOCK_WRITE_MS`. Like leases, this needs the processes sharing a data directory
 * to share a pid namespace.
 */
export async function withStartLock<T>(lock: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const token = randomBytes(9).toString('base64url');
  for (;;) {
    if (create(lock, token)) break;
    const holder = lockHolder(lock);
    if (holder === 'gone') continue;
    if (typeof holder === 'object' && breakLock(lock, holder) === 'broken') continue;
    if (Date.now() > deadline) {
      const who = typeof holder === 'number' ? `process ${holder}` : 'another process';
      fail(`Timed out waiting for ${who} to start the embedded PostgreSQL`);
    }
    await sleep(50);
  }
  try {
    return await work();
  } finally {
    held.delete(token);
    removeOwn(lock, token);
  }
}

const LOCK_WRITE_MS = 10_000;

/** The tokens of the locks this process holds now. */
const held = new Set<string>();

/** Takes the lock if nobody holds it. */
function create(lock: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  held.add(token); // before anything else in this process can look at the lock
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, start: OWN_START ?? null, token })}\n`);
  } catch (error) {
    held.delete(token);
    rmSync(lock, { force: true }); // a full disk, say: no empty lock left behind
    throw error;
  } finally {
    closeSync(fd);
  }
  return true;
}

/** A lock as read: which file (inode) and what it said, so that breaking it breaks only that one. */
interface Seen {
  readonly ino: number;
  readonly text: string;
  /** When it was last written. */
  readonly mtimeMs: number;
}

const read = (path: string): Seen | undefined => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { ino, mtimeMs } = fstatSync(fd);
    return { ino, mtimeMs, text: readFileSync(fd, 'utf8').trim() };
  } finally {
    closeSync(fd);
  }
};

/** The owner a lock names; undefined while it is being written. A bare pid is an older version's. */
function ownerOf(text: string): { pid: number; start?: string; token?: string } | undefined {
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const { pid, start, token } = JSON.parse(text) as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    return {
      pid,
      ...(typeof start === 'string' ? { start } : {}),
      ...(typeof token === 'string' ? { token } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The lock's live owner; 'writing' while its owner fills it in; the lock as read when its owner
 * is dead (to be broken); 'gone' when it was released.
 */
function lockHolder(lock: string): number | 'writing' | Seen | 'gone' {
  const seen = read(lock);
  if (!seen) return 'gone';
  const owner = ownerOf(seen.text);
  if (!owner) return Date.now() - seen.mtimeMs > LOCK_WRITE_MS ? seen : 'writing';
  const alive =
    owner.pid === process.pid
      ? owner.token !== undefined && held.has(owner.token)
      : isRunning(owner.pid, owner.start);
  return alive ? owner.pid : seen;
}

const BREAKER_STUCK_MS = 10_000;

/**
 * Removes a dead owner's lock, and only that one: a live owner's lock is never moved or removed,
 * not even for a moment. The breaker first gives the lock a second name derived from what it
 * read (link: atomic, and it fails when the name exists), so of the processes breaking the same
 * dead lock one at a time goes on. Through that name it checks that the file is the one it read
 * (not a live owner's that replaced it meanwhile); if so, nobody else can have removed the lock
 * since (its owner is dead, the other breakers of it wait), and it removes it.
 *
 * A breaker killed between those few system calls leaves its name behind; one untouched for
 * `BREAKER_STUCK_MS` is skipped for the next (`-2`, `-3`, ...), so a stuck name never blocks.
 */
function breakLock(lock: string, seen: Seen): 'broken' | 'busy' {
  const base = `${lock}.breaking-${createHash('sha256').update(`${seen.ino}\n${seen.text}`).digest('hex').slice(0, 16)}`;
  for (let n = 1; ; n += 1) {
    const name = `${base}-${n}`;
    try {
      linkSync(lock, name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'broken'; // released or broken meanwhile: look again
      if (code !== 'EEXIST') {
        fail(
          `Cannot break the start lock ${lock} of a process that is gone (${code}: the file system must ` +
            'allow hard links): remove it by hand once no process uses the data directory',
          error,
        );
      }
      if (touchedWithin(name, BREAKER_STUCK_MS)) return 'busy'; // another process is breaking it
      continue;
    }
    try {
      const linked = read(name);
      if (linked?.ino === seen.ino && linked.text === seen.text) unlinkSync(lock);
    } finally {
      for (let k = n; k >= 1; k -= 1) rmSync(`${base}-${k}`, { force: true });
    }
    return 'broken';
  }
}

/** Whether the file changed (was linked, say) within `ms`; false when it is gone. */
function touchedWithin(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).ctimeMs < ms;
  } catch {
    return false;
  }
}

/** Releases the lock if it is still this hold's (it always is while the processes share a pid namespace). */
function removeOwn(lock: string, token: string): void {
  const seen = read(lock);
  if (seen && ownerOf(seen.text)?.token === token) rmSync(lock, { force: true });
}
