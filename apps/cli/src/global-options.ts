import type { Command } from 'commander';

/** The options every command accepts (declared once on the program). */
export interface GlobalOptions {
  databaseUrl: string | undefined;
  json: boolean;
  color: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<Record<string, unknown>>();
  return {
    databaseUrl: typeof options.databaseUrl === 'string' ? options.databaseUrl : undefined,
    json: options.json === true,
    // commander's `--no-color` defines `color`, true unless the flag is given.
    color: options.color !== false,
  };
}
