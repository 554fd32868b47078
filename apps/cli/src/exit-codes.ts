import type { ServiceErrorCode } from '@pipelinejobs/service';

/** The process exit codes, one per error class; scripts can branch on them. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  invalid: 3,
  notFound: 4,
  refused: 5,
  unauthorised: 6,
  unavailable: 7,
  /** Ctrl-C: the command stopped and closed the database (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every service error code's exit code; `Record` makes the compiler check the table is total. */
export const EXIT_CODES: Record<ServiceErrorCode, ExitCode> = {
  internal: EXIT.unexpected,
  invalid: EXIT.invalid,
  too_large: EXIT.invalid,
  unsupported_media_type: EXIT.invalid,
  not_found: EXIT.notFound,
  gone: EXIT.notFound,
  not_allowed: EXIT.refused,
  conflict: EXIT.refused,
  key_reused: EXIT.refused,
  unauthenticated: EXIT.unauthorised,
  forbidden: EXIT.unauthorised,
  expired: EXIT.unauthorised,
  exhausted: EXIT.unauthorised,
  unavailable: EXIT.unavailable,
  // Only the HTTP app rate-limits; if it ever reaches the CLI it means "try again later" too.
  rate_limited: EXIT.unavailable,
};

const MEANINGS: Record<ExitCode, string> = {
  0: 'ok',
  1: 'unexpected error',
  2: 'usage or configuration error (bad option, missing PIPELINEJOBS_SECRET, ...)',
  3: 'invalid input (a document, --data, UUID or event name that does not validate)',
  4: 'not found, or deleted (gone)',
  5: 'refused by the state machine, or a conflict (idempotency key reused, ...)',
  6: 'unauthorised or forbidden (missing or wrong job/admin token)',
  7: 'database unavailable (try again later)',
  130: 'interrupted (Ctrl-C); the database was closed first',
};

/** The "Exit codes" section of `pipelinejobs --help`. */
export function exitCodesHelp(): string {
  const lines = Object.entries(MEANINGS).map(([code, meaning]) => `  ${code}  ${meaning}`);
  return `\nExit codes:\n${lines.join('\n')}\n`;
}
