/** One reason a JSON text is refused: where (a JSON pointer, "" for the whole text) and what to do. */
export interface JsonIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * - `syntax`: the text is not JSON (RFC 8259);
 * - `too_deep`: it nests deeper than MAX_JSON_DEPTH;
 * - `inexact`: it is JSON, but would not be kept as written: a key given twice in one object, or
 *   a number a 64-bit float cannot hold (see parseJson for the exact rule).
 */
export type JsonInputErrorCode = 'syntax' | 'too_deep' | 'inexact';

/**
 * Why parseJson refused a text. Messages name positions, JSON pointers and keys, never values (a
 * body may hold a token). A SyntaxError, as JSON.parse throws, so existing catches keep working.
 */
export class JsonInputError extends SyntaxError {
  override readonly name = 'JsonInputError';
  constructor(
    readonly code: JsonInputErrorCode,
    message: string,
    /** Every offending value for `inexact` (up to a cap), the one problem otherwise. */
    readonly issues: readonly JsonIssue[],
    /** How many further `inexact` issues were found beyond `issues`. */
    readonly omitted = 0,
  ) {
    super(message);
  }
}
