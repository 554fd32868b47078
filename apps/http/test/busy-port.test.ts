import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import {
  baseEnv,
  MANAGER_MAIN,
  type ManagerChild,
  REPO_ROOT,
  startManagerProcess,
} from '../../../test/manager-process.js';

const SECRET = 'busy-port-secret-0123456789abcdef';

let first: ManagerChild;
let env: Record<string, string>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const opened = await openTestDatabase();
  cleanup = opened.cleanup;
  env = { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: SECRET, LOG_LEVEL: 'warn' };
  first = await startManagerProcess({ env });
});

afterAll(async () => {
  await first.stop();
  await cleanup();
});

/** Runs a second built Manager to its end and returns what it said. */
function runSecond(port: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MANAGER_MAIN], {
      cwd: REPO_ROOT,
      env: { ...baseEnv(), ...env, PORT: port },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    // A Manager that wrongly keeps running is stopped after 20 s; the test then fails on its output.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a second Manager on a busy port', () => {
  it('exits non-zero with one line naming the port, and never says it listens', async () => {
    const port = new URL(first.url).port;
    const second = await runSecond(port);
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stdout).not.toContain('listening');
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`port ${port}`);
    expect(lines[0]).toContain('in use');
    // The first Manager is untouched.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });
});
