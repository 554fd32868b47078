import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';

export const SECRET = 'test-secret-for-the-cli-suite-0123456789';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `pipelinejobs` as a real process. The environment is built from scratch so the
 * machine's DATABASE_URL or secret never leak in; the working and data directories are fresh
 * temporary ones, so nothing can touch an embedded database of the developer's.
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'pipelinejobs-cli-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? cwd,
    PIPELINEJOBS_SECRET: SECRET,
    PIPELINEJOBS_DATA_DIR: join(cwd, 'data'),
  };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI bound to one database URL, for the suites that share a database per file. */
function cliFor(url: string) {
  return (args: readonly string[], options: Parameters<typeof runCli>[1] = {}) =>
    runCli([...args, '--database-url', url], options);
}

/**
 * A CLI bound to a database of this test file's own, opened before its tests and dropped after
 * them; `cli.url()` is that database's URL (for a Manager process on the same data).
 */
export function useTestDatabaseCli() {
  let bound: ReturnType<typeof cliFor> | undefined;
  let url = '';
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await openTestDatabase({ poolSize: 2 });
    ({ url, cleanup } = database);
    bound = cliFor(url);
  });
  afterAll(() => cleanup?.());
  const cli = (args: readonly string[], options: Parameters<typeof runCli>[1] = {}) => {
    if (!bound) throw new Error('the test database is not open yet (use cli inside a test)');
    return bound(args, options);
  };
  return Object.assign(cli, { url: () => url });
}

/** Parses stdout as exactly one JSON document, with the output in the message when it is not. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}
