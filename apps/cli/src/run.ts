import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { type Failure, failureDocument, failureOf } from './failure.js';
import type { Invocation } from './invocation.js';
import type { CliIo } from './io.js';
import { createProgram } from './program.js';

/** Whether --json was asked for (before a `--`, after which arguments are operands). */
function jsonWanted(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** With --json a failure is still exactly one JSON document on stdout (and its line on stderr). */
function printJson(io: CliIo, failure: Failure): void {
  io.stdout.write(`${JSON.stringify(failureDocument(failure), null, 2)}\n`);
}

/**
 * Runs `pipelinejobs` with `argv` (the arguments after the program name) against `io`, and
 * returns the exit code. Everything the command reads or writes goes through `io`, so tests run
 * it in-process; main.ts is the only place that binds it to the process.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const invocation: Invocation = { io, exitCode: EXIT.ok };
  let code: number;
  try {
    await createProgram(invocation).parseAsync([...argv], { from: 'user' });
    code = invocation.exitCode;
  } catch (error) {
    if (io.signal?.aborted) {
      // Whatever failed after Ctrl-C failed because of it; the shell already shows ^C.
      code = EXIT.interrupted;
    } else if (error instanceof CommanderError) {
      // commander has already written its message (or the help or version) to the io.
      code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (code !== EXIT.ok && jsonWanted(argv)) {
        const line = error.message.startsWith('error: ') ? error.message : `error: ${error.message}`;
        printJson(io, { line, exitCode: EXIT.usage, code: 'usage' });
      }
    } else {
      const failure = failureOf(error);
      io.stderr.write(`${failure.line}\n`);
      if (jsonWanted(argv)) printJson(io, failure);
      code = failure.exitCode;
    }
  }
  return io.signal?.aborted ? EXIT.interrupted : code;
}
