import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs, by pid and (where /proc exists) its start time, so that a pid
 * reused by an unrelated process after the original died is not taken for the original.
 *
 * A process is treated as gone only when that is certain: no such pid, a zombie, or a pid whose
 * start time differs from the one recorded. Anything uncertain (no /proc, a process of another
 * user hidden by `hidepid`) counts as running, so a live process is never taken for a dead one.
 * Processes sharing a data directory must therefore share a pid namespace (one host or container).
 */

const PROC = (() => {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
})();

/** `/proc/<pid>/stat`: state (field 3) and start time in clock ticks since boot (field 22). */
function stat(pid: number): { state: string; start: string } | 'gone' | undefined {
  if (!PROC) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, start] = [fields[0], fields[19]];
  return state && start ? { state, start } : undefined;
}

/**
 * False only when /proc shows that `pid` was not started with `argument` on its command line (a
 * dead server's pid reused by another process, even another PostgreSQL's); true when it cannot tell.
 */
export function startedWith(pid: number, argument: string): boolean {
  if (!PROC) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(argument);
  } catch {
    return true;
  }
}

/** A process's start time in clock ticks since boot, or undefined where it cannot be read. */
function startTimeOf(pid: number): string | undefined {
  const found = stat(pid);
  return typeof found === 'object' ? found.start : undefined;
}

/** This process's start time (undefined where it cannot be read): with the pid, who we are. */
export const OWN_START = startTimeOf(process.pid);

/** True unless the process is certainly gone (see above); `start` checks its identity too. */
export function isRunning(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const found = stat(pid);
  if (found === 'gone') return false;
  if (found === undefined) return true;
  if (found.state === 'Z' || found.state === 'X') return false; // dead, not yet reaped
  return start === undefined || found.start === start;
}
