/**
 * A stream the CLI writes to: `process.stdout` or `process.stderr` in main.ts, a buffer in tests.
 * `isTTY` decides colour and progress displays, `columns` the width of `--help`.
 */
export interface CliWriter {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Everything one run of the CLI reads from or writes to its surroundings. main.ts fills it from
 * `process`; tests fill it with buffers and a temporary directory, so nothing else in the CLI
 * touches the process (its environment, working directory, streams, signals or exit).
 */
export interface CliIo {
  readonly stdout: CliWriter;
  readonly stderr: CliWriter;
  /** The environment the configuration is read from (DATABASE_URL, PIPELINEJOBS_*, NO_COLOR). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (documents, the default data directory) are resolved from here. */
  readonly cwd: string;
  /** What `-` and `@-` read; absent: nothing (an empty document). */
  readonly stdin?: AsyncIterable<Uint8Array | string>;
  /** The operator's user name; absent: USER, else LOGNAME, from `env`. */
  readonly user?: string;
  /**
   * Aborted on Ctrl-C: the command stops (its running statements cancelled), the database is
   * closed, and run returns 130.
   */
  readonly signal?: AbortSignal;
}
