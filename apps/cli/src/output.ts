import { colorWanted, createStyle, type Style } from './ansi.js';
import type { GlobalOptions } from './global-options.js';
import type { CliIo, CliWriter } from './io.js';

export interface Output {
  /** True with --json: stdout then carries exactly one JSON document. */
  readonly json: boolean;
  readonly style: Style;
  /** Whether stderr is a terminal (progress displays and hints go there only then). */
  readonly interactive: boolean;
  /** stderr when it is a terminal, for displays redrawn in place (progress); otherwise none. */
  readonly terminal: CliWriter | undefined;
  /**
   * How wide tables may be: the terminal's columns when stdout is one (or COLUMNS when set);
   * otherwise unlimited, so a pipe or a file gets every cell whole.
   */
  readonly width: number | undefined;
  /** The command's result: as JSON with --json, otherwise through `human`. Call once. */
  result(value: unknown, human: () => void): void;
  /** A line of human output on stdout. */
  line(text?: string): void;
  /** A hint for a person on stderr, never part of the result; silent with --json. */
  note(text: string): void;
}

export function createOutput(options: GlobalOptions, io: CliIo): Output {
  const { stdout, stderr, env } = io;
  const style = createStyle(!options.json && colorWanted(stdout, env, options.color));
  const stderrStyle = createStyle(colorWanted(stderr, env, options.color));
  const interactive = stderr.isTTY === true;
  // After Ctrl-C the command says nothing more: run has already answered 130.
  const stopped = () => io.signal?.aborted === true;
  const columns = Number(env.COLUMNS);
  const width =
    Number.isInteger(columns) && columns > 0
      ? columns
      : stdout.isTTY && stdout.columns
        ? stdout.columns
        : undefined;
  return {
    json: options.json,
    style,
    width,
    interactive,
    terminal: interactive ? stderr : undefined,
    result(value, human) {
      if (stopped()) return;
      if (options.json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    line(text = '') {
      if (stopped()) return;
      stdout.write(`${text}\n`);
    },
    note(text) {
      if (!options.json && !stopped()) stderr.write(`${stderrStyle.dim(text)}\n`);
    },
  };
}
