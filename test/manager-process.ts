import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built Manager as operators run it (`pnpm start` runs this file). Shared by the HTTP app's
 * quickstart test, the CLI's tests, the reliability suite and the bench, so all of them start,
 * wait for and stop a Manager the same way.
 */
export const MANAGER_MAIN = fileURLToPath(new URL('../apps/http/dist/main.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const LISTENING = /PipelineJobs Manager listening on (http:\/\/\S+)/;

/** Only what a process needs from the caller's environment; nothing else leaks in. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export interface StartOptions {
  /** Added to `baseEnv()`: DATABASE_URL, PIPELINEJOBS_SECRET, LOG_LEVEL, ... (PORT defaults to 0). */
  env: Record<string, string>;
  /** Arguments for node before the script, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  /** The script to run; default this checkout's MANAGER_MAIN (the bench's A/B runs another's). */
  main?: string;
  /** Default: the repository root. */
  cwd?: string;
  /** How long to wait for the listening line. Default 30 s. */
  timeoutMs?: number;
  /** Every chunk of output, as it arrives. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export interface ManagerChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  readonly running: boolean;
  /** Resolves when the process has exited and its streams closed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9: no shutdown, in-flight requests get no answer. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful shutdown), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `node apps/http/dist/main.js` and waits until it says where it listens. */
export async function startManagerProcess(options: StartOptions): Promise<ManagerChild> {
  const main = options.main ?? MANAGER_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (pnpm build)`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), main], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...baseEnv(), PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${main}`);
  const chunks: string[] = [];
  const collect = (stream: 'stdout' | 'stderr') => (data: Buffer) => {
    const text = data.toString('utf8');
    chunks.push(text);
    options.onOutput?.(text, stream);
  };
  child.stdout?.on('data', collect('stdout'));
  child.stderr?.on('data', collect('stderr'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const output = () => chunks.join('');
  const running = () => child.exitCode === null && child.signalCode === null;

  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the Manager did not start listening within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const match = LISTENING.exec(output());
      if (match?.[1]) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 10);
    void exited.then(({ code, signal }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`the Manager exited (${code ?? signal}) before listening:\n${output()}`));
    });
  });

  return {
    child,
    pid,
    url,
    output,
    get running() {
      return running();
    },
    exited,
    async kill9() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const { code } = await exited;
        clearTimeout(timer);
        return code;
      }
      return (await exited).code;
    },
  };
}
