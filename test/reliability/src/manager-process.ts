import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from './config.js';
import { rememberPid, runDir } from './run-dir.js';
import { writeLog } from './run-files.js';

export const MANAGER_MAIN = 'apps/http/dist/main.js';

export interface ManagerOptions {
  /** Names the log file: `<name>-<pid>.log` in the run directory. */
  name: string;
  databaseUrl: string;
  secret: string;
  /** PIPELINEJOBS_RATE_LIMIT; high by default so only the rate-limit test meets it. */
  rateLimit?: number;
  poolSize?: number;
}

/** Only what the Manager needs: nothing of the test runner's environment leaks in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * A Manager as operators run it: `node apps/http/dist/main.js` from the repository root, with
 * its configuration in the environment, stdout and stderr captured (for the secret leak check).
 */
export class ManagerProcess {
  readonly logs: string[] = [];
  base = '';
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private flushed = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exit = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.flush();
        resolve({ code, signal });
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString('utf8')));
  }

  static async start(options: ManagerOptions): Promise<ManagerProcess> {
    const child = spawn(process.execPath, [MANAGER_MAIN], {
      cwd: REPO_ROOT,
      env: {
        ...baseEnv(),
        DATABASE_URL: options.databaseUrl,
        PIPELINEJOBS_SECRET: options.secret,
        PORT: '0',
        LOG_LEVEL: 'info',
        PIPELINEJOBS_RATE_LIMIT: String(options.rateLimit ?? 10_000_000),
        PIPELINEJOBS_POOL_SIZE: String(options.poolSize ?? 10),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not start ${MANAGER_MAIN}`);
    rememberPid(child.pid, `manager ${options.name}`);
    const manager = new ManagerProcess(options.name, child);
    manager.base = await manager.listening(30_000);
    return manager;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The log file's name in the run directory. */
  get logName(): string {
    return `${this.name}-${this.pid}.log`;
  }

  logText(): string {
    return this.logs.join('');
  }

  /** Waits for `PipelineJobs Manager listening on http://HOST:PORT` on stdout. */
  private listening(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        cleanup();
        this.child.kill('SIGKILL');
        reject(new Error(`Manager ${this.name} did not start in ${timeoutMs} ms:\n${this.logText()}`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        const match = /PipelineJobs Manager listening on (http:\/\/\S+)/.exec(seen);
        if (match?.[1]) {
          cleanup();
          resolve(match[1]);
        }
      };
      const onClose = (code: number | null) => {
        cleanup();
        reject(new Error(`Manager ${this.name} exited with ${code} before listening:\n${this.logText()}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.off('close', onClose);
      };
      this.child.stdout?.on('data', onData);
      this.child.once('close', onClose);
    });
  }

  /** kill -9: no shutdown, no flush, in-flight requests get no answer. */
  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exit;
  }

  /** A graceful stop (SIGTERM), then SIGKILL after 15 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      const { code } = await this.exit;
      clearTimeout(timer);
      return code;
    }
    return (await this.exit).code;
  }

  private flush(): void {
    if (this.flushed) return;
    this.flushed = true;
    writeLog(runDir(), this.logName, this.logText());
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
