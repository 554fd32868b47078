import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { withStartLock } from '../src/start-lock.js';

/**
 * The start lock between real processes (lock-child.mjs), including the two that break it: a
 * restarted container's PID 1, and a breaker slowed down between its steps while others take the
 * lock (system calls delayed with strace).
 */
const child = new URL('./lock-child.mjs', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'pipelinejobs-lock-'));
chmodSync(root, 0o755);
let locks = 0;
const newLock = () => join(root, `start-${++locks}.lock`);
const started: ChildProcess[] = [];

afterEach(() => {
  for (const proc of started.splice(0))
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Whether this machine lets us run `command` (root for namespaces, ptrace for strace). */
const works = (command: string, args: string[]) => {
  try {
    return spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
  } catch {
    return false;
  }
};
const NAMESPACES = ['--pid', '--fork', '--mount-proc', '--kill-child'];
const canUnshare = existsSync('/proc/self/stat') && works('unshare', [...NAMESPACES, 'true']);
const canStrace = works('strace', ['-qq', '-o', '/dev/null', 'true']);

interface Locker {
  proc: ChildProcess;
  /** The lines it said so far (`trying`, `held`, `releasing`, `released`). */
  said: string[];
  /** Resolves when it has said `line`; rejects if it exits first. */
  says(line: string, timeoutMs?: number): Promise<void>;
  release(): void;
  stderr(): string;
  exited: Promise<number | null>;
}

/** A process taking `lock` (with `timeoutMs`), run through `wrapper` (unshare, strace) if given. */
function locker(lock: string, timeoutMs: number, wrapper: string[] = []): Locker {
  const command = [...wrapper, process.execPath, child, lock, String(timeoutMs)];
  const proc = spawn(command[0] as string, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(proc);
  const said: string[] = [];
  let err = '';
  let buffer = '';
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      said.push(buffer.slice(0, at));
      buffer = buffer.slice(at + 1);
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  return {
    proc,
    said,
    async says(line, waitMs = 30_000) {
      const deadline = Date.now() + waitMs;
      while (!said.includes(line)) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`exited (${proc.exitCode ?? proc.signalCode}) before saying ${line}: ${err}`);
        }
        if (Date.now() > deadline) throw new Error(`did not say ${line} within ${waitMs} ms: ${err}`);
        await sleep(20);
      }
    },
    release: () => proc.stdin?.write('release\n'),
    stderr: () => err,
    exited,
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

describe('the start lock', () => {
  it('a lock naming this process that it does not hold (an earlier process with the same pid) is broken', async () => {
    // What a restarted container's Manager finds: the lock of its predecessor, also PID 1.
    const lock = newLock();
    writeFileSync(lock, String(process.pid));
    await expect(withStartLock(lock, 2000, async () => 'ran')).resolves.toBe('ran');
    expect(existsSync(lock), 'released afterwards').toBe(false);
  });

  it('a lock this process holds is waited for, by this process too', async () => {
    const lock = newLock();
    await withStartLock(lock, 10_000, async () => {
      await expect(withStartLock(lock, 300, async () => 'ran')).rejects.toThrow(
        `Timed out waiting for process ${process.pid}`,
      );
    });
    await expect(withStartLock(lock, 300, async () => 'ran')).resolves.toBe('ran');
  });

  it('a live holder is waited for; once it is killed with -9, its lock is broken', async () => {
    const lock = newLock();
    const holder = locker(lock, 30_000);
    await holder.says('held');
    await expect(withStartLock(lock, 500, async () => 'ran')).rejects.toThrow(
      `Timed out waiting for process ${holder.proc.pid}`,
    );
    holder.proc.kill('SIGKILL');
    await holder.exited;
    await expect(withStartLock(lock, 2000, async () => 'ran')).resolves.toBe('ran');
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'a lock whose pid now belongs to another process (another start time) is broken',
    async () => {
      const stranger = spawn('sleep', ['60']);
      started.push(stranger);
      const pid = stranger.pid as number;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
      const lock = newLock();
      // Left by an earlier process that had the stranger's pid.
      writeFileSync(lock, JSON.stringify({ pid, start: String(Number(start) - 1), token: 'earlier' }));
      await expect(withStartLock(lock, 2000, async () => 'ran')).resolves.toBe('ran');
      // The stranger's own lock (its pid and start time) is a live holder's.
      writeFileSync(lock, JSON.stringify({ pid, start, token: 'stranger' }));
      await expect(withStartLock(lock, 500, async () => 'ran')).rejects.toThrow(
        `Timed out waiting for process ${pid}`,
      );
    },
  );

  it.runIf(canUnshare)(
    'a PID 1 killed with -9 while holding the lock does not hold up the next PID 1 (a restarted container)',
    async () => {
      const lock = newLock();
      const first = locker(lock, 30_000, ['unshare', ...NAMESPACES]);
      await first.says('held');
      first.proc.kill('SIGKILL'); // unshare: its child, PID 1 of the namespace, is killed with it
      await first.exited;
      await sleep(200);
      expect(existsSync(lock), 'the killed process left its lock').toBe(true);
      const next = locker(lock, 5000, ['unshare', ...NAMESPACES]);
      await next.says('held', 10_000);
      next.release();
      await next.says('released');
      expect(await next.exited).toBe(0);
    },
  );

  it.runIf(canStrace)(
    'a breaker slowed down between its steps never lets a second process in while one holds the lock',
    async () => {
      const lock = newLock();
      const dead = locker(lock, 30_000);
      await dead.says('held');
      dead.proc.kill('SIGKILL');
      await dead.exited;

      // Every file system change of the slow breaker waits 2 s before and 2 s after it runs.
      const trace = join(root, `trace-${locks}`);
      const calls = 'rename,renameat,renameat2,link,linkat,unlink,unlinkat';
      const delay = `delay_enter=2000000:delay_exit=2000000`;
      const strace = [
        'strace',
        '-f',
        '-qq',
        '-o',
        trace,
        '-e',
        `trace=${calls}`,
        '-e',
        `inject=${calls}:${delay}`,
      ];
      const traced = () => (existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : []);

      const holders = new Set<Locker>();
      let overlap = '';
      const all: Locker[] = [];
      const watch = (who: Locker, name: string) => {
        all.push(who);
        who.proc.stdout?.on('data', () => {
          // From `held` to `releasing`: in its critical section (the lock goes only after that).
          if (who.said.includes('held') && !who.said.includes('releasing')) holders.add(who);
          else holders.delete(who);
          if (holders.size > 1 && !overlap) overlap = `${name} took the lock while another held it`;
        });
        return who;
      };
      const slow = watch(locker(lock, 60_000, strace), 'slow');
      // It found the dead owner's lock and is about to change something (its first call waits).
      await until('the slow breaker starts its first change', () => traced().length > 0);
      const fast = watch(locker(lock, 60_000), 'fast');
      await fast.says('held', 1900);
      // The slow breaker's first change has run; it waits before going on.
      await until('that change has run', () => traced().some((line) => / = /.test(line)));
      const third = watch(locker(lock, 60_000), 'third');
      await third.says('trying');
      await sleep(700);
      // Let the slow breaker finish whatever it does next.
      await sleep(6000);
      expect(overlap, `${overlap}\n${traced().join('\n')}`).toBe('');
      expect([...holders]).toEqual([fast]);
      expect(readFileSync(lock, 'utf8'), 'the lock is the holder’s').toContain(String(fast.proc.pid));

      // Released, the lock goes to the others one at a time.
      fast.release();
      await fast.says('released');
      await until('another takes it', () => holders.size === 1, 30_000);
      const next = [...holders][0] as Locker;
      next.release();
      await next.says('released', 30_000);
      const last = next === slow ? third : slow;
      await last.says('held', 30_000);
      expect(overlap, overlap).toBe('');
    },
  );
});
