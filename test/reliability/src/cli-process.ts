import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { baseEnv } from '../../manager-process.js';
import { REPO_ROOT } from './config.js';
import { rememberPid, runDir } from './run-dir.js';
import { writeLog } from './run-files.js';

const CLI_MAIN = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The built CLI (`node apps/cli/dist/main.js`) as a user runs it, with only `env` added to the
 * base environment (no DATABASE_URL unless given); its output goes to the run directory's logs.
 */
export function runCli(name: string, args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) rememberPid(child.pid, `cli ${name}`);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      writeLog(runDir(), `cli-${name}-${child.pid}.log`, stderr);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}
