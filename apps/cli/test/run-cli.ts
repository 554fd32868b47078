import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { afterAll, beforeAll } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import type { CliWriter } from '../src/io.js';
import { run } from '../src/run.js';

export const SECRET = 'test-secret-for-the-cli-suite-0123456789';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  /** The call's scratch working directory, already removed. */
  cwd: string;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to (or, with `undefined`, removed from) the environment the call starts from. */
  env?: Record<string, string | undefined>;
  /** What the CLI reads as stdin (`-`, `@-`). */
  input?: string;
  /** Aborting it is Ctrl-C. */
  signal?: AbortSignal;
  /** Whether stdout and stderr say they are terminals. */
  tty?: boolean;
  /** The terminals' width (default 100). */
  columns?: number;
}

/** A writable that keeps what it is given, for the output of an in-process run. */
export function textBuffer(isTTY = false, columns = 100): CliWriter & { text(): string } {
  let text = '';
  return {
    isTTY,
    columns,
    write(chunk: string) {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

/**
 * A fresh temporary working directory for one call, with the environment built from scratch so
 * the machine's DATABASE_URL or secret never leak in and nothing can touch an embedded database
 * of the developer's; removed (with any embedded server started in it) when `work` ends.
 */
async function inScratchDirectory<T>(
  extraEnv: CliOptions['env'],
  work: (cwd: string, env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const cwd = mkdtempSync(join(tmpdir(), 'pipelinejobs-cli-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? cwd,
    PIPELINEJOBS_SECRET: SECRET,
    PIPELINEJOBS_DATA_DIR: join(cwd, 'data'),
  };
  for (const [name, value] of Object.entries(extraEnv ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  try {
    return await work(cwd, env);
  } finally {
    const dataDir = join(cwd, 'data');
    if (existsSync(dataDir)) await releaseEmbeddedServer(dataDir, { force: true }).catch(() => false);
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Runs `pipelinejobs` in this process through `run`, as main.ts would, in a scratch directory. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return inScratchDirectory(options.env, async (cwd, env) => {
    const stdout = textBuffer(options.tty, options.columns);
    const stderr = textBuffer(options.tty, options.columns);
    const code = await run(args, {
      stdout,
      stderr,
      env,
      cwd,
      stdin: Readable.from(options.input === undefined ? [] : [options.input]),
      user: 'cli-test',
      signal: options.signal,
    });
    return { code, cwd, stdout: stdout.text(), stderr: stderr.text() };
  });
}

/**
 * Runs the built `pipelinejobs` as a real process, for what only the process shows (main.ts:
 * argv, streams, exit code, signals). `started` sees the child as soon as it is spawned.
 */
export function spawnCli(
  args: readonly string[],
  options: {
    env?: CliOptions['env'];
    input?: string;
    started?: (child: ChildProcess) => void;
  } = {},
): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return inScratchDirectory(
    options.env,
    (cwd, env) =>
      new Promise((resolve, reject) => {
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
        child.on('close', (code, signal) => resolve({ code, signal, cwd, stdout, stderr }));
        child.stdin.end(options.input ?? '');
        options.started?.(child);
      }),
  );
}

/** A CLI bound to one database URL, for the suites that share a database per file. */
function cliFor(url: string) {
  return (args: readonly string[], options: CliOptions = {}) =>
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
  const cli = (args: readonly string[], options: CliOptions = {}) => {
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
