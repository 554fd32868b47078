import type { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/**
 * One run of the CLI, handed to the command tree: where it reads and writes, and the exit code a
 * command chose when it succeeded but must not exit 0 (`jobs dry-run` answering "refused").
 */
export interface Invocation {
  readonly io: CliIo;
  exitCode: ExitCode;
}
