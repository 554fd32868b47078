import { startManagerProcess } from '../../test/manager-process.js';

export interface ManagerOptions {
  databaseUrl: string;
  secret: string;
  poolSize: number;
  /** Run under `node --cpu-prof`, writing the profile into this folder at exit. */
  cpuProfileDir?: string;
  /** The Manager's main script; default this checkout's (the A/B mode runs another's too). */
  main?: string;
  /** More variables for the Manager (the streams case raises its stream caps). */
  env?: Record<string, string>;
}

export interface ManagerProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** SIGTERM (graceful shutdown, which also writes a CPU profile), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * Starts the built Manager as a production deployment would: NODE_ENV=production, LOG_LEVEL=warn
 * (a log line per request is a real cost, but not the one measured here), a rate limit far above
 * any bench rate (one credential sends everything), and a pool sized for two cores. Its stderr is
 * echoed: a warning during a run may explain a result.
 */
export async function startManager(options: ManagerOptions): Promise<ManagerProcess> {
  const manager = await startManagerProcess({
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      PIPELINEJOBS_SECRET: options.secret,
      PIPELINEJOBS_POOL_SIZE: String(options.poolSize),
      PIPELINEJOBS_RATE_LIMIT: '10000000',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The notification case's receiver runs on this machine.
      PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE: 'true',
      ...options.env,
    },
    ...(options.main ? { main: options.main } : {}),
    nodeArgs: options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [],
    timeoutMs: 60_000,
    onOutput: (chunk, stream) => {
      if (stream === 'stderr' || process.env.BENCH_MANAGER_OUTPUT) process.stderr.write(`[manager] ${chunk}`);
    },
  });
  return {
    url: manager.url,
    pid: manager.pid,
    stop: async () => {
      await manager.stop(20_000);
    },
  };
}
