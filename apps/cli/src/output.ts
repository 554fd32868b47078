import { colorWanted, createStyle, type Style } from './ansi.js';
import type { GlobalOptions } from './global-options.js';

export interface Output {
  /** True with --json: stdout then carries exactly one JSON document. */
  readonly json: boolean;
  readonly style: Style;
  /** Whether stderr is a terminal (progress displays and hints go there only then). */
  readonly interactive: boolean;
  /** The command's result: as JSON with --json, otherwise through `human`. Call once. */
  result(value: unknown, human: () => void): void;
  /** A line of human output on stdout. */
  line(text?: string): void;
  /** A hint for a person on stderr, never part of the result; silent with --json. */
  note(text: string): void;
}

export function createOutput(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Output {
  const style = createStyle(!options.json && colorWanted(process.stdout, env, options.color));
  const stderrStyle = createStyle(colorWanted(process.stderr, env, options.color));
  return {
    json: options.json,
    style,
    interactive: process.stderr.isTTY === true,
    result(value, human) {
      if (options.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    line(text = '') {
      process.stdout.write(`${text}\n`);
    },
    note(text) {
      if (!options.json) process.stderr.write(`${stderrStyle.dim(text)}\n`);
    },
  };
}
