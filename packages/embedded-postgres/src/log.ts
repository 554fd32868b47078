/** How much a line matters: a server gone is a warning, a start that failed an error. */
export type EmbeddedLogLevel = 'info' | 'warn' | 'error';

/** Where the embedded server's lines go (the Manager's logger, the CLI's terminal). */
export type EmbeddedLog = (line: string, level?: EmbeddedLogLevel) => void;
