import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type FloorKind = 'node' | 'express';

export interface FloorProcess {
  kind: FloorKind;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
const LISTENING = /listening on (http:\/\/\S+)/;

/**
 * Starts a reference floor (floor-server.ts) as a process of its own, under the same TypeScript
 * loader as the bench (its `execArgv`), so that its CPU is counted apart from the load generator's.
 */
export function startFloor(kind: FloorKind, databaseUrl: string, poolSize: number): Promise<FloorProcess> {
  const child = spawn(process.execPath, [...process.execArgv, SERVER, kind], {
    env: { ...process.env, DATABASE_URL: databaseUrl, POOL_SIZE: String(poolSize), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the ${kind} floor did not start: ${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = LISTENING.exec(output)?.[1];
      if (url === undefined || child.pid === undefined) return;
      clearTimeout(timer);
      resolve({
        kind,
        url,
        pid: child.pid,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(`[${kind} floor] ${chunk}`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${kind} floor exited (${code}): ${output}`));
    });
  });
}
