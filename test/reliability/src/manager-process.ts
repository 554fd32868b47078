import { spawn } from 'node:child_process';
import { baseEnv, MANAGER_MAIN, type ManagerChild, startManagerProcess } from '../../manager-process.js';
import { REPO_ROOT } from './config.js';
import { rememberPid, runDir } from './run-dir.js';
import { writeLog } from './run-files.js';

export interface ManagerOptions {
  /** Names the log file: `<name>-<pid>.log` in the run directory. */
  name: string;
  /** An external database and the secret that goes with it... */
  databaseUrl?: string;
  secret?: string;
  /** ...or no DATABASE_URL: the embedded default in this folder (its secret is kept there). */
  dataDir?: string;
  /** PIPELINEJOBS_POOL_IDLE_TIMEOUT, seconds. */
  poolIdleSeconds?: number;
  /** PIPELINEJOBS_RATE_LIMIT; high by default so only the rate-limit test meets it. */
  rateLimit?: number;
  poolSize?: number;
  /** Further variables (the webhook settings, ...). */
  env?: Record<string, string>;
}

/**
 * A Manager as operators run it (test/manager-process.ts), logging at info, with its output
 * written to the run directory when it exits (for the secret leak check).
 */
export class ManagerProcess {
  private constructor(
    readonly name: string,
    private readonly managed: ManagerChild,
  ) {
    void managed.exited.then(() => writeLog(runDir(), this.logName, this.logText()));
  }

  static async start(options: ManagerOptions): Promise<ManagerProcess> {
    const managed = await startManagerProcess({
      env: {
        ...(options.databaseUrl !== undefined && { DATABASE_URL: options.databaseUrl }),
        ...(options.secret !== undefined && { PIPELINEJOBS_SECRET: options.secret }),
        ...(options.dataDir !== undefined && { PIPELINEJOBS_DATA_DIR: options.dataDir }),
        ...(options.poolIdleSeconds !== undefined && {
          PIPELINEJOBS_POOL_IDLE_TIMEOUT: String(options.poolIdleSeconds),
        }),
        LOG_LEVEL: 'info',
        PIPELINEJOBS_RATE_LIMIT: String(options.rateLimit ?? 10_000_000),
        PIPELINEJOBS_POOL_SIZE: String(options.poolSize ?? 10),
        ...options.env,
      },
    });
    rememberPid(managed.pid, `manager ${options.name}`);
    return new ManagerProcess(options.name, managed);
  }

  get base(): string {
    return this.managed.url;
  }

  get pid(): number {
    return this.managed.pid;
  }

  get running(): boolean {
    return this.managed.running;
  }

  /** The log file's name in the run directory. */
  get logName(): string {
    return `${this.name}-${this.pid}.log`;
  }

  logText(): string {
    return this.managed.output();
  }

  /** kill -9: no shutdown, no flush, in-flight requests get no answer. */
  kill9(): Promise<void> {
    return this.managed.kill9();
  }

  /** A graceful stop (SIGTERM), then SIGKILL after 15 s; resolves with the exit code. */
  stop(): Promise<number | null> {
    return this.managed.stop(15_000);
  }
}

/** Runs the Manager expecting it to refuse to start; returns how it ended. */
export function runManagerToExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}> {
  const started = performance.now();
  const child = spawn(process.execPath, [MANAGER_MAIN], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) rememberPid(child.pid, 'manager refused-start');
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      writeLog(runDir(), `refused-start-${child.pid}.log`, stdout + stderr);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
