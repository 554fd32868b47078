import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built Manager, as `pnpm start` runs it (`pnpm bench` builds it first). */
export const MANAGER_MAIN = fileURLToPath(new URL('../../apps/http/dist/main.js', import.meta.url));

export interface ManagerOptions {
  databaseUrl: string;
  secret: string;
  poolSize: number;
  /** Run under `node --cpu-prof`, writing the profile into this folder at exit. */
  cpuProfileDir?: string;
}

export interface ManagerProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** SIGTERM (graceful shutdown, which also writes a CPU profile), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * Starts the Manager as a production deployment would: NODE_ENV=production, LOG_LEVEL=warn (a
 * log line per request is a real cost, but not the one measured here), a rate limit far above
 * any bench rate (one credential sends everything), and a pool sized for two cores.
 */
export async function startManager(options: ManagerOptions): Promise<ManagerProcess> {
  if (!existsSync(MANAGER_MAIN)) {
    throw new Error(`${MANAGER_MAIN} is missing: build first (pnpm bench builds, or pnpm build)`);
  }
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, MANAGER_MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      PIPELINEJOBS_SECRET: options.secret,
      PIPELINEJOBS_POOL_SIZE: String(options.poolSize),
      PIPELINEJOBS_RATE_LIMIT: '10000000',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await listeningUrl(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the Manager process has no pid');
  return {
    url,
    pid,
    stop: () => stopChild(child),
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let stdout = '';
    let stderr = '';
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr.trim()}`));
    };
    const timer = setTimeout(
      () => fail(new Error('the Manager did not start listening within 60 s')),
      60_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      // Echoed: a warning during a run may explain a result.
      if (!settled) stderr += chunk.toString();
      process.stderr.write(`[manager] ${chunk.toString()}`);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (settled) return;
      stdout += chunk.toString();
      const match = /PipelineJobs Manager listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        settled = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`the Manager exited with code ${code} before listening`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
