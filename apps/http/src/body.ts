import { type JsonExactValue, JsonInputError, MAX_JSON_BYTES, parseJson } from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';
import express, { type NextFunction, type Request, type Response } from 'express';
import { bodyText } from './body-text.js';

/** The exact view of each body's one parse (1.0 apart from 1), for the job identity. */
const exactBodies = new WeakMap<Request, JsonExactValue>();
export const exactBodyOf = (req: Request): JsonExactValue | undefined => exactBodies.get(req);

const JSON_TYPE = /^application\/([\w.-]+\+)?json\b/i;
/** What the original's callers send JSON as: `curl --data` sends form-encoding, some platforms text/plain. */
const LENIENT_TYPE = /^(text\/plain|application\/x-www-form-urlencoded)\b/i;

/** JSON whitespace only: the same as no body. */
const BLANK = /^[ \t\n\r]*$/;

/** A Content-Type that says the body is something other than JSON text. */
const declaresOther = (contentType: string): boolean =>
  contentType !== '' && !JSON_TYPE.test(contentType) && !LENIENT_TYPE.test(contentType);

const sendJson = (contentType: string) =>
  new ServiceError(
    'unsupported_media_type',
    `Send JSON with Content-Type: application/json (got ${contentType.slice(0, 100)})`,
  );

/** Why the JSON of a body was refused, as the problem to answer. Never echoes the body. */
function jsonRefusal(error: unknown): ServiceError {
  if (!(error instanceof JsonInputError)) {
    return new ServiceError('internal', 'The body could not be parsed', {}, { cause: error });
  }
  if (error.code === 'syntax')
    return new ServiceError('invalid', `The body is not valid JSON: ${error.message}`);
  if (error.code === 'too_deep') return new ServiceError('invalid', error.message, { errors: error.issues });
  return new ServiceError('invalid', `${error.message}. Nothing was written`, { errors: error.issues });
}

/**
 * Reads a JSON body: `application/json` and `+json` types, and, for the original's callers,
 * `text/plain`, form-encoding (`curl --data`) or no Content-Type at all; another declared type is a
 * 415 before the body is decoded. The bytes are decoded as strict UTF-8 (body-text.ts) and parsed once, strictly
 * and exactly (core's parseJson): `req.body` is the plain value, `exactBodyOf(req)` the exact one.
 * Empty bodies are fine (URL-parameter events). A body that is not JSON is a 415 that says what to send.
 */
export function jsonBody() {
  // Raw bytes, inflated per Content-Encoding (gzip, deflate, br) and limited before they are decoded.
  // Bodies above the limit (after decompression) are refused with 413.
  const raw = express.raw({ type: () => true, limit: MAX_JSON_BYTES });
  return [
    raw,
    (req: Request, _res: Response, next: NextFunction) => {
      const bytes: unknown = req.body;
      req.body = undefined;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) return next();
      const type = req.headers['content-type'] ?? '';
      if (declaresOther(type)) return next(sendJson(type));
      let text: string;
      try {
        text = bodyText(bytes, type);
      } catch (error) {
        return next(error);
      }
      if (BLANK.test(text)) return next();
      try {
        const { value, exact } = parseJson(text);
        exactBodies.set(req, exact);
        req.body = value;
      } catch (error) {
        return next(jsonRefusal(error));
      }
      next();
    },
  ];
}

/**
 * Turns the framework's own errors into problems: the router's malformed percent-escapes in a
 * path, and body-parser's size, Content-Encoding (unknown, or a body that does not
 * inflate) and bodies cut short. Any other 4xx they raise is a 400; none of them is a 5xx.
 */
export function requestErrors(error: unknown, req: Request, _res: Response, next: NextFunction) {
  const { type, status } = (error ?? {}) as { type?: string; status?: unknown };
  if (error instanceof URIError) {
    return next(
      new ServiceError('invalid', 'The URL path holds a malformed percent-escape; write a literal % as %25'),
    );
  }
  if (type === 'entity.too.large' || status === 413) {
    return next(new ServiceError('too_large', `The body is larger than ${MAX_JSON_BYTES} bytes (1 MiB)`));
  }
  if (type === 'encoding.unsupported' || status === 415) {
    const encoding = String(req.headers['content-encoding'] ?? '').slice(0, 40);
    return next(
      new ServiceError(
        'unsupported_media_type',
        `Content-Encoding ${encoding} is not supported; send the body uncompressed, or gzip, deflate or br`,
      ),
    );
  }
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return next(new ServiceError('invalid', 'The request body was incomplete'));
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const encoding = req.headers['content-encoding'];
    return next(
      new ServiceError(
        'invalid',
        encoding
          ? 'The body could not be decoded with its Content-Encoding; check that it is compressed as declared'
          : 'The request body could not be read',
      ),
    );
  }
  next(error);
}
