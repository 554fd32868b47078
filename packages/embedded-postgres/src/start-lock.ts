import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fail } from './errors.js';
import { isRunning } from './processes.js';

/**
 * Exclusive start/stop section across processes: a lock file holding the owner's pid. A lock
 * whose owner is dead is broken; one without a pid yet is being written (its owner is between
 * creating and filling it) unless it has stayed empty for `LOCK_WRITE_MS`.
 */
export async function withStartLock<T>(lock: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(lock);
      if (holder === 'gone') continue;
      if (holder === 'dead') {
        breakLock(lock);
        continue;
      }
      if (Date.now() > deadline) {
        const who = holder === 'writing' ? 'another process' : `process ${holder}`;
        fail(`Timed out waiting for ${who} to start the embedded PostgreSQL`);
      }
      await sleep(50);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

const LOCK_WRITE_MS = 10_000;

/**
 * The lock's live owner; 'writing' while its owner fills it in; 'dead' when a killed process left
 * it; 'gone' when it was released.
 */
function lockHolder(lock: string): number | 'writing' | 'dead' | 'gone' {
  let text: string;
  let age: number;
  try {
    text = readFileSync(lock, 'utf8').trim();
    age = Date.now() - statSync(lock).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const pid = Number(text);
  if (Number.isInteger(pid) && pid > 0) return isRunning(pid) ? pid : 'dead';
  return age > LOCK_WRITE_MS ? 'dead' : 'writing';
}

/**
 * Removes a dead owner's lock. It is first renamed aside, so that of two processes breaking it
 * at once only one removes it; if what was renamed turns out to be a live owner's new lock, it
 * is put back.
 */
function breakLock(lock: string): void {
  const aside = `${lock}.${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const holder = lockHolder(aside);
    if (holder !== 'dead' && holder !== 'gone') renameSync(aside, lock);
  } finally {
    rmSync(aside, { force: true });
  }
}
