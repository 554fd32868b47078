import { asServiceError, ConfigError, redactSecrets } from '@pipelinejobs/service';
import { EXIT, EXIT_CODES, type ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/**
 * What the process prints and returns for an error: one `error: ...` line and an exit code, and
 * for --json the error's code (`usage`, or the service's: `invalid`, `not_found`, ...) and the
 * JSON pointers it names.
 */
export interface Failure {
  line: string;
  exitCode: ExitCode;
  code: string;
  errors?: unknown;
}

function causeMessage(error: Error): string | undefined {
  const cause = error.cause;
  return cause instanceof Error && cause.message ? cause.message : undefined;
}

/** The refused transition's state and allowed events, when the message does not say them yet. */
function refusalSuffix(message: string, details: Readonly<Record<string, unknown>>): string {
  const state = typeof details.state === 'string' ? details.state : undefined;
  const allowed = Array.isArray(details.allowed) ? details.allowed.map(String) : undefined;
  const parts: string[] = [];
  if (state && !message.includes(state)) parts.push(`job is ${state}`);
  if (allowed && !message.includes('allowed')) parts.push(`allowed: ${allowed.join(', ')}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/**
 * Any error as one line, never a stack, with credentials redacted (an error could quote a
 * database URL or a token); unexpected errors name their cause so an operator can act on it.
 */
export function failureOf(error: unknown): Failure {
  if (error instanceof ConfigError || error instanceof UsageError) {
    return { line: `error: ${oneLine(error.message)}`, exitCode: EXIT.usage, code: 'usage' };
  }
  const failure = asServiceError(error);
  let message = failure.message;
  if (failure.code === 'not_allowed') message += refusalSuffix(message, failure.details);
  if (failure.code === 'internal') {
    const cause = causeMessage(failure) ?? (error instanceof Error ? error.message : undefined);
    if (cause && cause !== message) message += `: ${cause}`;
  }
  const errors = failure.details.errors;
  return {
    line: `error: ${oneLine(message)}`,
    exitCode: EXIT_CODES[failure.code],
    code: failure.code,
    ...(Array.isArray(errors) ? { errors } : {}),
  };
}

/** The one JSON document --json prints on stdout for a failure, instead of a result. */
export function failureDocument(failure: Failure) {
  return {
    error: {
      code: failure.code,
      message: failure.line.replace(/^error: /, ''),
      exit_code: failure.exitCode,
      ...(failure.errors === undefined ? {} : { errors: failure.errors }),
    },
  };
}

function oneLine(text: string): string {
  return redactSecrets(text.replace(/\s*\n\s*/g, ' ').trim());
}
