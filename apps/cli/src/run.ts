import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { failureOf } from './failure.js';
import type { Invocation } from './invocation.js';
import type { CliIo } from './io.js';
import { createProgram } from './program.js';

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
    } else {
      const failure = failureOf(error);
      io.stderr.write(`${failure.line}\n`);
      code = failure.exitCode;
    }
  }
  return io.signal?.aborted ? EXIT.interrupted : code;
}
