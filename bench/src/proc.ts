import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process accounting from Linux /proc. Used to report the Manager's RSS and to split CPU time
 * between PostgreSQL, the app under test (Manager or nothing) and the load generator: on a
 * 2-core machine all three share the cores, so CPU per event explains most ratio gaps.
 */

/** Kernel clock ticks per second (USER_HZ); 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

/** Resident set size in MB, or undefined when the process is gone (or there is no /proc). */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

interface StatFields {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime (children that exited and were waited for), seconds. */
  children: number;
}

function stat(pid: number | 'self'): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may contain spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5): ppid is field 4, utime..cstime are fields 14..17.
  const n = (field: number) => Number(fields[field - 3]);
  return {
    ppid: n(4),
    own: (n(14) + n(15)) / TICKS_PER_SECOND,
    children: (n(16) + n(17)) / TICKS_PER_SECOND,
  };
}

/** CPU seconds used so far by one process itself. */
export function cpuSeconds(pid: number): number | undefined {
  return stat(pid)?.own;
}

/** CPU seconds of this process's children that have exited (pgbench, after each run). */
export function reapedChildrenCpuSeconds(): number {
  return stat('self')?.children ?? 0;
}

/** The postmaster of a backend pid, when that backend runs on this machine. */
export function postmasterOf(backendPid: number): number | undefined {
  try {
    if (readFileSync(`/proc/${backendPid}/comm`, 'utf8').trim() !== 'postgres') return undefined;
  } catch {
    return undefined;
  }
  return stat(backendPid)?.ppid;
}

/**
 * CPU seconds of a PostgreSQL server: the postmaster, its live children, and (through the
 * postmaster's cutime) every backend that has already exited. Differences of two readings give
 * the server's CPU over an interval even when pgbench's backends exit in between.
 */
export function serverCpuSeconds(postmasterPid: number): number | undefined {
  const postmaster = stat(postmasterPid);
  if (!postmaster) return undefined;
  let total = postmaster.own + postmaster.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = stat(Number(entry));
    if (child?.ppid === postmasterPid) total += child.own;
  }
  return total;
}

/** Samples a process's RSS every `intervalMs` and keeps the maximum. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private maxMb = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling; returns the largest RSS seen (MB). */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.maxMb;
  }

  private sample(): void {
    const mb = rssMb(this.pid);
    if (mb !== undefined && mb > this.maxMb) this.maxMb = mb;
  }
}
