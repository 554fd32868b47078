#!/usr/bin/env node
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { failureOf } from './failure.js';
import { createProgram } from './program.js';

/** Exits once stdout and stderr have flushed (pipes can be asynchronous). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/** `pipelinejobs ... | head` closes the pipe early; that is not an error. */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help or version).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = failureOf(error);
    process.stderr.write(`${failure.line}\n`);
    return failure.exitCode;
  }
}

main(process.argv).then(exit, (error: unknown) => {
  // Only reachable if reporting itself failed; still one line, no stack.
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(EXIT.unexpected);
});
