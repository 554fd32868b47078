#!/usr/bin/env node
import { userInfo } from 'node:os';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { run } from './run.js';

// The only file that touches the process: it binds `run` to argv, the environment, the working
// directory, the standard streams, SIGINT and the exit code.

/** Exits once stdout and stderr have flushed (pipes can be asynchronous). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/** `pipelinejobs ... | head` closes the pipe early; that is not an error. */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

/**
 * The first Ctrl-C stops the command, which closes the database (for the embedded default, stops
 * the server if no one else uses it) and exits 130; a second one does not wait for that.
 */
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) {
    process.stderr.write(
      'pipelinejobs: interrupted again; exiting without waiting for the database to close (an embedded server this run started is stopped by the next run that finds no one using it)\n',
    );
    process.exit(EXIT.interrupted);
  }
  interrupt.abort();
});

/** The account's name; with no passwd entry (some containers), USER or LOGNAME instead. */
function userName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  // Read only by commands given `-`: touching process.stdin earlier would open it for nothing.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
  cwd: process.cwd(),
  user: userName(),
  signal: interrupt.signal,
};

run(process.argv.slice(2), io).then(exit, (error: unknown) => {
  // Only reachable if reporting itself failed; still one line, no stack.
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(EXIT.unexpected);
});
