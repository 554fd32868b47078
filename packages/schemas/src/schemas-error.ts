export type SchemasErrorCode = 'unknown_schema';

/** The one error class of @pipelinejobs/schemas. A document that fails validation is not an error: see validate(). */
export class SchemasError extends Error {
  override readonly name = 'SchemasError';

  constructor(
    readonly code: SchemasErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
